"""A training command from start to end, shared by `learn`, `unlearn` and the weight attacks:
score every role before and after, train with `remnant.train.train`, save `<run>/model/`, and
write `result.json` in one layout.

result.json `metrics` (the same for every command that trains):
    {<role>: {"data": <spec>, "scorer": <scorer>, "before": M, "after": M}}
    roles: `forget` and `retain` for unlearn, `train` for learn; M = {acc, stderr, n, ...} from
    `remnant.evals.evaluate` for a fact set, {perplexity, token_acc, n_tokens, n} for a corpus.
`curves`: {<role>: [{step, acc, stderr, n}] (perplexity for a corpus),
           "loss": [{step, loss, <the method's terms>}]}.
`samples.jsonl`: the trained model's per-item rows, each tagged with role, data and scorer.
A diverged run (NaN/inf loss) is marked failed and writes no model.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from remnant import distributed, fsdp, zero3
from remnant.batches import Source, Text
from remnant.console import fmt_acc, format_table
from remnant.errors import UserError
from remnant.methods.common import unwrap
from remnant.train import TrainConfig, finish_model, train

PERPLEXITY_TEXTS = 64  # a corpus role is scored on its first texts: enough for a stable ppl


def score(model, tokenizer, source: Source, scorer: str, *, batch_size: int, limit: int, seed: int):
    """(metrics, rows) of one role: accuracy on a fact set, perplexity on a plain corpus."""
    from remnant.evals import evaluate, perplexity

    if source.facts is None:
        texts = source.texts()[: limit or PERPLEXITY_TEXTS]
        return perplexity(model, tokenizer, texts, batch_size=batch_size), []
    return evaluate(
        model,
        tokenizer,
        source.facts,
        scorer=scorer,
        batch_size=batch_size,
        limit=limit or None,
        seed=seed,
        progress=False,
    )


def _point(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("acc", "stderr", "n", "perplexity")
    return {key: metrics[key] for key in keys if key in metrics}


def run_training(
    args: argparse.Namespace,
    *,
    kind: str,
    name: str,
    loaded: Any,
    roles: Mapping[str, Source],
    corpora: Mapping[str, Sequence[Text]],
    loss: Callable,
    config: TrainConfig,
    record: dict[str, Any],
    setup: Callable | None = None,
) -> dict[str, Any]:
    """Run one training command into `args.out`; returns the metrics it recorded."""
    from remnant.results import env_info, start_run

    model, tokenizer = loaded.model, loaded.tokenizer
    parameter = next(model.parameters())
    run = start_run(
        args.out,
        kind=kind,
        name=name,
        config=record,
        model=loaded.info,
        env=env_info(device=str(parameter.device), dtype=str(parameter.dtype), seed=args.seed),
        overwrite=args.overwrite,
    )
    scorer = config.eval_scorer
    ends: dict[int, dict[str, tuple[dict, list]]] = {}

    def evaluate(model_now: Any, step: int, last: bool) -> dict[str, Any]:
        full = step == 0 or last
        plain = unwrap(model_now)  # the scorers read the transformers model, LoRA layers active
        results = {}
        for role, source in roles.items():
            limit = 0 if full else config.eval_limit
            results[role] = score(
                plain, tokenizer, source, scorer,
                batch_size=args.batch_size, limit=limit, seed=args.seed,
            )  # fmt: skip
        if full:
            ends[step] = results
        point = {role: _point(metrics) for role, (metrics, _) in results.items()}
        # The curve so far goes into result.json at once, so a long run can be watched.
        curves = run.result.setdefault("curves", {})
        for role in roles:
            curves.setdefault(role, []).append({"step": step, **point[role]})
        run.save()
        return point

    started = time.time()
    try:
        trained = train(
            model, tokenizer, corpora, loss, config,
            seed=args.seed, setup=setup, evaluate=evaluate, progress=True, name=name,
        )  # fmt: skip
    except UserError as exc:  # a diverged loss, or settings the model cannot take
        run.fail(str(exc))
        raise
    adapter = Path(args.out) / "adapter" if config.keep_adapter else None
    final = finish_model(trained.model, adapter)
    from remnant.models import save_model

    save_model(final, tokenizer, Path(args.out) / "model")
    before, after = ends[0], ends[trained.steps]
    metrics = {
        role: {
            "data": source.spec,
            "scorer": scorer if source.facts is not None else "perplexity",
            "before": before[role][0],
            "after": after[role][0],
        }
        for role, source in roles.items()
    }
    curves = {**run.result["curves"], "loss": trained.log}
    run.write_samples(
        {"role": role, "data": source.spec, "scorer": scorer, **row}
        for role, source in roles.items()
        for row in after[role][1]
    )
    run.finish(
        metrics,
        curves=curves,
        train={
            "steps": trained.steps,
            "tokens": trained.tokens,
            "seconds": round(trained.seconds, 3),
            "eval_seconds": round(trained.eval_seconds, 3),
            # Published numbers shift with GPU count when these are not controlled.
            "batch_per_device": config.batch_size,
            "grad_accum": config.grad_accum,
            "world_size": distributed.world_size(),
            "effective_batch": config.batch_size * config.grad_accum * distributed.world_size(),
            "fsdp": fsdp.requested(),  # sharded (same numbers, less memory per device)
            "zero3": zero3.requested(),  # partitioned by DeepSpeed (the same numbers too)
        },
    )
    _print_summary(metrics, trained, time.time() - started, Path(args.out))
    return metrics


def _print_summary(metrics: dict, trained: Any, seconds: float, out: Path) -> None:
    def show(metric: dict) -> str:
        if "acc" in metric:
            return fmt_acc(metric)
        return f"ppl {metric['perplexity']:.2f}" if metric.get("perplexity") else "-"

    rows = [
        [role, entry["data"], entry["scorer"], show(entry["before"]), show(entry["after"])]
        for role, entry in metrics.items()
    ]
    print(format_table(["role", "data", "scorer", "before", "after"], rows))
    print(
        f"\n{trained.steps} steps, {trained.tokens} tokens: training {trained.seconds:.1f} s, "
        f"evaluation {trained.eval_seconds:.1f} s, total {seconds:.1f} s"
    )
    print(f"model: {out / 'model'}\nresults: {out / 'result.json'}")
