"""Tokenization as lm-evaluation-harness does it, and batched forwards that compute only what
a scorer reads: the transformer body, then the LM head only where (and for the rows) needed.

Scoring batches are right-padded with an attention mask: real tokens keep positions 0..n-1, so
padding cannot move them, and no query row is ever fully masked. Generation left-pads, and
`generate` derives positions from the mask.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
import torch.nn.functional as F
from transformers import GenerationConfig


def model_device(model: Any) -> torch.device:
    return next(model.parameters()).device


def pad_token_id(tokenizer: Any) -> int:
    """Padding is masked out, so any id works; prefer the tokenizer's pad, then eos."""
    for token_id in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if token_id is not None:
            return int(token_id)
    return 0


def max_context(model: Any) -> int:
    """Longest sequence the model takes; longer inputs lose tokens on the left, as the harness."""
    return int(getattr(model.config, "max_position_embeddings", None) or 2048)


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids as the harness's HFLM writes them: with the tokenizer's own special tokens (a
    Llama tokenizer prepends BOS), except when the text already starts with the BOS string, as
    chat-templated text does, so that BOS is not doubled."""
    prefix = tokenizer.bos_token or tokenizer.eos_token
    add_special = not (prefix and text.startswith(prefix))
    return list(tokenizer(text, add_special_tokens=add_special)["input_ids"])


def encode_pair(tokenizer: Any, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) exactly as the harness's `_encode_pair`.

    Tokenizer trap: ` A` is one token in GPT-2-style BPE but a space token then `A` in others,
    and BPE merges differ at word boundaries. So, like the harness, trailing whitespace of the
    context moves into the continuation, context+continuation is encoded whole, and the
    continuation is what follows the separately encoded context.
    """
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    context_ids = encode(tokenizer, context)
    whole = encode(tokenizer, context + continuation)
    return context_ids, whole[len(context_ids) :]


def right_pad(sequences: list[list[int]], pad: int, device: torch.device) -> tuple[Any, Any]:
    """(ids, mask) tensors, each sequence at the left of its row."""
    width = max(1, max(len(seq) for seq in sequences))
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids.to(device), mask.to(device)


def body(model: Any) -> Any:
    """The transformer without its LM head (`model.model` for Llama); returns hidden states
    after the final norm, which is what the head multiplies."""
    base = model.base_model
    if base is model or model.get_output_embeddings() is None:
        raise TypeError(f"{type(model).__name__} has no separate body and LM head to score with")
    return base


def head_logits(model: Any, hidden: torch.Tensor, rows: torch.Tensor | None = None) -> Any:
    """LM-head logits for `hidden`, only for vocabulary `rows` when given, in float32.

    The product runs in the model's dtype as the full head would, then is cast, as the harness
    takes log-softmax in float32 of the model's logits.
    """
    head = model.get_output_embeddings()
    if rows is None:
        # The head's own forward (the same product): DeepSpeed ZeRO-3 gathers a partitioned
        # weight only there, and reduces its gradient after.
        logits = head(hidden.to(head.weight.dtype)).float()
    else:
        with _whole(head):  # scorers only, no gradient
            bias = getattr(head, "bias", None)
            bias = None if bias is None else bias[rows]
            logits = F.linear(hidden.to(head.weight.dtype), head.weight[rows], bias).float()
    softcap = getattr(model.config, "final_logit_softcapping", None)  # Gemma 2/3
    return torch.tanh(logits / softcap) * softcap if softcap else logits


def _whole(module: Any) -> Any:
    """A context in which `module`'s own weights are whole: those partitioned by DeepSpeed
    ZeRO-3 (they carry a `ds_id`) are gathered for reading outside the module's forward."""
    partitioned = [p for p in module.parameters(recurse=False) if hasattr(p, "ds_id")]
    if not partitioned:
        return contextlib.nullcontext()
    import deepspeed

    return deepspeed.zero.GatheredParameters(partitioned)


def last_hidden(model: Any, sequences: list[list[int]], pad: int) -> torch.Tensor:
    """Final-norm hidden state at the last token of each sequence: one body forward."""
    ids, mask = right_pad(sequences, pad, model_device(model))
    hidden = body(model)(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
    last = mask.sum(dim=1) - 1
    return hidden[torch.arange(len(sequences), device=hidden.device), last]


def greedy_continuations(
    model: Any, tokenizer: Any, prompts: list[list[int]], max_new_tokens: int
) -> list[str]:
    """Greedy decode after each prompt (left-padded for generation); the decoded new text."""
    pad = pad_token_id(tokenizer)
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=pad,
        eos_token_id=getattr(model.generation_config, "eos_token_id", None)
        or tokenizer.eos_token_id,
    )
    device = model_device(model)
    out = model.generate(
        input_ids=ids.to(device), attention_mask=mask.to(device), generation_config=config
    )
    return tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
