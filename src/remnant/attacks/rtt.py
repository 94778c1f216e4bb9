"""`remnant attack rtt`: Retraining on T (Deeb & Roger 2024, "Do Unlearning Methods Remove
Information from Language Model Weights?").

The forget facts are split into K folds (the items' fold labels, else made per subject, see
`attacks/folds.py`). For each held-out fold V the model is fine-tuned with `remnant.train.train`
on the other folds T — each item's scoring prompt with its answer, the loss on the answer tokens
only (padding masked), and/or the facts' statements — for each learning rate of a grid, for E
epochs, V scored after every epoch. Facts in V cannot be inferred from T, so accuracy on V after
RTT measures what the weights still hold. The same procedure runs on the original model (and on
an optional control that never had the facts, the floor); recovery = acc_V(unlearned + RTT) /
acc_V(original + RTT). The best epoch and the learning rate follow `attacks/rtt_select.py`.

An epoch is ceil(|T| / batch_size) optimizer steps. Full fine-tuning by default; `params=lora`.

result.json (schema v1, kind "rtt"):
    metrics: {"unlearned": {"before": M, "after": M}, "original": {...}, "control"?: {...},
              "recovery": {"value": r, "ci": [lo, hi], "n": n},
              "recovery_above_control"?: {"value", "ci", "n"}}
        M = {acc, stderr, n} over all held-out items, each scored when its fold is V: before
        RTT, and after it at the chosen lr and epoch. With a control C, recovery_above_control
        = (acc_U − acc_C) / (acc_O − acc_C): what the ratio says once the floor is taken off.
    curves: {"unlearned": [{"epoch": e, "acc": a}, ...], "original": [...], "control"?: [...]}
        accuracy over all held-out items after each epoch at the chosen lr (epoch 0 = before).
    grid: {"unlearned": {"<lr>": {"<fold>": [acc per epoch 0..E]}}, ...}
    chosen_lr: {"unlearned": lr, ...} (rule "mean"), or {"unlearned": {"<fold>": lr}} (per-fold)
    lr_rule; folds: {k, source: "labels" | "made", sizes}; seconds_by_model: {<model>: s};
    reused_from_cache: [<model>, ...] (grids read from the `cache` setting, not recomputed)
samples.jsonl: one row per model and item: {model, id, fold, lr, epoch, before, after}.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from remnant.attacks.common import (
    check_scorer,
    flag_overrides,
    lm_loss,
    load,
    outcomes,
    resolve_settings,
    restore,
    snapshot,
)
from remnant.attacks.folds import assign_folds, check_no_overlap, split
from remnant.attacks.rtt_select import LR_RULES, Runs
from remnant.errors import UserError

# Defaults sized for the embedded model on a CPU: about a minute per model for 41 facts in 5
# folds (benchmarks/RESULTS.md). Deeb & Roger sweep lrs per model, so give a larger model its
# own grid and more epochs (`--lrs 1e-7,1e-6,1e-5 --epochs 5`).
TRAIN_DEFAULTS: dict[str, Any] = {"params": "full", "batch_size": 16, "max_length": 64}
FLAGS = {"folds": "folds", "lrs": "lrs", "epochs": "epochs", "lr_rule": "lr_rule"}
FLAGS |= {"params": "params", "scorer": "eval_scorer", "train_on": "train_on"}
SET_BY_RTT = ("lr", "steps", "eval_every")  # TrainConfig keys the procedure itself decides
MODELS = ("unlearned", "original", "control")
SPEC_ARGS = {"unlearned": "model", "original": "original", "control": "control"}


@dataclass
class Config:
    """Settings of RTT itself; training keys are `TrainConfig`'s (`--set batch_size=4`)."""

    folds: int | None = field(
        default=None, metadata={"help": "K; none = the items' fold labels, else 5 made folds"}
    )
    lrs: list[float] = field(
        default_factory=lambda: [1e-5, 3e-5], metadata={"help": "learning-rate grid"}
    )
    epochs: int = field(default=2, metadata={"help": "E, epochs over T; V scored after each"})
    lr_rule: Literal["mean", "per-fold"] = field(
        default="mean", metadata={"help": "mean: best mean V accuracy over folds; per-fold"}
    )
    train_on: Literal["prompts", "statements", "both"] = field(
        default="prompts",
        metadata={"help": "T as scoring prompts with answers, statements, or both"},
    )
    cache: str | None = field(
        default=None,
        metadata={"help": "directory to keep and reuse each model's grid (the original's)"},
    )


