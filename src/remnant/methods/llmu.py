"""LLMU: ascent on forget, random-mismatch NLL, KL to the original on retain (Yao et al. 2023).

Yao et al. 2023, "Large Language Model Unlearning": gradient ascent on forget answers, plus NLL
of random mismatched answers, plus KL to the frozen original model on retain data.

Doshi & Cooper Stickland ran LLMU without the random-mismatch term: `mismatch=false`. The
mismatch texts pair each forget prompt (a fact's cloze prefix, or the first half of a forget
text) with random answers from the retain data, as Yao et al. pair harmful questions with
random TruthfulQA answers; only the answer tokens are trained.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import torch

from remnant.batches import stack
from remnant.methods.common import (
    kl_to_reference,
    make_reference,
    per_sequence,
    reference_logits,
    target_logits,
    token_counts,
    token_nll,
)


@dataclass
class Config:
    forget_weight: float = field(
        default=0.5, metadata={"help": "ε1, weight of the ascent term (Yao et al. Eq. 6; 0.5)"}
    )
    mismatch_weight: float = field(
        default=1.0, metadata={"help": "ε2, weight of the random-mismatch term (Eq. 6; 1)"}
    )
    retain_weight: float = field(
        default=1.0, metadata={"help": "ε3, weight of the retain KL (Eq. 6; 1)"}
    )
    mismatch: bool = field(
        default=True, metadata={"help": "use the random-mismatch term (Doshi et al.: false)"}
    )
    mismatch_answers: int = field(
        default=5, metadata={"help": "K, random answers per forget prompt (Yao et al.'s code: 5)"}
    )


def train_settings(config: Config) -> dict[str, Any]:
    """Yao et al.'s code (unlearn_harm.py): AdamW lr 2e-6, batch 2, 1000 steps, linear decay."""
    return {"lr": 2e-6, "batch_size": 2, "steps": 1000, "schedule": "linear"}


# Embedded model on capitals: forget Asia 0.90 → 0.34 but retain 0.77 → 0.27 with the mismatch
# term (its random answers are retain capitals); 0.63 / 0.79 without it (benchmarks/RESULTS.md).
EMBEDDED: dict[str, Any] = {"lr": 3e-5, "steps": 20, "batch_size": 16, "max_length": 32}


def _split_text(text: str) -> tuple[str, str]:
    words = text.split()
    half = max(1, len(words) // 2)
    return " ".join(words[:half]), " " + " ".join(words[half:])


def mismatch_pairs(forget, retain, answers_per_prompt: int, seed: int) -> list[tuple[str, str]]:
    """(forget prompt, random retain answer) pairs, `answers_per_prompt` per forget prompt."""
    if forget.facts is not None:
        prompts = [item.cloze or item.question for item in forget.facts.items]
    else:
        prompts = [_split_text(text)[0] for text in forget.texts()]
    if retain.facts is not None:
        answers = [" " + item.answer_text + "." for item in retain.facts.items]
    else:
        answers = [_split_text(text)[1] for text in retain.texts()]
    rng = random.Random(f"llmu-mismatch:{seed}")
    return [(prompt, rng.choice(answers)) for prompt in prompts for _ in range(answers_per_prompt)]


def corpora(forget, retain, config: Config, seed: int) -> dict[str, list]:
    texts = {"forget": forget.texts("statements"), "retain": retain.texts("statements")}
    if config.mismatch:
        texts["mismatch"] = mismatch_pairs(forget, retain, config.mismatch_answers, seed)
    return texts


def setup(model, examples: dict, config: Config) -> Any:
    """The frozen original model for the retain KL (None under LoRA: adapters switched off)."""
    return make_reference(model)


def answer_nll(nll: torch.Tensor, rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Mean over texts of each text's per-token NLL on its trained tokens (Yao et al. weight
    every answer equally, whatever its length)."""
    return (per_sequence(nll, rows, n_rows) / token_counts(rows, n_rows)).mean()


def objective(
    forget_nll: torch.Tensor, mismatch_nll: torch.Tensor, retain_kl: torch.Tensor, config: Config
) -> torch.Tensor:
    """−ε1·NLL(forget) + ε2·NLL(mismatch) + ε3·KL(retain)."""
    mismatch = config.mismatch_weight * mismatch_nll if config.mismatch else 0.0
    return -config.forget_weight * forget_nll + mismatch + config.retain_weight * retain_kl


def loss(model, batches: dict, config: Config, state: Any) -> tuple[torch.Tensor, dict]:
    names = ["forget", "mismatch", "retain"] if config.mismatch else ["forget", "retain"]
    parts = [batches[name] for name in names]
    logits, targets, rows = target_logits(model, stack(*parts))  # one forward for all three
    nll = token_nll(logits, targets)
    terms, offset = {}, 0
    for name, part in zip(names, parts, strict=True):
        size = part["input_ids"].shape[0]
        mine = (rows >= offset) & (rows < offset + size)
        terms[name] = (mine, rows[mine] - offset, size)
        offset += size
    forget_nll = answer_nll(nll[terms["forget"][0]], *terms["forget"][1:])
    mismatch_nll = torch.zeros((), device=nll.device)
    if config.mismatch:
        mismatch_nll = answer_nll(nll[terms["mismatch"][0]], *terms["mismatch"][1:])
    ref_logits = reference_logits(model, state, batches["retain"])
    retain_kl = kl_to_reference(logits[terms["retain"][0]], ref_logits).mean()
    logs = {"forget_nll": forget_nll, "mismatch_nll": mismatch_nll, "retain_kl": retain_kl}
    return objective(forget_nll, mismatch_nll, retain_kl, config), logs
