"""What the method losses share: forwards that compute only what a loss reads, and pure
per-token functions over logits (tested against hand-computed values).

`target_logits` runs the body once, on short texts packed several to a row, and the LM head only
at positions that have a label, so padding costs no compute and prompt tokens no head compute
(the head is 20 % of a 135M model's FLOPs).
`run_to_layer` stops the forward at a decoder layer: RMU never needs the layers above it.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F

from remnant.batches import IGNORE, stack
from remnant.evals.forward import head_logits
from remnant.packing import pack, packable

# ---- pure functions -------------------------------------------------------------------------


def token_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of each target token: shape [N] from logits [N, V]."""
    return F.cross_entropy(logits.float(), targets, reduction="none")


def per_sequence(values: torch.Tensor, rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Sum of per-token `values` for each sequence (`rows[i]` says which): shape [n_rows]."""
    return torch.zeros(n_rows, dtype=values.dtype, device=values.device).index_add(0, rows, values)


def token_counts(rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Number of target tokens of each sequence (at least 1, so means never divide by 0)."""
    ones = torch.ones_like(rows, dtype=torch.float32)
    return per_sequence(ones, rows, n_rows).clamp(min=1.0)


def kl_to_reference(logits: torch.Tensor, ref_logits: torch.Tensor) -> torch.Tensor:
    """KL(p_ref || p_θ) at each position: shape [N]. Zero when the model equals the reference."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    ref_logp = torch.log_softmax(ref_logits.float(), dim=-1)
    return (ref_logp.exp() * (ref_logp - logp)).sum(dim=-1)


# ---- model access ---------------------------------------------------------------------------


def unwrap(model: Any) -> Any:
    """The transformers model inside a peft wrapper (LoRA layers stay injected and active)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def decoder_layers(model: Any) -> torch.nn.ModuleList:
    """The list of decoder blocks (`model.model.layers` for Llama, Mistral, Qwen, Gemma)."""
    inner = unwrap(model)
    depth = inner.config.get_text_config().num_hidden_layers
    layers = getattr(inner.base_model, "layers", None)
    if isinstance(layers, torch.nn.ModuleList) and len(layers) == depth:
        return layers
    for module in inner.modules():  # other layouts: the first list of num_hidden_layers blocks
        if isinstance(module, torch.nn.ModuleList) and len(module) == depth:
            return module
    raise TypeError(f"cannot find the {depth} decoder layers of {type(inner).__name__}")


def target_logits(model: Any, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits [N, V] in float32, targets [N], rows [N]) at every labelled position.

    Position t predicts token t+1; only positions whose next label is not IGNORE go through
    the LM head. `rows` maps each position to its sequence in the batch. Short texts run packed
    several to a row (`remnant.packing`), with the same results in the same order.
    """
    inner = unwrap(model)
    wanted = batch["labels"][:, 1:] != IGNORE
    rows = wanted.nonzero()[:, 0]
    packed = pack(batch["input_ids"], batch["attention_mask"]) if packable(inner) else None
    if packed is None:
        hidden = inner.base_model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
        ).last_hidden_state
        hidden = hidden[:, :-1][wanted]
    else:
        hidden = inner.base_model(
            input_ids=packed.input_ids, position_ids=packed.position_ids, use_cache=False
        ).last_hidden_state
        hidden = hidden.flatten(0, 1)[packed.where[:, :-1][wanted]]
    return head_logits(inner, hidden), batch["labels"][:, 1:][wanted], rows


def token_nlls(model: Any, *batches: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(NLL of each labelled token, its row in its own batch) for every batch, from one forward
    over the batches stacked: one pass instead of one per corpus, larger matrix products."""
    joined = stack(*batches) if len(batches) > 1 else batches[0]
    logits, targets, rows = target_logits(model, joined)
    nll = token_nll(logits, targets)
    results, offset = [], 0
    for batch in batches:
        size = batch["input_ids"].shape[0]
        mine = (rows >= offset) & (rows < offset + size)
        results.append((nll[mine], rows[mine] - offset))
        offset += size
    return results


def mean_nll(model: Any, *batches: dict) -> list[torch.Tensor]:
    """Mean NLL over the labelled tokens of each batch (the usual causal-LM loss), one forward."""
    return [nll.mean() for nll, _ in token_nlls(model, *batches)]


def sequence_nll(model: Any, *batches: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(summed NLL, number of target tokens) per sequence of each batch: −log π(y|x), |y|."""
    results = []
    for batch, (nll, rows) in zip(batches, token_nlls(model, *batches), strict=True):
        n_rows = batch["input_ids"].shape[0]
        results.append((per_sequence(nll, rows, n_rows), token_counts(rows, n_rows)))
    return results


def make_reference(model: Any) -> torch.nn.Module | None:
    """A frozen copy of the model as it is now, for KL terms; None under LoRA, where the base
    weights are the frozen model (see `reference_logits`). The copy doubles weight memory, as
    in the published LLMU code."""
    if hasattr(model, "disable_adapter"):
        return None
    return copy.deepcopy(unwrap(model)).eval().requires_grad_(False)


def reference_logits(model: Any, reference: torch.nn.Module | None, batch: dict) -> torch.Tensor:
    """Logits of the frozen reference at the positions `target_logits` returns, no gradient."""
    with torch.no_grad():
        if reference is None:
            with model.disable_adapter():
                return target_logits(model, batch)[0]
        return target_logits(reference, batch)[0]


class _StopForward(Exception):
    """Raised by a hook on the last layer needed, so nothing above it runs."""


def run_to_layer(model: Any, batch: dict, layer: int, replay_from: int | None = None):
    """Output of decoder layer `layer` without running the layers above it or the LM head.

    With `replay_from=k`, also returns how layers k..layer were called: the hidden state
    entering layer k and each layer's other arguments (mask, rotary embeddings, which may
    differ per layer), so that frozen copies of those layers can be run on the same input.
    """
    layers = decoder_layers(model)
    calls: list[tuple[tuple, dict]] = []
    found: dict[str, torch.Tensor] = {}

    def record_call(module, args, kwargs):
        hidden = args[0] if args else kwargs["hidden_states"]
        found.setdefault("input", hidden)
        rest = {key: value for key, value in kwargs.items() if key != "hidden_states"}
        calls.append((args[1:], rest))

    def stop(module, args, output):
        found["output"] = output[0] if isinstance(output, tuple) else output
        raise _StopForward

    handles = []
    if replay_from is not None:
        for index in range(replay_from, layer + 1):
            handles.append(layers[index].register_forward_pre_hook(record_call, with_kwargs=True))
    handles.append(layers[layer].register_forward_hook(stop))
    try:
        unwrap(model).base_model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
        )
    except _StopForward:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return found["output"], (found.get("input"), calls)


def _rows(value: Any, rows: slice, batch_size: int) -> Any:
    """`value` restricted to batch rows `rows`: tensors whose first dimension is the batch are
    sliced, broadcast ones (a [1, T] position tensor) and non-tensors pass through."""
    if isinstance(value, torch.Tensor):
        return value[rows] if value.dim() and value.shape[0] == batch_size else value
    if isinstance(value, (tuple, list)):
        return type(value)(_rows(v, rows, batch_size) for v in value)
    if isinstance(value, dict):
        return {key: _rows(v, rows, batch_size) for key, v in value.items()}
    return value


def replay(layers: list[torch.nn.Module], recorded, rows: slice = slice(None)) -> torch.Tensor:
    """Run `layers` (copies of layers k..ℓ) on what `run_to_layer(..., replay_from=k)` saw,
    for the batch rows `rows` only."""
    hidden, calls = recorded
    batch_size = hidden.shape[0]
    hidden = hidden[rows]
    for module, (args, kwargs) in zip(layers, calls, strict=True):
        args, kwargs = _rows(args, rows, batch_size), _rows(kwargs, rows, batch_size)
        output = module(hidden, *args, **kwargs)
        hidden = output[0] if isinstance(output, tuple) else output
    return hidden
