"""Model specs: aliases, local dirs, run dirs, and the errors for bad specs."""

import json
import time

import pytest
import torch
from transformers import AutoModelForCausalLM

from remnant.errors import UserError
from remnant.models import load_model, pick_dtype, resolve_spec, save_model


def test_tiny_random_is_seeded():
    a = load_model("tiny-random", seed=1).model
    b = load_model("tiny-random", seed=1).model
    c = load_model("tiny-random", seed=2).model
    assert a.config.num_hidden_layers == 2
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_tiny_random_does_not_disturb_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_model("tiny-random")
    assert torch.equal(torch.rand(3), expected)


def test_save_and_reload_round_trip(tmp_path):
    tiny = load_model("tiny-random")
    save_model(tiny.model, tiny.tokenizer, tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").exists()
    plain = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    reloaded = load_model(str(tmp_path / "m"))
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        expected = tiny.model(ids).logits
        assert torch.allclose(reloaded.model(ids).logits, expected)
        assert torch.allclose(plain(ids).logits, expected)
    assert reloaded.info["sha256"] and len(reloaded.info["sha256"]) == 64


def test_run_directory_resolves_to_its_model(tmp_path):
    tiny = load_model("tiny-random")
    save_model(tiny.model, tiny.tokenizer, tmp_path / "run" / "model")
    (tmp_path / "run" / "result.json").write_text(json.dumps({"schema_version": 1}))
    loaded = load_model(str(tmp_path / "run"))
    assert loaded.info["resolved_path"].endswith("model")
    assert loaded.info["parent_run"].endswith("run")


@pytest.mark.parametrize("spec", ["./missing-dir", "/no/such/model", "smolm2-135m"])
def test_bad_specs_are_user_errors(spec):
    with pytest.raises(UserError, match="no such model"):
        resolve_spec(spec)


def test_dir_without_weights(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UserError, match="no .safetensors"):
        resolve_spec(str(tmp_path))
    (tmp_path / "config.json").unlink()
    with pytest.raises(UserError, match="no config.json"):
        resolve_spec(str(tmp_path))


def test_hub_id_offline_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.time()
    with pytest.raises(UserError, match="hub cannot be reached"):
        load_model("some-org/not-cached-model")
    assert time.time() - start < 10


def test_dtype_choice():
    assert pick_dtype("auto", torch.device("cpu")) == torch.float32
    assert pick_dtype("auto", torch.device("cuda")) == torch.bfloat16
    with pytest.raises(UserError, match="unknown dtype"):
        pick_dtype("fp7", torch.device("cpu"))


@pytest.mark.slow
def test_embedded_model_loads_from_cache_quickly():
    load_model("smollm2-135m")  # converts on first use
    start = time.time()
    loaded = load_model("smollm2-135m")
    assert time.time() - start < 5
    assert loaded.model.config.num_hidden_layers == 30


def test_quantization_mark_is_dropped_from_a_cached_config(tmp_path):
    from remnant.models import _drop_quantization_config

    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": "llama", "quantization_config": {"dequantize": False}})
    )
    _drop_quantization_config(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text()) == {"model_type": "llama"}


def test_auto_device_is_the_gpu_of_this_process_under_a_launcher(monkeypatch):
    from remnant.models import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert pick_device("auto") == torch.device("cuda", 1)
    monkeypatch.delenv("LOCAL_RANK")
    assert pick_device("auto") == torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")
