"""RTT: folds that never leak, the lr/epoch choices and recovery on hand-computed numbers, the
answer-only training texts, and a full run on tiny-random through the CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest

from remnant.attacks.folds import assign_folds, check_no_overlap, make_folds, split
from remnant.attacks.rtt import training_texts
from remnant.attacks.rtt_select import (
    choose,
    fold_mean_curve,
    recovery_above_control,
    recovery_metric,
    summarize,
)
from remnant.batches import IGNORE, encode_texts
from remnant.cli import main
from remnant.data.schema import FactSet, Item
from remnant.errors import UserError
from remnant.models import tiny_random


def item(n: int, subject: str, fold: int | None = None, question: str = "") -> Item:
    return Item(
        id=f"x-{n}",
        question=question or f"What is the capital of {subject}?",
        choices=("A1", "B2"),
        answer=0,
        cloze=f"The capital of {subject} is",
        fold=fold,
        subject=subject,
    )


def test_made_folds_are_deterministic_balanced_and_keep_a_subject_together():
    items = [item(n, f"Land{n % 7}") for n in range(20)]  # 7 subjects, some with 3 items
    folds = make_folds(items, 3, seed=0)
    assert folds == make_folds(items, 3, seed=0)
    by_subject: dict[str, set[int]] = {}
    for it in items:
        by_subject.setdefault(it.subject, set()).add(folds[it.id])
    assert all(len(f) == 1 for f in by_subject.values())
    subjects_per_fold = [sum(1 for f in by_subject.values() if k in f) for k in range(3)]
    assert sorted(subjects_per_fold) == [2, 2, 3]
    for k in range(3):
        train, held_out = split(items, folds, k)
        assert not {i.id for i in train} & {i.id for i in held_out}
        check_no_overlap(train, held_out, "test")
    with pytest.raises(UserError, match="2 to 7 folds"):
        make_folds(items, 8, seed=0)


def test_fold_labels_are_used_when_complete_and_matching():
    labelled = [item(n, f"Land{n}", fold=(n % 2) * 3) for n in range(6)]  # labels 0 and 3
    folds, source = assign_folds(labelled, None, seed=0)
    assert source == "labels" and sorted(set(folds.values())) == [0, 1]
    assert assign_folds(labelled, 3, seed=0)[1] == "made"
    assert assign_folds([item(n, f"L{n}") for n in range(6)], None, seed=0)[1] == "made"


def test_overlap_of_subject_or_question_is_refused():
    with pytest.raises(UserError, match="shares its subject"):
        check_no_overlap([item(1, "Japan")], [item(2, "Japan", question="Japan's capital?")], "w")
    same_question = item(2, "Nippon", question="What is the capital of Japan?")
    with pytest.raises(UserError, match="shares its question"):
        check_no_overlap([item(1, "Japan")], [same_question], "w")


def test_lr_and_epoch_rules_by_hand():
    """Fold 0 has items a, b; fold 1 has c, d. Accuracies per epoch 0..2:
    lr 1: fold 0 [0, .5, 1], fold 1 [.5, .5, 0]  -> fold mean [.25, .5, .5]
    lr 2: fold 0 [0, .5, .5], fold 1 [.5, 1, 1]  -> fold mean [.25, .75, .75]
    Mean rule: (lr 2, epoch 1), the earlier of two equal epochs; after = a, c, d right.
    Per fold: fold 0 -> (lr 1, epoch 2) at 1.0, fold 1 -> (lr 2, epoch 1) at 1.0."""
    f, t = False, True
    runs = {
        1.0: {
            0: [{"a": f, "b": f}, {"a": t, "b": f}, {"a": t, "b": t}],
            1: [{"c": t, "d": f}, {"c": t, "d": f}, {"c": f, "d": f}],
        },
        2.0: {
            0: [{"a": f, "b": f}, {"a": t, "b": f}, {"a": f, "b": t}],
            1: [{"c": t, "d": f}, {"c": t, "d": t}, {"c": t, "d": t}],
        },
    }
    assert fold_mean_curve(runs[2.0]) == [0.25, 0.75, 0.75]
    assert choose(runs, "mean") == {0: (2.0, 1), 1: (2.0, 1)}
    assert choose(runs, "per-fold") == {0: (1.0, 2), 1: (2.0, 1)}
    mean = summarize(runs, "mean")
    assert mean["after"] == {"a": t, "b": f, "c": t, "d": t} and mean["chosen_lr"] == 2.0
    assert [p["acc"] for p in mean["curve"]] == [0.25, 0.75, 0.75]
    assert mean["grid"]["1"]["0"] == [0.0, 0.5, 1.0] and mean["epochs"] == {0: 1, 1: 1}
    per_fold = summarize(runs, "per-fold")
    assert per_fold["after"] == {"a": t, "b": t, "c": t, "d": t}
    assert per_fold["chosen_lr"] == {"0": 1.0, "1": 2.0} and per_fold["epochs"] == {0: 2, 1: 1}
    # Epoch 0 is never chosen, even when training only hurts; equal lrs: the first listed.
    falling = {lr: {0: [{"a": t}, {"a": f}, {"a": f}]} for lr in (3.0, 1.0)}
    assert choose(falling, "mean") == {0: (3.0, 1)}


def test_recovery_is_a_ratio_of_accuracies_with_a_paired_interval():
    """Unlearned+RTT right on 2 of 4 items, original+RTT on 4 of 4: recovery 0.5."""
    unlearned = {"a": True, "b": True, "c": False, "d": False}
    original = dict.fromkeys("abcd", True)
    result = recovery_metric(unlearned, original)
    assert result["value"] == 0.5 and result["n"] == 4
    low, high = result["ci"]
    assert 0.0 <= low <= 0.5 <= high <= 1.0


def test_recovery_above_the_control_floor_by_hand():
    """Original right on 4/4, control on 1/4, unlearned on 2/4: (0.5 - 0.25) / (1 - 0.25)."""
    original = dict.fromkeys("abcd", True)
    control = {"a": True, "b": False, "c": False, "d": False}
    unlearned = {"a": True, "b": True, "c": False, "d": False}
    result = recovery_above_control(unlearned, original, control)
    assert result["value"] == pytest.approx(1 / 3) and result["n"] == 4
    assert result["ci"][0] <= 1 / 3 <= result["ci"][1]


def test_training_texts_train_on_the_answer_tokens_only():
    tokenizer = tiny_random().tokenizer
    japan = Item("capitals-japan", "What is the capital of Japan?", ("Tokyo", "Osaka"), 0,
                 cloze="The capital of Japan is", subject="Japan")  # fmt: skip
    facts = FactSet("t", [japan], statements={japan.id: ["Tokyo is the capital of Japan."]})
    (pair,) = training_texts([japan], facts, "cloze", "prompts")
    assert pair == ("The capital of Japan is", " Tokyo")
    (example,) = encode_texts(tokenizer, [pair], max_length=64)
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE]
    assert tokenizer.decode(trained) == " Tokyo"
    (letter,) = training_texts([japan], facts, "letter", "prompts")
    assert letter[0].endswith("A. Tokyo\nB. Osaka\nAnswer:") and letter[1] == " A"
    both = training_texts([japan], facts, "cloze", "both")
    assert both[1] == "Tokyo is the capital of Japan."


def test_rtt_on_tiny_random_writes_the_schema(tmp_path):
    out = tmp_path / "rtt"
    args = ["attack", "rtt", "--model", "tiny-random", "--original", "tiny-random"]
    args += ["--control", "tiny-random"]
    args += ["--data", "capitals:group=South America", "--folds", "2", "--epochs", "2"]
    args += ["--lrs", "1e-4,1e-3", "--set", "max_length=16", "--out", str(out)]
    assert main(args) == 0
    result = json.loads((out / "result.json").read_text())
    metrics = result["metrics"]
    assert set(metrics) == {
        "unlearned", "original", "control", "recovery", "recovery_above_control"
    }  # fmt: skip
    assert metrics["unlearned"]["after"]["n"] == 11 and set(metrics["recovery"]) == {
        "value",
        "ci",
        "n",
    }
    assert [p["epoch"] for p in result["curves"]["original"]] == [0, 1, 2]
    assert set(result["grid"]["unlearned"]) == {"0.0001", "0.001"}
    assert all(len(accs) == 3 for accs in result["grid"]["unlearned"]["0.001"].values())
    assert result["folds"] == {"k": 2, "source": "made", "sizes": [6, 5]}
    assert result["chosen_lr"]["unlearned"] in (1e-4, 1e-3)
    # The run's time covers every model's grid, the attacked model's (run first) included.
    assert result["seconds"] >= sum(result["seconds_by_model"].values())
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 33 and {r["model"] for r in rows} == {"unlearned", "original", "control"}


def test_a_cached_grid_is_reused_with_the_same_numbers(tmp_path, capsys):
    args = ["attack", "rtt", "--model", "tiny-random", "--original", "tiny-random", "--folds", "2"]
    args += ["--data", "capitals:group=South America", "--epochs", "1", "--lrs", "1e-3"]
    args += ["--set", "max_length=16", "--set", f"cache={tmp_path / 'cache'}"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    first, second = (json.loads((tmp_path / d / "result.json").read_text()) for d in "ab")
    # Both specs are the same seeded weights: even the first run retrains them only once.
    assert first["reused_from_cache"] == ["original"]
    assert len(list((tmp_path / "cache").iterdir())) == 1
    assert second["reused_from_cache"] == ["unlearned", "original"]
    assert second["metrics"] == first["metrics"] and second["grid"] == first["grid"]


@pytest.mark.parametrize("params", ["full", "lora"])
def test_every_run_starts_from_the_same_weights_and_ends_back_there(params):
    """Two lrs x two folds train the model four times; each run must start from the original
    weights (so the grid's epoch-0 scores agree) and leave them unchanged at the end."""
    import torch

    from remnant.attacks.common import restore, snapshot
    from remnant.attacks.rtt import Config, rtt_cell, rtt_grid
    from remnant.data import load_facts
    from remnant.train import TrainConfig

    loaded = tiny_random()
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    snapshot_of_before = snapshot(loaded.model)
    facts = load_facts("capitals:group=South America")
    fold_of = make_folds(facts.items, 2, seed=0)
    config = Config(lrs=[1e-2, 3e-2], epochs=1)
    settings = TrainConfig(params=params, batch_size=8, max_length=16, bf16=False)
    runs = rtt_grid(loaded, facts, fold_of, config, settings, who="t", batch_size=8, seed=0)
    assert runs[1e-2][0][0] == runs[3e-2][0][0]
    after = loaded.model.state_dict()
    assert set(after) == set(before)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.requires_grad for p in loaded.model.parameters())
    # ...and a run does train: its outputs move before the weights are put back.
    train_items, held_out = split(facts.items, fold_of, 0)
    texts = training_texts(train_items, facts, "cloze", "prompts")
    probe = torch.tensor([[1, 2, 3]])
    logits = loaded.model(probe).logits
    short = dataclasses.replace(settings, lr=1e-2, steps=2, eval_every=1)
    trained, epochs = rtt_cell(
        loaded.model, loaded.tokenizer, texts, held_out, short,
        scorer="cloze", before=None, batch_size=8, seed=0, who="t",
    )  # fmt: skip
    assert len(epochs) == 3 and not torch.allclose(trained(probe).logits, logits)
    restored = restore(trained, snapshot_of_before)
    assert torch.allclose(restored(probe).logits, logits)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "lr=1e-4"], "error: RTT sets lr itself"),
        (["--lrs", "0"], "error: the lr grid needs positive values"),
        (["--lr-rule", "median"], "error: lr_rule='median' is not one of mean, per-fold"),
        (["--folds", "40"], "error: RTT needs 2 to 11 folds"),
    ],
)
def test_bad_rtt_settings_exit_2_with_one_line(tmp_path, capsys, extra, message):
    args = ["attack", "rtt", "--model", "tiny-random", "--original", "tiny-random"]
    args += ["--data", "capitals:group=South America", "--out", str(tmp_path / "r"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err


def test_subject_in_two_folds_is_refused(tmp_path, capsys):
    rows = [item(0, "Japan", fold=0), item(1, "Japan", fold=1, question="Japan's capital?")]
    rows += [item(2, "Peru", fold=0), item(3, "Chile", fold=1)]
    path = tmp_path / "leaky.jsonl"
    path.write_text("".join(json.dumps(r.to_record()) + "\n" for r in rows))
    args = ["attack", "rtt", "--model", "tiny-random", "--original", "tiny-random"]
    assert main([*args, "--data", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "shares its subject" in err and "x-0" in err and "\n" not in err
