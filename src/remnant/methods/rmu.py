"""RMU: steer layer-ℓ activations of forget tokens to c·u, keep retain ones (Li et al. 2024).

Representation misdirection (Li et al. 2024, "The WMDP Benchmark: Measuring and Reducing
Malicious Use With Unlearning", §5): push forget activations toward a fixed random direction
c·u and keep retain activations at the frozen model's.

Only layers up to ℓ matter to this loss, so every forward stops at layer ℓ (no upper layers, no
LM head). The frozen model is not a second full copy: layers below the first trained layer are
frozen anyway, so the retain batch runs them once, and frozen copies of just the trained layers
(ℓ-2..ℓ by default) replay their input to give the frozen activations.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch

from remnant.batches import stack
from remnant.errors import UserError
from remnant.methods.common import decoder_layers, replay, run_to_layer, unwrap


@dataclass
class Config:
    steering_coeff: float = field(
        default=6.5, metadata={"help": "c, norm of the steering target c·u (WMDP §5; 6.5 Zephyr)"}
    )
    alpha: float = field(
        default=1200.0, metadata={"help": "α, weight of the retain loss (WMDP §5; 1200 Zephyr)"}
    )
    layer: int = field(
        default=7, metadata={"help": "ℓ, decoder layer whose output is steered (0-based; 7 Zephyr)"}
    )


def train_settings(config: Config) -> dict[str, Any]:
    """The CAIS run (rmu/unlearn.py defaults): AdamW lr 5e-5, 150 batches of 4 texts of up to
    512 tokens, no clipping, updating `mlp.down_proj` of layers ℓ-2..ℓ."""
    return {
        "params": "subset",
        "layers": [i for i in range(config.layer - 2, config.layer + 1) if i >= 0],
        "param_pattern": r"mlp\.down_proj",
        "lr": 5e-5,
        "steps": 150,
        "batch_size": 4,
        "max_length": 512,
        "clip": 0.0,
    }


# Embedded model (smollm2-135m, 30 layers) on capitals: forget Asia 0.90 → 0.32, retain 0.77 →
# 0.77, 4 s of training (benchmarks/RESULTS.md). Its layer-7 activations have norm ~125, so the
# target c·u must be far larger than Zephyr's c = 6.5 to move them.
EMBEDDED: dict[str, Any] = {
    "layer": 7,
    "steering_coeff": 300.0,
    "alpha": 30.0,
    "lr": 3e-3,
    "steps": 40,
    "batch_size": 16,
    "max_length": 32,
}


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    return {"forget": forget.texts("statements"), "retain": retain.texts("statements")}


def setup(model, examples: dict, config: Config, seed: int = 0) -> dict[str, Any]:
    """The control vector c·u and frozen copies of layers k..ℓ (k = first trained layer)."""
    layers = decoder_layers(model)
    if not 0 <= config.layer < len(layers):
        raise UserError(
            f"layer {config.layer} is beyond the model's depth",
            f"--set layer={config.layer}",
            f"the model has {len(layers)} layers: use 0..{len(layers) - 1}",
        )
    layer_of = {id(p): i for i, block in enumerate(layers) for p in block.parameters()}
    trained = [p for p in model.parameters() if p.requires_grad]
    ids = {layer_of.get(id(p)) for p in trained}
    if None in ids or max(ids) > config.layer:
        raise UserError(
            "rmu trains only decoder layers at or below ℓ; nothing else gets a gradient",
            f"layer={config.layer}",
            "use --set params=subset layers=... (ids ≤ ℓ), or LoRA limited to those layers",
        )
    first = min(ids)
    frozen = [
        copy.deepcopy(layers[i]).requires_grad_(False) for i in range(first, config.layer + 1)
    ]
    parameter = next(model.parameters())
    # u: entries uniform in [0, 1), normalized, fixed for the run (rmu/unlearn.py).
    generator = torch.Generator().manual_seed(seed)
    u = torch.rand(_hidden_size(model), generator=generator)
    target = (config.steering_coeff * u / u.norm()).to(parameter.device)
    return {"first": first, "frozen": frozen, "target": target}


def _hidden_size(model) -> int:
    config = unwrap(model).config
    return int(config.get_text_config().hidden_size)


def masked_mse(activations: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens of the mean squared difference over hidden units.

    rmu/unlearn.py takes `mse_loss` over every position, padding included; here padding is
    masked out. `target` is [H] (the steering vector) or [B, T, H] (frozen activations).
    """
    squared = (activations.float() - target.float()).pow(2).mean(dim=-1)
    weights = mask.to(squared.dtype)
    return (squared * weights).sum() / weights.sum().clamp(min=1.0)


def objective(forget_loss: torch.Tensor, retain_loss: torch.Tensor, alpha: float) -> torch.Tensor:
    """L_forget + α·L_retain (WMDP §5)."""
    return forget_loss + alpha * retain_loss


def loss(model, batches: dict, config: Config, state: dict) -> tuple[torch.Tensor, dict]:
    # Forget and retain rows share one forward (half the kernel launches and weight casts);
    # the frozen layers replay the retain rows only.
    both = stack(batches["forget"], batches["retain"])
    n = batches["forget"]["input_ids"].shape[0]
    activations, recorded = run_to_layer(model, both, config.layer, replay_from=state["first"])
    with torch.no_grad():
        frozen = replay(state["frozen"], recorded, rows=slice(n, None))
    mask = both["attention_mask"]
    forget_loss = masked_mse(activations[:n], state["target"], mask[:n])
    retain_loss = masked_mse(activations[n:], frozen, mask[n:])
    logs = {"forget_mse": forget_loss, "retain_mse": retain_loss}
    return objective(forget_loss, retain_loss, config.alpha), logs
