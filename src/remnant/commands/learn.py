"""`remnant learn`: fine-tune facts into a model, to study knowledge a model has only from
fine-tuning (Deeb & Roger's random birthdays).

The model trains on the fact set's statements (every phrasing of every fact), on the lettered
multiple-choice text answered with its letter (`--format mcq`, trained on the letter only), or
on both. The defaults below teach the embedded model `birthdays` (see benchmarks/RESULTS.md,
"Teaching facts"); `--set key=value` changes any training setting.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

FORMATS = ("statements", "mcq", "both")
# Full fine-tuning with a decaying learning rate, six passes over every phrasing: taught the
# embedded model all 300 birthdays to 1.00 cloze accuracy (0.97 already after four epochs).
DEFAULTS: dict[str, Any] = {
    "lr": 3e-4,
    "epochs": 6.0,
    "batch_size": 16,
    "max_length": 32,
    "schedule": "linear",
    "warmup_steps": 10,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="hub id, local dir, run dir or alias")
    parser.add_argument("--data", required=True, help="fact set to teach (e.g. birthdays)")
    parser.add_argument("--out", required=True, type=Path, help="run directory to write")
    parser.add_argument(
        "--format", default="statements", choices=FORMATS, help="what to train on (statements)"
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a training setting (repeatable), e.g. --set epochs=5",
    )
    parser.add_argument("--scorer", help="scorer for the before/after evaluations (cloze)")
    parser.add_argument(
        "--keep-adapter", action="store_true", help="LoRA: also save the adapter to <out>/adapter"
    )


def training_texts(facts: Any, form: str) -> list:
    """Statements, and/or (lettered question, " <letter>") pairs trained on the letter."""
    from remnant.evals.prompts import TARGET_DELIMITER, mcq_text

    texts: list = []
    if form in ("statements", "both"):
        texts += facts.texts("statements")
    if form in ("mcq", "both"):
        texts += [
            (mcq_text(item), TARGET_DELIMITER + item.choice_labels[item.answer])
            for item in facts.items
        ]
    return texts


def run(args: argparse.Namespace) -> int:
    from remnant.batches import load_source
    from remnant.errors import UserError
    from remnant.methods.common import mean_nll
    from remnant.models import load_model
    from remnant.settings import as_dict, override, parse_assignments
    from remnant.train import TrainConfig
    from remnant.train_run import run_training

    values: dict[str, Any] = dict(DEFAULTS)
    if args.scorer:
        values["eval_scorer"] = args.scorer
    if args.keep_adapter:
        values["keep_adapter"] = True
    config = override(TrainConfig(), values, "learn defaults")
    config = override(config, parse_assignments(args.settings))
    source = load_source(args.data, args.seed, "--data")
    if source.facts is None:
        raise UserError(
            "learn teaches a fact set, not a plain corpus",
            f"--data {args.data}",
            "give a fact set such as birthdays or a .jsonl of items",
        )
    corpora = {"train": training_texts(source.facts, args.format)}
    loaded = load_model(
        args.model,
        dtype=args.dtype,
        device=args.device,
        trust_remote_code=args.trust_remote_code,
        seed=args.seed,
    )

    def loss(model, batches, state):
        (value,) = mean_nll(model, batches["train"])
        return value, {}

    record = {
        "command": "learn",
        "model": args.model,
        "data": args.data,
        "format": args.format,
        "seed": args.seed,
        "train": as_dict(config),
    }
    run_training(
        args,
        kind="learn",
        name="learn",
        loaded=loaded,
        roles={"train": source},
        corpora=corpora,
        loss=loss,
        config=config,
        record=record,
    )
    return 0
