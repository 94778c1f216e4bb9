"""Sharded data-parallel training (FSDP2) when the launcher asks for it.

`accelerate launch --config_file examples/accelerate/fsdp.yaml` sets ACCELERATE_USE_FSDP; the
training loop then shards the model after choosing what trains and after the method's setup
(RMU's frozen layer copies and LLMU's reference stay plain, replicated modules): every decoder
layer is one FSDP unit and the root holds the rest (embeddings, final norm, LM head). Gradients
are reduce-scattered by FSDP itself. Every process still loads the full model first, so FSDP
here saves gradient and optimizer memory, not loading memory.

The losses and evaluations call submodules (`model.model`, the LM head) rather than
`model.forward`, and FSDP gathers the root's own parameters only in a forward of the root: `call`
runs them as one. At the end `gather` puts the full weights back into a plain copy of the model,
on every process, so saving, LoRA merging and repeated training (RTT) see an ordinary model.
"""

from __future__ import annotations

import copy
import os
import types
from typing import Any

import torch

from remnant import distributed
from remnant.errors import UserError
from remnant.methods.common import decoder_layers

# accelerate's FSDP options that would change what the loop does; refused rather than ignored.
UNSUPPORTED = ("FSDP_OFFLOAD_PARAMS", "FSDP_ACTIVATION_CHECKPOINTING")


def requested() -> bool:
    """The launcher asked for FSDP (accelerate exports its config as environment variables)."""
    use = os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true"
    return use and distributed.launched_world_size() > 1


def shard(model: Any) -> Any:
    """Shard `model` in place; returns a copy with its parameters on the meta device (no
    memory) that `gather` fills at the end: FSDP modules cannot be copied once sharded."""
    from torch.distributed.fsdp import FSDPModule, fully_shard, register_fsdp_forward_method

    for key in UNSUPPORTED:
        if os.environ.get(key, "false").lower() == "true":
            raise UserError(
                f"{key.lower()} is not supported by remnant's training loop",
                "the accelerate config",
                f"set {key.lower()}: false (see examples/accelerate/fsdp.yaml)",
            )
    skeleton = meta_copy(model)
    reshard = os.environ.get("FSDP_RESHARD_AFTER_FORWARD", "true").lower() == "true"
    for layer in decoder_layers(model):
        fully_shard(layer, reshard_after_forward=reshard)
    fully_shard(model)  # the root keeps its parameters gathered between forward and backward
    model.remnant_call = types.MethodType(lambda self, fn, *args: fn(*args), model)
    register_fsdp_forward_method(model, "remnant_call")
    # FSDP allocates the gathered parameters at the first gather; allocated under the
    # evaluations' inference_mode they could never be updated by training. Gather once now.
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.unshard()
            module.reshard()
    return skeleton


def call(model: Any, fn: Any, *args: Any) -> Any:
    """`fn(*args)`, as a forward of the sharded root when `model` is sharded, so the root's
    parameters are gathered for it and their gradients reduced after its backward."""
    method = getattr(model, "remnant_call", None)
    return method(fn, *args) if method is not None else fn(*args)


def full(tensor: torch.Tensor) -> torch.Tensor:
    """A plain tensor of a DTensor's full value (the gradient norm of sharded gradients)."""
    from torch.distributed.tensor import DTensor

    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor


def gather(model: Any, skeleton: Any) -> Any:
    """The plain `skeleton` holding the sharded `model`'s full weights, on every process (an
    all-gather: every process must call it)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    weights = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))
    return fill(skeleton, weights)


def meta_copy(model: Any) -> Any:
    """A copy of `model` with its parameters on the meta device (no memory), for `fill`."""
    # Tied weights share one Parameter, so they share one meta copy: the tie survives.
    memo = {
        id(p): torch.nn.Parameter(torch.empty_like(p, device="meta"), p.requires_grad)
        for p in model.parameters()
    }
    return copy.deepcopy(model, memo)


def fill(skeleton: Any, weights: dict[str, torch.Tensor]) -> Any:
    """`skeleton` holding `weights` (full tensors by parameter name) as its parameters."""
    fresh: dict[int, torch.nn.Parameter] = {}
    for prefix, module in skeleton.named_modules():
        for name, param in list(module._parameters.items()):
            if param is None:
                continue
            if id(param) not in fresh:  # a tied parameter gets one tensor for all its names
                value = weights[f"{prefix}.{name}" if prefix else name].detach()
                fresh[id(param)] = torch.nn.Parameter(value, param.requires_grad)
            module._parameters[name] = fresh[id(param)]
    return skeleton
