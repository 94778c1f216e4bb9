"""FWF: NLL on statements with one fixed wrong answer + retain NLL (Deeb & Roger 2024).

Fixed wrong fact, Deeb & Roger 2024, "Do Unlearning Methods Remove Information from Language
Model Weights?".

The loss is RIA's; only the corpus differs (the same wrong answer in every phrasing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from remnant.methods.ria import loss, objective

__all__ = ["Config", "EMBEDDED", "corpora", "loss", "objective", "train_settings"]


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
    """Deeb & Roger's FWF runs on years (conf/*.yaml): lr 8e-7, 5 epochs, batch 4, 24 warmup
    steps."""
    return {"lr": 8e-7, "epochs": 5.0, "batch_size": 4, "warmup_steps": 24}


# Embedded model on capitals: forget Asia 0.90 → 0.24, retain 0.77 → 0.96 (benchmarks/RESULTS.md).
EMBEDDED: dict[str, Any] = {
    "lr": 3e-4,
    "steps": 28,
    "batch_size": 16,
    "max_length": 32,
    "retain_weight": 1.0,
}


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    """The forget set's FWF corpus (one fixed wrong answer per fact) and retain."""
    return {"forget": forget.texts("fwf"), "retain": retain.texts("statements")}
