"""`remnant unlearn` and `remnant learn` end to end on tiny-random: the result layout, the saved
model, the presets, and every kind of bad input ending in exit 2 with one clear line."""

import json
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM

from remnant.cli import main
from remnant.commands.unlearn import method_settings
from remnant.methods import METHODS

PRESETS = sorted((Path(__file__).parent.parent / "examples" / "presets").glob("*.yaml"))
ASIA, REST = "capitals:group=Asia", "capitals:group!=Asia"


def unlearn(out, *extra):
    base = ["unlearn", "--model", "tiny-random", "--forget", ASIA, "--retain", REST]
    return main([*base, "--out", str(out), "--set", "steps=2", *extra])


def one_error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    return lines[0]


def test_unlearn_writes_model_and_results(tmp_path, capsys):
    assert unlearn(tmp_path / "run", "--method", "gd", "--set", "eval_every=1") == 0
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "complete" and result["kind"] == "unlearn"
    assert result["config"]["method"] == "gd" and result["config"]["preset"] == "embedded"
    for role, spec in (("forget", ASIA), ("retain", REST)):
        entry = result["metrics"][role]
        assert entry["data"] == spec and entry["scorer"] == "cloze"
        assert {"acc", "stderr", "n"} <= set(entry["before"]) and "acc" in entry["after"]
        assert [p["step"] for p in result["curves"][role]] == [0, 1, 2]
    assert [p["step"] for p in result["curves"]["loss"]] == [1, 2]
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "run" / "model")
    assert model.config.num_hidden_layers == 2
    rows = [
        json.loads(line)
        for line in (tmp_path / "run" / "samples.jsonl").read_text().split("\n")
        if line
    ]
    assert {row["role"] for row in rows} == {"forget", "retain"}
    assert "forget" in capsys.readouterr().out


def test_lora_unlearning_is_scored_and_saved_merged(tmp_path):
    # The scorers read the transformers model inside the peft wrapper, LoRA layers active.
    out = tmp_path / "lora"
    assert unlearn(out, "--method", "gd", "--set", "params=lora", "--keep-adapter") == 0
    result = json.loads((out / "result.json").read_text())
    assert result["metrics"]["forget"]["after"]["n"] == 41
    assert (out / "adapter" / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out / "model")
    assert not any("lora" in name for name, _ in merged.named_parameters())


def test_learn_writes_model_and_results(tmp_path):
    out = tmp_path / "learned"
    argv = ["learn", "--model", "tiny-random", "--data", "birthdays@n=8", "--out", str(out)]
    assert main([*argv, "--format", "both", "--set", "steps=2"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["kind"] == "learn" and set(result["metrics"]) == {"train"}
    assert (out / "model" / "model.safetensors").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "forget-it"], "unknown method 'forget-it'"),
        (["--method", "gd", "--set", "stpes=3"], "did you mean 'steps'"),
        (["--method", "gd", "--set", "lr=fast"], "lr='fast' is not float"),
        (
            ["--method", "gd", "--set", "params=subset", "--set", "layers=7"],
            "beyond the model's depth",
        ),
        (["--method", "rmu", "--set", "layer=9"], "beyond the model's depth"),
        (["--method", "gd", "--preset", "nowhere.yaml"], "cannot read the preset"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, extra, message):
    assert unlearn(tmp_path / "run", *extra) == 2
    assert message in one_error_line(capsys)


def test_empty_forget_set(tmp_path, capsys):
    argv = ["unlearn", "--model", "tiny-random", "--method", "gd", "--out", str(tmp_path)]
    assert main([*argv, "--forget", "capitals:group=Atlantis", "--retain", REST]) == 2
    assert "empty" in one_error_line(capsys)


def test_retain_equal_to_forget(tmp_path, capsys):
    argv = ["unlearn", "--model", "tiny-random", "--method", "gd", "--out", str(tmp_path)]
    assert main([*argv, "--forget", ASIA, "--retain", ASIA]) == 2
    assert "in both the forget and the retain set" in one_error_line(capsys)


def test_nan_loss_fails_the_run_and_writes_no_model(tmp_path, capsys, monkeypatch):
    original = METHODS["gd"].loss

    def nan_loss(model, batches, config, state):
        value, logs = original(model, batches, config, state)
        return value * float("nan"), logs

    monkeypatch.setattr(METHODS["gd"], "loss", nan_loss)
    assert unlearn(tmp_path / "run", "--method", "gd") == 2
    assert "became nan" in one_error_line(capsys)
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "failed" and not (tmp_path / "run" / "model").exists()


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_shipped_presets_apply(path):
    name, module, config, train_config, preset = method_settings(None, str(path), {}, "any/model")
    assert name in METHODS and preset == str(path)
    assert train_config.lr > 0 and (train_config.steps > 0 or train_config.epochs > 0)


def test_cais_preset_values():
    path = next(p for p in PRESETS if p.stem == "rmu-zephyr-cais")
    _, _, config, train_config, _ = method_settings("rmu", str(path), {}, "any/model")
    assert (config.steering_coeff, config.alpha, config.layer) == (6.5, 1200.0, 7)
    assert train_config.layers == [5, 6, 7] and train_config.steps == 150
    assert (train_config.batch_size, train_config.lr, train_config.max_length) == (4, 5e-5, 512)


def test_layers_follow_l_and_set_wins_over_presets():
    _, _, config, train_config, preset = method_settings(
        "rmu", "auto", {"layer": "4"}, "tiny-random"
    )
    assert preset == "embedded" and config.layer == 4 and train_config.layers == [2, 3, 4]
    _, _, _, train_config, preset = method_settings("gd", "auto", {"lr": "1e-3"}, "org/model")
    assert preset == "paper" and train_config.lr == 1e-3 and train_config.warmup_steps == 24
