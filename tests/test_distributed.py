"""Two processes under `accelerate launch` follow the loss trajectory of one process that
accumulates twice as many micro-batches (the same effective batch), with the model replicated
(DDP), sharded (FSDP) or partitioned (DeepSpeed ZeRO-3), and the shipped accelerate configs
launch."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

# The launcher installed beside this interpreter (the venv's bin is not always on PATH).
ACCELERATE = shutil.which("accelerate", path=str(Path(sys.executable).parent)) or shutil.which(
    "accelerate"
)
CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "accelerate"

SETTINGS = ["--model", "tiny-random", "--forget", "capitals:group=Oceania"]
SETTINGS += ["--retain", "capitals:group=Europe", "--set", "steps=3", "--set", "batch_size=2"]
SETTINGS += ["--set", "bf16=false"]
# GD runs the whole model; RMU trains a layer subset, stops its forward at layer ℓ and replays
# frozen copies of the trained layers.
METHODS = {"gd": ["--method", "gd"], "rmu": ["--method", "rmu", "--set", "layer=1"]}
# On CPU, accelerate's multi-process launcher is the one behind --multi_gpu (or a config's
# MULTI_GPU / FSDP distributed type); each process joins a gloo process group.
FLAGS = ["--multi_gpu", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
DEEPSPEED = importlib.util.find_spec("deepspeed") is not None


def _losses(out):
    result = json.loads((out / "result.json").read_text())
    return result, [point["loss"] for point in result["curves"]["loss"]]


def _unlearn(out, method, grad_accum, launch=None):
    command = [*launch, "-m"] if launch else [sys.executable, "-m"]
    command += ["remnant", "unlearn", *METHODS[method], *SETTINGS]
    command += ["--set", f"grad_accum={grad_accum}", "--out", str(out)]
    subprocess.run(command, check=True, timeout=600)
    return _losses(out)


def _match_one_process(tmp_path, one, method, launch, *, flag, atol):
    """Two launched processes against the one-process run `one`: the same losses, the same
    evaluations (run on both processes) and, written by the main process, the same weights."""
    out_one, result_one, losses_one = one
    result_two, losses_two = _unlearn(tmp_path / "two", method, grad_accum=1, launch=launch)
    assert result_two["train"][flag] and result_two["env"]["world_size"] == 2
    assert losses_two == pytest.approx(losses_one, rel=1e-4, abs=1e-6)
    for role, metrics in result_one["metrics"].items():
        assert result_two["metrics"][role]["after"]["acc"] == metrics["after"]["acc"]
    gathered = AutoModelForCausalLM.from_pretrained(tmp_path / "two" / "model")
    plain = AutoModelForCausalLM.from_pretrained(out_one / "model")
    assert type(gathered).__name__ == "LlamaForCausalLM"
    for (name, a), (_, b) in zip(gathered.named_parameters(), plain.named_parameters()):
        assert torch.allclose(a, b, atol=atol), name


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """The single-process reference of each method, accumulation 2, run once per module."""
    runs = {}

    def run(method):
        if method not in runs:
            out = tmp_path_factory.mktemp(f"one-{method}")
            runs[method] = (out, *_unlearn(out, method, grad_accum=2))
        return runs[method]

    return run


@pytest.mark.skipif(ACCELERATE is None, reason="accelerate CLI not installed")
@pytest.mark.parametrize("launch", [FLAGS, ["--config_file", str(CONFIGS / "ddp.yaml")]])
def test_two_processes_match_one_with_double_accumulation(tmp_path, one_process, launch):
    launch = [ACCELERATE, "launch", *launch, "--num_processes", "2"]
    result_two, losses_two = _unlearn(tmp_path / "two", "gd", grad_accum=1, launch=launch)
    _, result_one, losses_one = one_process("gd")
    assert losses_two == pytest.approx(losses_one, rel=1e-4, abs=1e-6)
    assert result_two["env"]["world_size"] == 2 and result_one["env"]["world_size"] == 1
    assert result_two["train"]["effective_batch"] == result_one["train"]["effective_batch"] == 4
    assert not result_two["train"]["fsdp"]
    assert (tmp_path / "two" / "model" / "model.safetensors").exists()


@pytest.mark.skipif(ACCELERATE is None, reason="accelerate CLI not installed")
@pytest.mark.parametrize("method", sorted(METHODS))
def test_fsdp_two_processes_match_one_with_double_accumulation(tmp_path, one_process, method):
    launch = [ACCELERATE, "launch", "--config_file", str(CONFIGS / "fsdp.yaml")]
    launch += ["--num_processes", "2"]
    _match_one_process(tmp_path, one_process(method), method, launch, flag="fsdp", atol=1e-6)


@pytest.mark.skipif(ACCELERATE is None, reason="accelerate CLI not installed")
@pytest.mark.skipif(
    not DEEPSPEED, reason="deepspeed not installed (pip install 'remnant[deepspeed]')"
)
@pytest.mark.parametrize(
    "method, config", [("gd", "shipped"), ("gd", "every-weight"), ("rmu", "every-weight")]
)
def test_zero3_two_processes_match_one_with_double_accumulation(
    tmp_path, one_process, method, config
):
    # DeepSpeed keeps weights under 1e5 elements whole on every process, so the shipped config
    # partitions only the tiny model's embeddings (tied to the LM head); a DeepSpeed config
    # file with that threshold at 0 partitions every weight, RMU's trained layers included.
    launch = [ACCELERATE, "launch", "--config_file", str(CONFIGS / "deepspeed-zero3.yaml")]
    if config == "every-weight":
        settings = {"zero_optimization": {"stage": 3, "stage3_param_persistence_threshold": 0}}
        (tmp_path / "ds.json").write_text(json.dumps(settings))
        launch = [ACCELERATE, "launch", "--use_deepspeed", "--num_machines", "1"]
        launch += ["--mixed_precision", "no", "--dynamo_backend", "no"]
        launch += ["--deepspeed_config_file", str(tmp_path / "ds.json")]
    launch += ["--num_processes", "2"]
    # RMU's weights differ by 1e-6: DeepSpeed's reduce-scatter sums gradients in another order.
    _match_one_process(tmp_path, one_process(method), method, launch, flag="zero3", atol=1e-5)
