"""Prompt-side attacks on hand-made items: deterministic, and never changing which fact is right."""

from __future__ import annotations

import json

import pytest

import remnant.evals.rephrase as rephrase_module
import remnant.evals.transforms as transforms_module
from remnant.cli import main
from remnant.data.corpora import mentions_place
from remnant.data.schema import Item
from remnant.errors import UserError
from remnant.evals.prompt_attacks import (
    FILLER,
    PROMPT_ATTACKS,
    filler,
    perturb,
    perturb_text,
    relabel,
    shuffle,
)
from remnant.evals.prompts import cloze_prompt, letter_prompt
from remnant.evals.rephrase import paired, rephrase, template
from remnant.evals.transforms import apply_transforms

NO_POOL = {"pool": [], "dev": []}


def capital(country: str, answer: str, others: tuple[str, str, str], mention: str = "") -> Item:
    mention = mention or country
    choices = (answer, *others)
    return Item(
        id=f"capitals-{country.lower()}",
        question=f"What is the capital of {mention}?",
        choices=choices,
        answer=0,
        cloze=f"The capital of {mention} is",
        fold=len(country) % 2,
        subject=country,
    )


ITEMS = [
    capital("Japan", "Tokyo", ("Osaka", "Kyoto", "Nagoya")),
    capital("France", "Paris", ("Lyon", "Nice", "Lille")),
    capital("Philippines", "Manila", ("Cebu", "Davao", "Quezon"), mention="the Philippines"),
    capital("Peru", "Lima", ("Cusco", "Arequipa", "Trujillo")),
]


def test_every_prompt_attack_is_a_registered_transform():
    assert PROMPT_ATTACKS.items() <= transforms_module.TRANSFORMS.items()


def test_relabel_sets_labels_on_items_and_their_shots():
    with_shot = ITEMS[0].with_(shots=(ITEMS[1],))
    (numbered,) = relabel([with_shot], "numbers", **NO_POOL)
    assert numbered.choice_labels == ("1", "2", "3", "4")
    assert numbered.shots[0].choice_labels == ("1", "2", "3", "4")
    assert letter_prompt(numbered).endswith("1. Tokyo\n2. Osaka\n3. Kyoto\n4. Nagoya\nAnswer:")
    assert "Paris\n" in letter_prompt(numbered) and "Answer: 1\n\n" in letter_prompt(numbered)
    # In either order: shots drawn after relabel take the item's labels.
    (first,) = transforms_module.fewshot(
        relabel([ITEMS[0]], "numbers", **NO_POOL), "1", pool=ITEMS, dev=[]
    )
    assert first.shots[0].choice_labels == ("1", "2", "3", "4")
    (lower,) = relabel([ITEMS[0]], "lower", **NO_POOL)
    assert lower.choice_labels == ("a", "b", "c", "d") and lower.answer == 0
    with pytest.raises(UserError, match="unknown labels"):
        relabel(ITEMS, "roman", **NO_POOL)


def test_shuffle_is_seeded_and_the_answer_follows_its_choice():
    first = shuffle(ITEMS, None, **NO_POOL, seed=3)
    assert first == shuffle(ITEMS, None, **NO_POOL, seed=3)
    for before, after in zip(ITEMS, first):
        assert sorted(after.choices) == sorted(before.choices)
        assert after.answer_text == before.answer_text
    # With four items starting at answer 0, some answer moves (and another seed differs).
    assert any(item.answer != 0 for item in first)
    assert [i.choices for i in shuffle(ITEMS, None, **NO_POOL, seed=4)] != [
        i.choices for i in first
    ]


class _AlwaysEdit:
    """A stand-in generator: every letter is edited, always with the same edit."""

    def __init__(self, edit: str) -> None:
        self.edit = edit

    def random(self) -> float:
        return 0.0

    def choice(self, options):
        return self.edit if self.edit in options else "z"


def test_perturb_text_edits_by_hand():
    assert perturb_text("ab c", 1.0, _AlwaysEdit("double")) == "aabb cc"
    assert perturb_text("ab c", 1.0, _AlwaysEdit("drop")) == " "
    assert perturb_text("abc", 1.0, _AlwaysEdit("swap")) == "bac"  # 'c' has no neighbour
    assert perturb_text("a1b", 1.0, _AlwaysEdit("replace")) == "z1z"


def test_perturb_is_seeded_light_and_keeps_the_answer():
    noisy = perturb(ITEMS, "chars:0.2", **NO_POOL, seed=1)
    assert noisy == perturb(ITEMS, "chars:0.2", **NO_POOL, seed=1)
    assert any(n.question != o.question for n, o in zip(noisy, ITEMS))
    assert all(n.choices == o.choices and n.answer == o.answer for n, o in zip(noisy, ITEMS))
    untouched = perturb(ITEMS, "chars:0.000001", **NO_POOL)
    assert [i.question for i in untouched] == [i.question for i in ITEMS]
    for bad in ("words", "chars:0", "chars:x"):
        with pytest.raises(UserError):
            perturb(ITEMS, bad, **NO_POOL)


def test_filler_goes_before_the_prompt_and_names_no_place():
    (item,) = filler([ITEMS[0]], "english", **NO_POOL)
    assert cloze_prompt(item) == FILLER["english"] + "\n\nThe capital of Japan is"
    assert not mentions_place(FILLER["english"]) and not mentions_place(FILLER["latin"])
    with pytest.raises(UserError, match="unknown filler"):
        filler(ITEMS, "klingon", **NO_POOL)


