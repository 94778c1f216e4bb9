"""Data-parallel training under `accelerate launch` (or torchrun): one process per device.

Every process reads the same seeded stream of micro-batches and takes every world_size-th one,
so W processes with gradient accumulation A see exactly the micro-batches that one process
with accumulation W·A sees, in the same order; gradients are averaged across processes before
each optimizer step. The loss functions keep calling the model's submodules directly (RMU stops
its forward at layer ℓ), which a DDP wrapper would not sync, hence the explicit all-reduce
(an FSDP launch shards the model instead: see remnant.fsdp; a DeepSpeed launch partitions it:
see remnant.zero3). Every process evaluates the same model; only the main process writes
results and models.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import torch


def launched_world_size() -> int:
    """Processes started by the launcher (1 when run directly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init() -> tuple[int, int]:
    """(rank, world size), starting the process group when a launcher asked for several."""
    if launched_world_size() <= 1:
        return 0, 1
    if not torch.distributed.is_initialized():
        from accelerate import PartialState

        PartialState()  # reads the launcher's environment and starts the process group
    return torch.distributed.get_rank(), torch.distributed.get_world_size()


def rank() -> int:
    return torch.distributed.get_rank() if torch.distributed.is_initialized() else 0


def world_size() -> int:
    return torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    if world_size() > 1:
        torch.distributed.barrier()


def average_gradients(params: Iterable[torch.nn.Parameter]) -> None:
    """Mean of every gradient over the processes (one flat buffer: one collective per step)."""
    if world_size() == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1).float() for g in grads])
    torch.distributed.all_reduce(flat)
    flat /= world_size()
    offset = 0
    for grad in grads:
        grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
        offset += grad.numel()


def mean_over_processes(values: dict[str, float]) -> dict[str, float]:
    """The per-step log averaged over processes, so every process logs what one process would."""
    if world_size() == 1 or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    torch.distributed.all_reduce(tensor)
    tensor /= world_size()
    return dict(zip(keys, tensor.tolist()))
