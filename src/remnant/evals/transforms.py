"""Prompt-side attacks and variants, applied to items before scoring.

`TRANSFORMS` maps a name to a function `(items, argument, *, pool, dev, seed) -> items`;
a spec is `name` or `name:argument` (`fewshot:5`). Transforms only change presentation fields
(`shots`, `labels`, `preamble`) or wording, never which choice is right.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from remnant.data.schema import Item
from remnant.errors import UserError

Transform = Callable[..., list[Item]]


def _same_question(a: Item, b: Item) -> bool:
    return a.question.strip().lower() == b.question.strip().lower()


def _draw_shots(item: Item, candidates: list[Item], k: int, seed: int, spec: str) -> list[Item]:
    """k distinct candidates, never the item itself or one asking the same question, chosen by
    a generator seeded with (seed, item id) so the choice is the same on every run."""
    rng = random.Random(f"fewshot:{seed}:{item.id}")

    def allowed(c: Item) -> bool:
        return c.id != item.id and not _same_question(c, item)

    chosen: dict[int, Item] = {}
    for _ in range(20 * k + 20):  # rejection sampling: few candidates are ever excluded
        if len(chosen) == k or not candidates:
            break
        index = rng.randrange(len(candidates))
        if index not in chosen and allowed(candidates[index]):
            chosen[index] = candidates[index]
    if len(chosen) < k:  # many exclusions: filter the whole list instead
        eligible = [c for c in candidates if allowed(c)]
        if len(eligible) < k:
            raise UserError(
                f"{spec} needs {k} solved examples for item {item.id!r} but only "
                f"{len(eligible)} are eligible",
                spec,
                "use fewer shots, or give the fact set a dev split or more folds",
            )
        return rng.sample(eligible, k)
    return list(chosen.values())


def _as_shot(shot: Item, item: Item) -> Item:
    """A solved example for `item`: no shots or preamble of its own, and the item's labels (a
    relabelled item keeps one label style throughout its prompt, whatever the order of the
    transforms)."""
    same_size = item.labels is not None and len(item.labels) == len(shot.choices)
    return shot.with_(shots=(), preamble="", labels=item.labels if same_size else shot.labels)


def fewshot(
    items: list[Item],
    argument: str | None,
    *,
    pool: list[Item],
    dev: list[Item],
    seed: int = 0,
) -> list[Item]:
    """Put K solved examples before each item (Doshi & Cooper Stickland 2024: 5-shot prompts
    raise forget-set accuracy). Shots come from `dev` when there is one, else from `pool` items
    of other folds (other items when folds are unset), so a held-out fold never sees itself."""
    spec = f"fewshot:{argument}"
    if argument is None or not argument.isdigit():
        raise UserError(f"bad transform {spec!r}", spec, "give the number of shots, e.g. fewshot:5")
    k = int(argument)
    if k == 0:
        return list(items)
    by_fold: dict[int | None, list[Item]] = {}
    results = []
    for item in items:
        if dev:
            candidates = dev
        elif item.fold is None:
            candidates = pool
        else:
            if item.fold not in by_fold:
                by_fold[item.fold] = [c for c in pool if c.fold != item.fold]
            candidates = by_fold[item.fold]
        shots = _draw_shots(item, candidates, k, seed, spec)
        results.append(item.with_(shots=tuple(_as_shot(s, item) for s in shots)))
    return results


TRANSFORMS: dict[str, Transform] = {
    "fewshot": fewshot,
}


def parse_transform(spec: str) -> tuple[str, str | None]:
    """`"fewshot:5"` -> `("fewshot", "5")`; rejects names not in TRANSFORMS."""
    name, _, argument = spec.partition(":")
    if name not in TRANSFORMS:
        raise UserError(
            f"unknown transform {name!r}", spec, f"use one of {', '.join(sorted(TRANSFORMS))}"
        )
    return name, (argument if ":" in spec else None)


def apply_transforms(
    items: Sequence[Item],
    specs: Sequence[str],
    *,
    pool: list[Item] | None = None,
    dev: list[Item] | None = None,
    seed: int = 0,
) -> list[Item]:
    """Apply transform specs in order. `pool` (default: the items) and `dev` supply examples."""
    result = list(items)
    parsed = [parse_transform(spec) for spec in specs]  # reject bad specs before any work
    for name, argument in parsed:
        result = TRANSFORMS[name](
            result,
            argument,
            pool=list(pool) if pool is not None else list(items),
            dev=list(dev or []),
            seed=seed,
        )
    return result


# The prompt-side attacks register here. Imported last because they build on `fewshot` above.
from remnant.evals.prompt_attacks import PROMPT_ATTACKS  # noqa: E402

TRANSFORMS.update(PROMPT_ATTACKS)
