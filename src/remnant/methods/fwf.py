"""FWF: NLL on statements with one fixed wrong answer + retain NLL (Deeb & Roger 2024).

Fixed wrong fact, Deeb & Roger 2024, "Do Unlearning Methods Remove Information from Language
Model Weights?".

The loss, its settings and Deeb & Roger's training settings (the same for their FWF and RIA
runs on years) are RIA's; only the corpus differs (the same wrong answer in every phrasing).
"""

from __future__ import annotations

from typing import Any

from remnant.methods.ria import Config, loss, objective, train_settings

__all__ = ["Config", "EMBEDDED", "corpora", "loss", "objective", "train_settings"]


# Embedded model on capitals: forget Asia 0.90 → 0.22, retain 0.77 → 0.96 (benchmarks/RESULTS.md).
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
