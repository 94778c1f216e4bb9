"""`summary.json` at the root of an experiment: every stage's numbers in one place.

Schema (version 1; accuracies as fractions in [0, 1]):
{schema_version, name, model, forget, retain, scorer, chance?, env, settings,
 original: {forget: M, retain: M, perplexity?, attacks: {<transform>: {forget}}},
 methods: {<method>: {forget: {before, after, stderr: {before, after}}, retain: {...},
   perplexity?: {before, after}, run,
   attacks: {<transform>: {forget, stderr, original_forget, recovery, ci},
             relearn: {forget, stderr, recovery, ci?, run, curve, steps_to_recover},
             rtt: {forget, stderr, original_forget, recovery, ci, before, control_forget?,
                   curves, run}}}},
 stages: {<stage>: {run, status, seconds}}, report: "report.md"}
M = {acc, stderr, n}. Recovery: RTT, acc_V(unlearned + RTT) / acc_V(original + RTT); prompt and
relearn attacks, (attacked − after) / (before − after) on the forget set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from remnant.config import Experiment
from remnant.evals.metrics import attack_recovery_ci, recovery
from remnant.pipeline import slug
from remnant.results import atomic_write_text, read_result, read_samples

SCHEMA_VERSION = 1
ENV_KEYS = ("remnant", "torch", "transformers", "python", "device", "dtype", "git_sha", "seed")


def _correct_by_id(run_dir: Path, scorer: str, data: str) -> dict[str, bool]:
    """{item id: correct} of one data set under one scorer in an eval run's samples."""
    rows = read_samples(run_dir)
    return {r["id"]: bool(r["correct"]) for r in rows if (r["scorer"], r["data"]) == (scorer, data)}


def _paired(*tables: dict[str, bool]) -> list[list[bool]]:
    """Outcomes of the items every table scored, in one order, for a paired bootstrap."""
    ids = sorted(set.intersection(*(set(t) for t in tables)))
    return [[t[i] for i in ids] for t in tables]


def _acc(metric: dict[str, Any] | None) -> float | None:
    return None if not metric else metric.get("acc")


def chance_level(exp: Experiment) -> float:
    """Accuracy of guessing on the forget set: the mean of 1 / number of choices."""
    from remnant.data import load_facts

    items = load_facts(exp.forget, seed=exp.seed).items
    return sum(1 / len(item.choices) for item in items) / len(items)


def _prompt_attack(root: Path, exp: Experiment, who: str, transform: str) -> tuple[dict, dict]:
    run = root / f"prompt-{who}-{slug(transform)}"
    key = f"{exp.scorer}/{transform}"
    return read_result(run)["metrics"][exp.forget][key], _correct_by_id(run, key, exp.forget)


def _relearn(root: Path, method: str, before: float, after: float) -> dict[str, Any]:
    run_name = f"relearn-{slug(method)}"
    result = read_result(root / run_name)
    forget = result["metrics"]["forget"]["after"]
    curves = result.get("curves") or {}
    retain_by_step = {p["step"]: p["acc"] for p in curves.get("retain", [])}
    curve = [
        {"step": p["step"], "forget": p["acc"], "retain": retain_by_step.get(p["step"])}
        for p in curves.get("forget", [])
    ]
    return {
        "forget": forget["acc"],
        "stderr": forget.get("stderr"),
        "retain": _acc(result["metrics"].get("retain", {}).get("after")),
        "recovery": recovery(forget["acc"], after, before),
        # The relearn command's paired bootstrap over the forget items.
        "ci": (result.get("recovery") or {}).get("ci"),
        "run": run_name,
        "curve": curve,
        "steps_to_recover": result.get("steps_to_recover"),
    }


def _rtt(root: Path, method: str) -> dict[str, Any]:
    run_name = f"rtt-{slug(method)}"
    result = read_result(root / run_name)
    metrics = result["metrics"]
    entry = {
        "forget": metrics["unlearned"]["after"]["acc"],
        "stderr": metrics["unlearned"]["after"].get("stderr"),
        "original_forget": metrics["original"]["after"]["acc"],
        "before": metrics["unlearned"]["before"]["acc"],
        "recovery": metrics["recovery"].get("value"),
        "ci": metrics["recovery"].get("ci"),
        "curves": result.get("curves"),
        "run": run_name,
    }
    if "control" in metrics:
        entry["control_forget"] = metrics["control"]["after"]["acc"]
    return entry


