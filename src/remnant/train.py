"""The training loop: the one loop that `learn`, every unlearning method and every weight-space
attack run.

A caller gives named corpora (`{"forget": [...], "retain": [...]}`: the forget/retain batch pair
is the data contract) and a loss `loss(model, batches, state) -> (tensor, logs)` that receives
one batch of every corpus per micro-step. The loop owns everything else: which parameters train
(full model, LoRA, or a layer/name subset), AdamW or Lion, constant or warmup+linear schedule,
gradient accumulation and clipping, bf16 autocast over fp32 master weights, seeded batches,
periodic evaluation, a progress bar, and stopping with a clear error on a NaN/inf loss.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from tqdm.auto import tqdm

from remnant import distributed, fsdp, zero3
from remnant.batches import Text, batch_stream, encode_texts
from remnant.cpu_memory import keep_freed_memory
from remnant.errors import UserError
from remnant.trainable import (
    cast_frozen_linears,
    finish_model,
    modules_in,
    restore_weights,
    select_parameters,
)

__all__ = [
    "TrainConfig",
    "Trained",
    "TrainingDiverged",
    "finish_model",
    "lr_factor",
    "select_parameters",
    "total_steps",
    "train",
]
LossFn = Callable[[Any, dict[str, dict], Any], tuple[torch.Tensor, dict[str, float]]]
SetupFn = Callable[[Any, dict[str, list]], Any]
EvalFn = Callable[[Any, int, bool], dict[str, Any]]
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class TrainConfig:
    """Training hyper-parameters, settable with `--set key=value` (see remnant.settings)."""

    lr: float = field(default=1e-5, metadata=_help("peak learning rate"))
    steps: int = field(default=0, metadata=_help("optimizer steps; 0 = from epochs"))
    epochs: float = field(default=1.0, metadata=_help("passes over the first corpus"))
    batch_size: int = field(default=8, metadata=_help("texts per corpus per micro-batch"))
    grad_accum: int = field(default=1, metadata=_help("micro-batches per optimizer step"))
    max_length: int = field(default=128, metadata=_help("tokens kept per text"))
    optimizer: Literal["adamw", "lion"] = field(default="adamw", metadata=_help("optimizer"))
    weight_decay: float = field(default=0.0, metadata=_help("decoupled weight decay"))
    schedule: Literal["constant", "linear"] = field(
        default="constant", metadata=_help("after warmup: constant, or linear decay to 0")
    )
    warmup_steps: int = field(default=0, metadata=_help("linear warmup from 0"))
    clip: float = field(default=1.0, metadata=_help("max gradient norm; 0 = no clipping"))
    bf16: bool = field(default=True, metadata=_help("bf16 autocast (fp32 weights stay master)"))
    params: Literal["full", "lora", "subset"] = field(
        default="full", metadata=_help("what trains: the full model, LoRA, or a subset")
    )
    layers: list[int] = field(
        default_factory=list, metadata=_help("subset/LoRA: decoder layer ids to train (0-based)")
    )
    param_pattern: str = field(
        default="", metadata=_help("subset: regex on parameter names, e.g. mlp.down_proj")
    )
    lora_r: int = field(default=8, metadata=_help("LoRA rank r"))
    lora_alpha: float = field(default=16.0, metadata=_help("LoRA scale α"))
    lora_dropout: float = field(default=0.0, metadata=_help("LoRA dropout"))
    lora_targets: list[str] = field(
        default_factory=lambda: list(ALL_LINEAR), metadata=_help("LoRA target module names")
    )
    keep_adapter: bool = field(
        default=False, metadata=_help("LoRA: also save the adapter (the model is saved merged)")
    )
    eval_every: int = field(default=0, metadata=_help("evaluate every N steps; 0 = before/after"))
    eval_scorer: str = field(default="cloze", metadata=_help("scorer of the evaluations"))
    eval_limit: int = field(default=0, metadata=_help("items per periodic evaluation; 0 = all"))


class TrainingDiverged(UserError):
    """The loss or gradient became NaN or infinite; no model is written."""


@dataclass
class Trained:
    model: Any
    steps: int
    seconds: float  # training only; evaluation time is in eval_seconds
    tokens: int
    log: list[dict[str, float]]
    curve: list[dict[str, Any]]
    eval_seconds: float = 0.0


def make_optimizer(params: Sequence[torch.nn.Parameter], config: TrainConfig):
    if config.optimizer == "lion":
        from lion_pytorch import Lion

        return Lion(params, lr=config.lr, weight_decay=config.weight_decay)
    # The fused kernel updates every tensor in one pass; the default per-tensor loop costs as
    # much as the forward and backward of a small model on a CPU.
    fused = all(p.device.type in ("cpu", "cuda") for p in params)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, fused=fused)


def lr_factor(step: int, total: int, config: TrainConfig) -> float:
    """Multiplier of the peak lr at optimizer step `step` (0-based), as transformers' schedules:
    linear warmup from 0, then constant or linear decay to 0 at `total`."""
    if step < config.warmup_steps:
        return step / max(1, config.warmup_steps)
    if config.schedule == "constant":
        return 1.0
    return max(0.0, (total - step) / max(1, total - config.warmup_steps))


def total_steps(config: TrainConfig, first_corpus_size: int) -> int:
    if config.steps > 0:
        return config.steps
    per_step = config.batch_size * config.grad_accum
    return max(1, math.ceil(config.epochs * first_corpus_size / per_step))


def use_bf16(model: Any, config: TrainConfig, device: torch.device) -> bool:
    """Autocast only where it helps: fp32 weights on a device with bf16 matmuls."""
    if not config.bf16 or next(model.parameters()).dtype != torch.float32:
        return False
    return device.type == "cpu" or (device.type == "cuda" and torch.cuda.is_bf16_supported())


def _attention_kernels(device: torch.device):
    """On a CPU, attention as plain matmul + softmax: the fused flash kernel's backward costs
    more than every matrix product of a 135M model on short texts (25 % of a GD step)."""
    if device.type != "cpu":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.MATH])


def train(
    model: Any,
    tokenizer: Any,
    corpora: Mapping[str, Sequence[Text]],
    loss: LossFn,
    config: TrainConfig,
    *,
    seed: int = 0,
    setup: SetupFn | None = None,
    evaluate: EvalFn | None = None,
    progress: bool = True,
    name: str = "train",
) -> Trained:
    """Train `model` on `corpora` with `loss`; returns the trained model (LoRA still unmerged:
    see `finish_model`) with its per-step log and evaluation curve.

    `setup(model, examples)` runs once after the trainable parameters are chosen and before the
    first step (frozen references, fixed random vectors); its result is the loss's `state`.
    `evaluate(model, step, last)` runs at step 0, every `eval_every` steps and after the last
    step (`last` True). The first corpus defines an epoch; the others cycle alongside it.
    """
    for key in ("batch_size", "grad_accum", "max_length"):
        if getattr(config, key) < 1:
            raise UserError(f"{key} must be at least 1", f"--set {key}={getattr(config, key)}")
    torch.manual_seed(seed)
    rank, world = distributed.init()
    device = next(model.parameters()).device
    if device.type == "cpu":
        keep_freed_memory()  # a step's large buffers stay mapped for the next step
    model, params = select_parameters(model, config)
    examples = {
        k: encode_texts(tokenizer, texts, config.max_length) for k, texts in corpora.items()
    }
    streams = {
        key: batch_stream(tokenizer, ex, config.batch_size, seed=seed, name=key, device=device)
        for key, ex in examples.items()
    }
    bf16 = use_bf16(model, config, device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        state = setup(model, examples) if setup else None  # same numerics as the steps
    # Sharded after setup: its frozen copies and references stay plain modules. The sharded
    # model holds new (DTensor) parameters, so the optimizer gets those.
    skeleton = fsdp.shard(model) if fsdp.requested() else None
    if skeleton is not None:
        params = [p for p in model.parameters() if p.requires_grad]
    steps = total_steps(config, len(next(iter(examples.values()))))
    optimizer = make_optimizer(params, config)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, steps, config))
    # DeepSpeed steps, clips and reduces with the loop's optimizer and settings; the model
    # stays the module the losses call (its partitioned weights gathered by ZeRO-3's hooks).
    engine = None
    if zero3.requested():
        engine, skeleton = zero3.wrap(model, optimizer, config)
    trained = Trained(model, steps, 0.0, 0, [], [])
    swapped: list[tuple[Any, Any]] = []

    def checkpoint(step: int) -> None:
        clock = time.time()
        restore_weights(swapped)  # evaluation runs without autocast, on the fp32 weights
        # Every process evaluates the same full model (identical numbers, simpler than
        # gathering shards; under FSDP the layers' all-gathers need every process anyway);
        # only the main process writes them.
        if evaluate is not None:
            model.eval()
            point = fsdp.call(model, evaluate, model, step, step == steps)
            trained.curve.append({"step": step, **point})
            model.train()
        distributed.barrier()
        if bf16 and step < steps:  # not the sharded model: FSDP or DeepSpeed owns its parameters
            plain = [model] if skeleton is None else []
            swapped.extend(cast_frozen_linears([*plain, *modules_in(state)]))
        trained.eval_seconds += time.time() - clock

    start = time.time()
    bar = tqdm(total=steps, desc=name, disable=not progress, dynamic_ncols=True)
    try:
        checkpoint(0)
        model.train()
        for step in range(1, steps + 1):
            totals: dict[str, float] = {}
            for _ in range(config.grad_accum):
                # Every process reads the same stream and keeps every world-th micro-batch, so
                # W processes see what one process with W times the accumulation sees.
                shares = [{key: next(s) for key, s in streams.items()} for _ in range(world)]
                batches = shares[rank]
                trained.tokens += sum(int(b["attention_mask"].sum()) for b in batches.values())
                autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)
                with autocast, _attention_kernels(device):
                    value, logs = fsdp.call(model, loss, model, batches, state)
                _check_finite(value, step, name)
                if engine is None:
                    (value / config.grad_accum).backward()
                else:  # divides by its accumulation steps and steps after the last of them
                    engine.backward(value)
                    engine.step()
                for key, number in {"loss": value, **logs}.items():
                    number = number.detach() if isinstance(number, torch.Tensor) else number
                    totals[key] = totals.get(key, 0.0) + float(number) / config.grad_accum
            if skeleton is None:  # FSDP and DeepSpeed reduce their gradients themselves
                distributed.average_gradients(params)
            totals = distributed.mean_over_processes(totals)
            if engine is not None:
                _check_finite(zero3.step_norm(engine), step, name, what="gradient norm")
            else:
                if config.clip > 0:
                    norm = torch.nn.utils.clip_grad_norm_(params, config.clip)
                    _check_finite(fsdp.full(norm), step, name, what="gradient norm")
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            schedule.step()
            trained.log.append({"step": step, **{k: round(v, 6) for k, v in totals.items()}})
            bar.set_postfix(loss=f"{totals['loss']:.4g}", refresh=False)
            bar.update(1)
            if step == steps or (config.eval_every and step % config.eval_every == 0):
                checkpoint(step)
    finally:
        restore_weights(swapped)
        bar.close()
    if skeleton is not None:
        model = fsdp.gather(model, skeleton) if engine is None else zero3.gather(model, skeleton)
    model.eval()
    trained.model = model
    trained.seconds = time.time() - start - trained.eval_seconds
    return trained


def _check_finite(value: torch.Tensor, step: int, name: str, what: str = "loss") -> None:
    if not torch.isfinite(value).all():
        raise TrainingDiverged(
            f"the {what} became {float(value.detach())} at step {step}; training stopped, "
            "no model written",
            name,
            "lower the learning rate (--set lr=...) or keep clipping on (--set clip=1.0)",
        )