def training_texts(items: list[Any], facts: Any, scorer: str, train_on: str) -> list[Any]:
    """T as training texts: (scoring prompt, " answer") pairs, whose loss covers the answer
    tokens only, and/or the items' statements (every token)."""
    from remnant.evals.prompts import TARGET_DELIMITER, build_prompt

    letter_style = scorer in ("letter", "letter-calibrated", "generate")
    texts: list[Any] = []
    if train_on in ("prompts", "both"):
        for item in items:
            answer = item.choice_labels[item.answer] if letter_style else item.answer_text
            prompt = build_prompt(item, "letter" if letter_style else "cloze")
            texts.append((prompt, TARGET_DELIMITER + answer))
    if train_on in ("statements", "both"):
        statements = [text for item in items for text in facts.statements.get(item.id, [])]
        if not statements:
            raise UserError("the fact set has no statements", facts.name, "use train_on=prompts")
        texts += statements
    return texts


def rtt_cell(
    model: Any, tokenizer: Any, texts: list[Any], held_out: list[Any], settings: Any, *,
    scorer: str, before: dict[str, bool] | None, batch_size: int, seed: int, who: str,
) -> tuple[Any, list[dict[str, bool]]]:  # fmt: skip
    """One RTT run (one model, lr and held-out fold): train on `texts`, scoring `held_out`
    before (reusing `before` when given) and after every epoch. Returns (trained model,
    outcomes per epoch 0..E); the caller restores the weights."""
    from remnant.methods.common import unwrap
    from remnant.train import train

    epochs: list[dict[str, bool]] = []

    def evaluate(model_now: Any, step: int, last: bool) -> dict[str, Any]:
        if step == 0 and before is not None:
            result = before
        else:
            _, result, _ = outcomes(
                unwrap(model_now), tokenizer, held_out, scorer, batch_size=batch_size, seed=seed
            )
        epochs.append(result)
        return {"acc": sum(result.values()) / len(result)}

    trained = train(
        model, tokenizer, {"train": texts},
        lm_loss("train"),
        settings, seed=seed, evaluate=evaluate, progress=False, name=f"rtt {who}",
    )  # fmt: skip
    return trained.model, epochs


def rtt_grid(
    loaded: Any, facts: Any, fold_of: dict[str, int], config: Config, train_config: Any, *,
    who: str, batch_size: int, seed: int,
) -> Runs:  # fmt: skip
    """runs[lr][fold] = outcomes after epochs 0..E, every run starting from the same weights."""
    from tqdm.auto import tqdm

    model, scorer = loaded.model, train_config.eval_scorer
    saved = snapshot(model) if train_config.params != "lora" else {}  # LoRA leaves the base as is
    folds = sorted(set(fold_of.values()))
    runs: Runs = {lr: {} for lr in config.lrs}
    before: dict[int, dict[str, bool]] = {}  # V before RTT does not depend on the lr
    bar = tqdm(total=len(config.lrs) * len(folds), desc=f"RTT {who}", dynamic_ncols=True)
    for lr in config.lrs:
        for fold in folds:
            train_items, held_out = split(facts.items, fold_of, fold)
            texts = training_texts(train_items, facts, scorer, config.train_on)
            per_epoch = math.ceil(len(texts) / train_config.batch_size)
            settings = dataclasses.replace(
                train_config, lr=lr, steps=per_epoch * config.epochs, eval_every=per_epoch
            )
            trained, epochs = rtt_cell(
                model, loaded.tokenizer, texts, held_out, settings, scorer=scorer,
                before=before.get(fold), batch_size=batch_size, seed=seed, who=who,
            )  # fmt: skip
            model = restore(trained, saved)
            before.setdefault(fold, epochs[0])
            runs[lr][fold] = epochs
            bar.update(1)
    bar.close()
    loaded.model = model
    return runs


