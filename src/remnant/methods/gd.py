"""GD: gradient difference, −NLL(forget) + λ·NLL(retain) (Deeb & Roger 2024).

The GD baseline of Deeb & Roger 2024, "Do Unlearning Methods Remove Information from Language
Model Weights?" (after Liu et al. 2022).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from remnant.methods.common import mean_nll


@dataclass
class Config:
    retain_weight: float = field(
        default=1.0,
        metadata={
            "help": "λ, weight of the retain NLL (Deeb & Roger's retain coefficient rc, "
            "swept over 1e-3..1e3)"
        },
    )


def train_settings(config: Config) -> dict[str, Any]:
    """Deeb & Roger's GD runs on their years/MMLU data (conf/*.yaml): lr 4e-7, 5 epochs,
    batch 4, 24 warmup steps."""
    return {"lr": 4e-7, "epochs": 5.0, "batch_size": 4, "warmup_steps": 24}


# Embedded model on capitals: forget Asia 0.90 → 0.27, retain 0.77 → 0.87 (benchmarks/RESULTS.md,
# "Unlearning on the embedded model").
EMBEDDED: dict[str, Any] = {
    "lr": 1.5e-4,
    "steps": 32,
    "batch_size": 16,
    "max_length": 32,
    "retain_weight": 1.0,
}


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    return {"forget": forget.texts("statements"), "retain": retain.texts("statements")}


def objective(forget_nll: torch.Tensor, retain_nll: torch.Tensor, config: Config) -> torch.Tensor:
    """−NLL(forget) + λ·NLL(retain)."""
    return -forget_nll + config.retain_weight * retain_nll


def loss(model, batches: dict, config: Config, state: Any) -> tuple[torch.Tensor, dict]:
    forget, retain = mean_nll(model, batches["forget"], batches["retain"])
    logs = {"forget_nll": forget, "retain_nll": retain}
    return objective(forget, retain, config), logs