def build_summary(exp: Experiment, root: Path, stages: dict[str, Any]) -> dict[str, Any]:
    """Collect the stage results of a finished experiment into the summary schema."""
    original_eval = read_result(root / "eval-original")
    env = original_eval["env"]
    original_forget = original_eval["metrics"][exp.forget][exp.scorer]
    original_retain = original_eval["metrics"][exp.retain][exp.scorer]
    before_forget = _correct_by_id(root / "eval-original", exp.scorer, exp.forget)
    original: dict[str, Any] = {"forget": original_forget, "retain": original_retain}
    if exp.general:
        ppl = read_result(root / "perplexity-original")["metrics"][exp.general]["perplexity"]
        original["perplexity"] = ppl
    original["attacks"] = {
        t: {"forget": _prompt_attack(root, exp, "original", t)[0]["acc"]}
        for t in exp.attacks.prompts
    }
    methods: dict[str, Any] = {}
    for method in exp.methods:
        unlearn, evaluated = f"unlearn-{slug(method)}", root / f"eval-{slug(method)}"
        metrics = read_result(evaluated)["metrics"]
        forget_after = metrics[exp.forget][exp.scorer]
        retain_after = metrics[exp.retain][exp.scorer]
        before, after = original_forget["acc"], forget_after["acc"]
        entry: dict[str, Any] = {
            "forget": {
                "before": before,
                "after": after,
                "stderr": {"before": original_forget["stderr"], "after": forget_after["stderr"]},
            },
            "retain": {
                "before": original_retain["acc"],
                "after": retain_after["acc"],
                "stderr": {"before": original_retain["stderr"], "after": retain_after["stderr"]},
            },
            "run": unlearn,
            "attacks": {},
        }
        if exp.general:
            run = root / f"perplexity-{slug(method)}"
            ppl = read_result(run)["metrics"][exp.general]["perplexity"]
            entry["perplexity"] = {"before": original["perplexity"], "after": ppl}
        after_by_id = _correct_by_id(evaluated, exp.scorer, exp.forget)
        for transform in exp.attacks.prompts:
            attacked, attacked_by_id = _prompt_attack(root, exp, slug(method), transform)
            ci = attack_recovery_ci(*_paired(attacked_by_id, after_by_id, before_forget))
            entry["attacks"][transform] = {
                "forget": attacked["acc"],
                "stderr": attacked.get("stderr"),
                "original_forget": original["attacks"][transform]["forget"],
                "recovery": recovery(attacked["acc"], after, before),
                "ci": list(ci) if ci else None,
            }
        if exp.attacks.relearn is not None:
            entry["attacks"]["relearn"] = _relearn(root, method, before, after)
        if exp.attacks.rtt is not None:
            entry["attacks"]["rtt"] = _rtt(root, method)
        methods[method] = entry
    return {
        "schema_version": SCHEMA_VERSION,
        "name": exp.name,
        "model": exp.model,
        "forget": exp.forget,
        "retain": exp.retain,
        "scorer": exp.scorer,
        "chance": chance_level(exp),
        "env": {key: env.get(key) for key in ENV_KEYS},
        "settings": {**exp.methods, "attacks": json.loads(json.dumps(exp.attacks.__dict__))},
        "original": original,
        "methods": methods,
        "stages": stages,
        "report": "report.md",
    }


def write_summary(exp: Experiment, root: Path, stages: dict[str, Any]) -> dict[str, Any]:
    summary = build_summary(exp, root, stages)
    atomic_write_text(root / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def summary_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The terminal table: forget/retain before → after per method, then each attack."""
    attacks = sorted({a for m in summary["methods"].values() for a in m["attacks"]})

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    headers = ["method", "forget before→after", "retain before→after", *attacks]
    rows = []
    for name, method in summary["methods"].items():
        row = [
            name,
            f"{pct(method['forget']['before'])}→{pct(method['forget']['after'])}",
            f"{pct(method['retain']['before'])}→{pct(method['retain']['after'])}",
        ]
        for attack in attacks:
            entry = method["attacks"].get(attack)
            if entry is None:
                row.append("-")
            else:
                row.append(f"{pct(entry['forget'])} (rec {pct(entry.get('recovery'))})")
        rows.append(row)
    return headers, rows