def _check_config(config: Config, overrides: dict[str, Any]) -> None:
    given = [key for key in SET_BY_RTT if key in overrides]
    if given:
        raise UserError(
            f"RTT sets {given[0]} itself", f"--set {given[0]}=...", "give a grid: --lrs 1e-5,3e-5"
        )
    if not config.lrs or any(lr <= 0 for lr in config.lrs):
        raise UserError("the lr grid needs positive values", f"lrs={config.lrs}", "--lrs 1e-5,3e-5")
    if config.epochs < 1:
        raise UserError("epochs must be at least 1", f"epochs={config.epochs}")
    if config.lr_rule not in LR_RULES:
        raise UserError(f"unknown lr rule {config.lr_rule!r}", "--lr-rule", "mean or per-fold")


def _model_runs(
    args: argparse.Namespace, who: str, facts: Any, fold_of: dict[str, int], config: Config,
    train_config: Any,
) -> tuple[Any, Runs, bool]:  # fmt: skip
    """(model info, runs, reused) for one model: read from `config.cache` when the same model
    was already retrained the same way (the original, once per experiment), else computed."""
    from remnant.attacks.rtt_cache import grid_key, read_grid, write_grid
    from remnant.settings import as_dict

    loaded = load(args, getattr(args, SPEC_ARGS[who]))
    settings = {key: value for key, value in as_dict(config).items() if key != "cache"}
    settings |= {"train": as_dict(train_config), "seed": args.seed, "batch": args.batch_size}
    settings["items"] = [item.to_record() for item in facts.items]
    key = grid_key(loaded.info, fold_of, settings)
    runs = read_grid(config.cache, key)
    if runs is None:
        runs = rtt_grid(
            loaded, facts, fold_of, config, train_config,
            who=who, batch_size=args.batch_size, seed=args.seed,
        )  # fmt: skip
        write_grid(config.cache, key, runs, str(loaded.info.get("spec")))
        return loaded.info, runs, False
    print(f"RTT {who}: reusing the grid cached as {key} in {config.cache}")
    return loaded.info, runs, True


def run_rtt(args: argparse.Namespace) -> int:
    from remnant.attacks.rtt_result import print_summary, rtt_result
    from remnant.data import load_facts
    from remnant.models import pick_device, pick_dtype
    from remnant.results import env_info, is_complete, start_run
    from remnant.settings import as_dict

    command_started = time.time()
    overrides = flag_overrides(args, FLAGS)
    config, train_config = resolve_settings(Config(), TRAIN_DEFAULTS, overrides)
    _check_config(config, overrides)
    check_scorer(train_config.eval_scorer)
    if is_complete(args.out) and not args.overwrite:
        raise UserError("a finished run is already there", str(args.out), "pass --overwrite")
    facts = load_facts(args.data, seed=args.seed)
    fold_of, source = assign_folds(facts.items, config.folds, args.seed)
    for fold in sorted(set(fold_of.values())):
        check_no_overlap(*split(facts.items, fold_of, fold), f"--data {args.data}, fold {fold}")
    models = [who for who in MODELS if getattr(args, SPEC_ARGS[who]) is not None]
    record = {"command": "attack rtt", "data": args.data, "seed": args.seed}
    record |= {"models": {who: getattr(args, SPEC_ARGS[who]) for who in models}}
    record |= {"attack": as_dict(config), "train": as_dict(train_config)}
    run, all_runs, seconds, reused = None, {}, {}, []
    for who in models:
        started = time.time()
        info, all_runs[who], cached = _model_runs(args, who, facts, fold_of, config, train_config)
        seconds[who] = round(time.time() - started, 2)
        reused += [who] if cached else []
        if run is None:  # the run records the attacked model, loaded first
            device = pick_device(args.device)
            dtype = str(pick_dtype(args.dtype, device))
            env = env_info(device=str(device), dtype=dtype, seed=args.seed)
            run = start_run(
                args.out, kind="rtt", name=f"rtt {args.model}", config=record, model=info,
                env=env, overwrite=args.overwrite, started=command_started,
            )  # fmt: skip
    metrics, extra, rows = rtt_result(all_runs, fold_of, config.lr_rule, seed=args.seed)
    run.write_samples(rows)
    sizes = [sum(1 for f in fold_of.values() if f == k) for k in sorted(set(fold_of.values()))]
    extra |= {"folds": {"k": len(sizes), "source": source, "sizes": sizes}}
    run.finish(metrics, **extra, seconds_by_model=seconds, reused_from_cache=reused)
    print_summary(run.result, args.out)
    return 0
