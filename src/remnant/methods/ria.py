"""RIA: NLL on statements with a random wrong answer + retain NLL (Deeb & Roger 2024).

Random incorrect answer, Deeb & Roger 2024, "Do Unlearning Methods Remove Information from
Language Model Weights?".
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
    """Deeb & Roger's RIA runs on years (conf/*.yaml, their `WHP` loss): lr 8e-7, 5 epochs,
    batch 4, 24 warmup steps."""
    return {"lr": 8e-7, "epochs": 5.0, "batch_size": 4, "warmup_steps": 24}


# Embedded model on capitals: forget Asia 0.90 → 0.34, retain 0.77 → 0.98 (benchmarks/RESULTS.md,
# "Unlearning on the embedded model"). Random wrong answers never push the true one down
# directly, so RIA needs the most updates (batch 8 stopped at 0.54).
EMBEDDED: dict[str, Any] = {
    "lr": 1e-3,
    "steps": 96,
    "batch_size": 16,
    "max_length": 32,
    "retain_weight": 1.0,
}


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    """The forget set's RIA corpus (a different wrong answer in every phrasing) and retain."""
    return {"forget": forget.texts("ria"), "retain": retain.texts("statements")}


def objective(wrong_nll: torch.Tensor, retain_nll: torch.Tensor, config: Config) -> torch.Tensor:
    """NLL(wrong-answer statements) + λ·NLL(retain): both descended."""
    return wrong_nll + config.retain_weight * retain_nll


def loss(model, batches: dict, config: Any, state: Any) -> tuple[torch.Tensor, dict]:
    wrong, retain = mean_nll(model, batches["forget"], batches["retain"])
    logs = {"wrong_nll": wrong, "retain_nll": retain}
    return objective(wrong, retain, config), logs
