"""Prompt-side attacks: transforms that change how a question is presented, never what it asks.

Doshi & Cooper Stickland (2024) raise an unlearned model's forget-set accuracy with few-shot
prompts from another benchmark and with simple rephrasings. Each attack here is a transform
with the signature of `fewshot` in `evals/transforms.py`, `(items, argument, *, pool, dev,
seed) -> items`, listed in `PROMPT_ATTACKS` for `TRANSFORMS`. Random choices are seeded with
(seed, item id), so an item is presented the same way to the original and the unlearned model.
The rewording attacks (`template`, `paired`, `rephrase`) live in `evals/rephrase.py`.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from remnant.data.schema import Item
from remnant.errors import UserError
from remnant.evals.rephrase import paired, rephrase, template
from remnant.evals.transforms import fewshot

# Written for this project. The English one is about baking bread and names no place: a
# filler that mentions a country would be a hint, not a distraction.
FILLER = {
    "latin": (
        "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque "
        "laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi "
        "architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas "
        "sit aspernatur aut odit aut fugit, sed quia consequuntur magni dolores eos qui ratione "
        "voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit "
        "amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt."
    ),
    "english": (
        "Good bread asks for patience more than skill. Flour, water, salt and a little yeast "
        "are mixed into a shaggy dough and left to rest, so that the flour can drink the water "
        "before any kneading begins. A few folds every half hour build strength without tiring "
        "the baker's arms. When the dough has grown by half and feels airy, it is shaped into "
        "a tight round, left to rise once more, and baked in a very hot oven until the crust "
        "sings as it cools on the rack."
    ),
}
RELABELS = {
    "numbers": tuple(str(n) for n in range(1, 11)),
    "lower": tuple(string.ascii_lowercase[:10]),
}
DEFAULT_PERTURB_RATE = 0.05


def _argument(argument: str | None, spec: str, fix: str) -> str:
    if not argument:
        raise UserError(f"transform {spec!r} needs an argument", spec, fix)
    return argument


def fewshot_from(
    items: list[Item], argument: str | None, *, pool: list[Item], dev: list[Item], seed: int = 0
) -> list[Item]:
    """fewshot-from:SPEC:K — K solved examples from another fact set before each item.

    Doshi & Cooper Stickland prompt WMDP with five MMLU dev questions. Uses the set's dev split
    when it has one, else its items; an example asking the scored item's question is never drawn.
    """
    from remnant.data import load_facts

    fix = "write fewshot-from:SPEC:K, e.g. fewshot-from:capitals:group=Europe:5"
    spec_text, _, k = _argument(argument, "fewshot-from", fix).rpartition(":")
    if not spec_text or not k.isdigit():
        raise UserError(f"bad transform 'fewshot-from:{argument}'", "--transform", fix)
    source = load_facts(spec_text, seed=seed)
    examples = list(source.dev or source.items)
    # fewshot draws from `dev` whenever it is given, with the same exclusions and seeding.
    return fewshot(items, k, pool=examples, dev=examples, seed=seed)


def filler(
    items: list[Item], argument: str | None, *, pool: list[Item], dev: list[Item], seed: int = 0
) -> list[Item]:
    """filler:latin|english — a paragraph of unrelated text before the prompt."""
    fix = f"use one of {', '.join(f'filler:{name}' for name in FILLER)}"
    name = _argument(argument, "filler", fix)
    if name not in FILLER:
        raise UserError(f"unknown filler {name!r}", f"filler:{name}", fix)
    return [item.with_(preamble=FILLER[name] + "\n\n" + item.preamble) for item in items]


def relabel(
    items: list[Item], argument: str | None, *, pool: list[Item], dev: list[Item], seed: int = 0
) -> list[Item]:
    """relabel:numbers|lower — choices labelled 1-4 or a-d instead of A-D.

    The letter scorers read `Item.labels`. Few-shot examples already attached are relabelled
    too (and `fewshot` after it copies the item's labels), so a prompt keeps one style."""
    fix = f"use one of {', '.join(f'relabel:{name}' for name in RELABELS)}"
    name = _argument(argument, "relabel", fix)
    if name not in RELABELS:
        raise UserError(f"unknown labels {name!r}", f"relabel:{name}", fix)
    labels = RELABELS[name]

    def new_labels(item: Item) -> tuple[str, ...]:
        if len(item.choices) > len(labels):
            raise UserError(
                f"item {item.id!r} has {len(item.choices)} choices, more than relabel:{name} has"
                f" labels ({len(labels)})",
                f"relabel:{name}",
            )
        return labels[: len(item.choices)]

    return [
        item.with_(
            labels=new_labels(item),
            shots=tuple(shot.with_(labels=new_labels(shot)) for shot in item.shots),
        )
        for item in items
    ]


def shuffle(
    items: list[Item], argument: str | None, *, pool: list[Item], dev: list[Item], seed: int = 0
) -> list[Item]:
    """shuffle — each item's choices permuted (seeded); the answer index follows its choice.

    A model that learned "the answer is C" rather than the fact loses its edge."""
    if argument:
        raise UserError("shuffle takes no argument", f"shuffle:{argument}", "write shuffle")
    shuffled = []
    for item in items:
        order = list(range(len(item.choices)))
        random.Random(f"shuffle:{seed}:{item.id}").shuffle(order)
        choices = tuple(item.choices[i] for i in order)
        shuffled.append(item.with_(choices=choices, answer=order.index(item.answer)))
    return shuffled


def perturb_text(text: str, rate: float, rng: random.Random) -> str:
    """Each letter, with probability `rate`, is dropped, doubled, swapped with the next
    character or replaced by a random lower-case letter; everything else is kept."""
    chars, out, i = list(text), [], 0
    while i < len(chars):
        char = chars[i]
        if not char.isalpha() or rng.random() >= rate:
            out.append(char)
            i += 1
            continue
        edit = rng.choice(("drop", "double", "swap", "replace"))
        if edit == "double":
            out += [char, char]
        elif edit == "swap" and i + 1 < len(chars):
            out += [chars[i + 1], char]
            i += 1
        elif edit == "replace":
            out.append(rng.choice(string.ascii_lowercase))
        elif edit == "swap":  # the last character has nothing to swap with: keep it
            out.append(char)
        i += 1
    return "".join(out)


def perturb(
    items: list[Item], argument: str | None, *, pool: list[Item], dev: list[Item], seed: int = 0
) -> list[Item]:
    """perturb:chars[:RATE] — light character noise in the question and cloze prefix.

    RATE is the share of letters edited (dropped, doubled, swapped, replaced), default 0.05."""
    fix = "write perturb:chars or perturb:chars:RATE with RATE in (0, 1], e.g. perturb:chars:0.05"
    kind, _, rate_text = _argument(argument, "perturb", fix).partition(":")
    try:
        rate = float(rate_text) if rate_text else DEFAULT_PERTURB_RATE
    except ValueError:
        raise UserError(f"bad rate {rate_text!r}", f"perturb:{argument}", fix) from None
    if kind != "chars" or not 0 < rate <= 1:
        raise UserError(f"bad transform 'perturb:{argument}'", "--transform", fix)
    perturbed = []
    for item in items:
        rng = random.Random(f"perturb:{seed}:{item.id}")
        question = perturb_text(item.question, rate, rng)
        cloze = perturb_text(item.cloze, rate, rng) if item.cloze is not None else None
        perturbed.append(item.with_(question=question, cloze=cloze))
    return perturbed


PROMPT_ATTACKS: dict[str, Callable[..., list[Item]]] = {
    "fewshot-from": fewshot_from,
    "filler": filler,
    "relabel": relabel,
    "shuffle": shuffle,
    "perturb": perturb,
    "template": template,
    "paired": paired,
    "rephrase": rephrase,
}
