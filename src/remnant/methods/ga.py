"""GA: gradient ascent on the forget corpus (Jang et al. 2023, "Knowledge Unlearning").

Jang et al. 2023, "Knowledge Unlearning for Mitigating Privacy Risks in Language Models".

The loss is the negated causal-LM loss on forget texts; nothing holds the rest of the model in
place, so it damages retained knowledge too (the reason GD, NPO and RMU add a retain term).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from remnant.methods.common import mean_nll


@dataclass
class Config:
    forget_weight: float = field(
        default=1.0, metadata={"help": "scale of the ascent term (plain GA in Jang et al. §3)"}
    )


def train_settings(config: Config) -> dict[str, Any]:
    """Jang et al. §4: Adam at lr 5e-5, constant schedule."""
    return {"lr": 5e-5, "schedule": "constant"}


# Embedded model on capitals: forget Asia 0.90 → 0.51 while retain 0.77 → 0.39; GA has no retain
# term (benchmarks/RESULTS.md).
EMBEDDED: dict[str, Any] = {"lr": 2e-5, "steps": 8, "batch_size": 16, "max_length": 32}


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    return {"forget": forget.texts("statements")}


def objective(forget_nll: torch.Tensor, config: Config) -> torch.Tensor:
    """−w · NLL(forget): minimizing it raises the forget loss."""
    return -config.forget_weight * forget_nll


def loss(model, batches: dict, config: Config, state: Any) -> tuple[torch.Tensor, dict]:
    (forget,) = mean_nll(model, batches["forget"])
    return objective(forget, config), {"forget_nll": forget}