def test_fewshot_from_draws_from_the_other_set_never_the_item():
    asia = apply_transforms(ITEMS, ["fewshot-from:capitals:group=Europe:3"], seed=0)
    for item in asia:
        assert len(item.shots) == 3
        assert all(shot.group == "Europe" and shot.id != item.id for shot in item.shots)
    # From the same set: the scored item is never one of its own examples.
    same = apply_transforms(ITEMS, ["fewshot-from:capitals:4"])
    assert all(item.id not in {s.id for s in item.shots} for item in same)
    assert [s.id for s in same[0].shots] == [
        s.id for s in apply_transforms(ITEMS, ["fewshot-from:capitals:4"])[0].shots
    ]
    with pytest.raises(UserError, match="fewshot-from:SPEC:K"):
        apply_transforms(ITEMS, ["fewshot-from:capitals"])


def test_template_rewords_question_and_cloze_keeping_the_article():
    reworded = template(ITEMS, "1", **NO_POOL)
    assert reworded[2].question == "Which city is the seat of government of the Philippines?"
    assert reworded[2].cloze == "The seat of government of the Philippines is in"
    assert reworded[0].choices == ITEMS[0].choices and reworded[0].answer == 0
    person = Item("birthdays-ivo-ormsby", "In what year was Ivo Ormsby born?", ("1950", "1960"), 1,
                  cloze="Ivo Ormsby was born in", subject="Ivo Ormsby")  # fmt: skip
    assert template([person], "1", **NO_POOL)[0].cloze == "Ivo Ormsby was born in the year"
    with pytest.raises(UserError, match="not from a built-in set"):
        template([ITEMS[0].with_(id="mine-1")], "1", **NO_POOL)
    with pytest.raises(UserError, match="template:N"):
        template(ITEMS, "9", **NO_POOL)


def test_paired_matches_by_id_and_lists_unmatched_ids(tmp_path):
    rows = [{"id": item.id, "question": f"Q{n}?"} for n, item in enumerate(ITEMS)]
    rows[0]["cloze"] = "La capitale du Japon est"
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reworded = paired(ITEMS, str(path), **NO_POOL)
    assert reworded[0].cloze == "La capitale du Japon est"
    assert reworded[1].question == "Q1?" and reworded[1].cloze is None  # scored on the question
    assert reworded[1].answer_text == "Paris"
    rows += [{"id": "nowhere-1", "question": "?"}, {"id": "nowhere-2", "question": "?"}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(UserError, match="2 row ids match no item.*nowhere-1, nowhere-2"):
        paired(ITEMS, str(path), **NO_POOL)
    path.write_text(json.dumps(rows[0]) + "\n")
    with pytest.raises(UserError, match="3 items have no row"):
        paired(ITEMS, str(path), **NO_POOL)


def test_rephrase_generates_once_and_reads_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(rephrase_module.CACHE_ENV, str(tmp_path / "rephrase.jsonl"))
    calls = []

    def fake_generate(model, instruction, questions, seed):
        calls.append(list(questions))
        return [f"In verse: {q}" for q in questions]

    monkeypatch.setattr(rephrase_module, "_generate", fake_generate)
    first = rephrase(ITEMS, "some-model:poem", **NO_POOL)
    again = rephrase(ITEMS, "some-model:poem", **NO_POOL)
    assert first == again and len(calls) == 1 and len(calls[0]) == len(ITEMS)
    assert first[0].question == "In verse: What is the capital of Japan?" and first[0].cloze is None
    rephrase(ITEMS[:1], "some-model:translate:French", **NO_POOL)
    assert len(calls) == 2  # another instruction is another cache key
    with pytest.raises(UserError, match="rephrase:MODEL"):
        rephrase(ITEMS, "some-model:limerick", **NO_POOL)


def test_rephrase_with_a_real_model_writes_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(rephrase_module.CACHE_ENV, str(tmp_path / "cache.jsonl"))
    monkeypatch.setattr(rephrase_module, "REPHRASE_TOKENS", 4)  # a random model: keep it short
    reworded = rephrase(ITEMS[:2], "tiny-random:conversation", **NO_POOL)
    lines = (tmp_path / "cache.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["model"] == "tiny-random"
    assert [r.answer for r in reworded] == [0, 0]


def test_transforms_compose_in_order():
    items = apply_transforms(ITEMS, ["fewshot:2", "relabel:lower", "shuffle", "filler:latin"])
    for item in items:
        text = letter_prompt(item)
        assert text.startswith(FILLER["latin"]) and "\na. " in text and "\nA. " not in text
        assert item.answer_text == {i.id: i for i in ITEMS}[item.id].answer_text


def test_eval_cli_runs_a_prompt_attack_and_rejects_a_bad_one(tmp_path, capsys):
    args = ["eval", "--model", "tiny-random", "--data", "capitals:group=Oceania", "--limit", "3"]
    assert main([*args, "--transform", "template:2", "--out", str(tmp_path / "ok")]) == 0
    result = json.loads((tmp_path / "ok" / "result.json").read_text())
    assert result["metrics"]["capitals:group=Oceania"]["cloze/template:2"]["n"] == 3
    capsys.readouterr()
    assert main([*args, "--transform", "relabel:roman", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown labels 'roman'") and "\n" not in err
