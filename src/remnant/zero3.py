"""DeepSpeed ZeRO-3 training when the launcher asks for it.

`accelerate launch --config_file examples/accelerate/deepspeed-zero3.yaml` sets
ACCELERATE_USE_DEEPSPEED; the training loop then hands the model to `deepspeed.initialize` after
choosing what trains and after the method's setup (RMU's frozen layer copies and LLMU's
reference stay plain, replicated modules), with the loop's own optimizer and lr schedule. The
engine partitions parameters, gradients and optimizer state over the processes, reduces the
gradients, clips and steps. Every process still loads the full model first.

ZeRO-3 gathers a partitioned weight only around a forward of the module that owns it. The
losses and evaluations call submodules, which is enough; the one weight read outside its
module's forward (the LM head's rows that a scorer needs) is gathered by `evals.forward`. At the
end `gather` puts the full weights into a plain copy of the model on every process, as
remnant.fsdp does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch

from remnant import distributed, fsdp
from remnant.errors import UserError

if TYPE_CHECKING:
    from remnant.train import TrainConfig


def requested() -> bool:
    """The launcher asked for DeepSpeed (accelerate exports its config as environment variables)."""
    use = os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true"
    return use and distributed.launched_world_size() > 1


def wrap(model: Any, optimizer: torch.optim.Optimizer, config: TrainConfig) -> tuple[Any, Any]:
    """(engine, skeleton): the DeepSpeed engine over `model` (partitioned in place) stepping
    `optimizer`, and a copy of the model on the meta device that `gather` fills at the end."""
    import deepspeed
    from accelerate.utils import DeepSpeedPlugin

    # The launcher's ZeRO stage and offloading, or its DeepSpeed config file, read by accelerate.
    settings = DeepSpeedPlugin().deepspeed_config
    stage = settings["zero_optimization"].get("stage")
    half = [key for key in ("fp16", "bf16") if settings.get(key, {}).get("enabled")]
    if stage != 3 or half:
        raise UserError(
            f"remnant's training loop runs DeepSpeed at ZeRO stage 3 with fp32 weights only "
            f"(got stage {stage}{', ' + half[0] if half else ''})",
            "the accelerate config",
            "set zero_stage: 3 and mixed_precision: 'no' (see examples/accelerate/"
            "deepspeed-zero3.yaml); remnant runs bf16 autocast itself (--set bf16=true)",
        )
    # The loop's batch, accumulation and clipping are the source of truth, not the config's.
    per_step = config.batch_size * config.grad_accum
    settings.update(
        train_micro_batch_size_per_gpu=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        train_batch_size=per_step * distributed.world_size(),
        gradient_clipping=config.clip,
        zero_allow_untested_optimizer=True,  # Lion is not on DeepSpeed's list
    )
    skeleton = fsdp.meta_copy(model)  # before partitioning: afterwards the weights are empty
    engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=settings)
    return engine, skeleton


def step_norm(engine: Any) -> torch.Tensor:
    """The gradient norm of the step the engine just took; NaN when it skipped the step, which
    it does on a non-finite gradient norm."""
    if not engine.was_step_applied():
        return torch.tensor(float("nan"))
    return torch.tensor(float(engine.get_global_grad_norm() or 0.0))


def gather(model: Any, skeleton: Any) -> Any:
    """The plain `skeleton` holding the partitioned `model`'s full weights, on every process
    (an all-gather: every process must call it)."""
    import deepspeed

    with deepspeed.zero.GatheredParameters(list(model.parameters())):
        weights = {
            name: param.detach().clone()
            for name, param in model.named_parameters(remove_duplicate=False)
        }
    return fsdp.fill(skeleton, weights)
