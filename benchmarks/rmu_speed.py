"""Training speed on the embedded model, side by side in one run.

1. RMU step: remnant's (forward stopped at layer ℓ, one trunk pass shared by forget and retain,
   frozen copies of only the trained layers) vs a straightforward re-implementation of the
   published loop (rmu/unlearn.py: full forward with a hook on layer ℓ, a full frozen copy of
   the model). Same data, batch size, parameters (mlp.down_proj of layers ℓ-2..ℓ) and
   precision; steps/s of both and the ratio.
2. Full-model training step (GD): tokens/s and achieved FLOP/s against a bf16 matmul peak
   measured in the same run.

Variants run in alternating rounds and each keeps its best round (wall and CPU time), so a
busy machine slows both alike. Usage: python benchmarks/rmu_speed.py [--steps 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from remnant.batches import load_source
from remnant.commands.unlearn import method_settings
from remnant.methods import gd, rmu
from remnant.models import load_model
from remnant.settings import override
from remnant.train import train

MATH = [SDPBackend.MATH]


def published_rmu(model, tokenizer, forget, retain, config, train_config, steps, bf16):
    """(wall, CPU) seconds per step of the published loop, re-implemented: hook on layer ℓ,
    full forwards, a full frozen model, mse_loss over every position (padding included),
    AdamW; every parameter requires grad, as in rmu/unlearn.py (only the optimizer is
    restricted to the chosen ones)."""
    updated = copy.deepcopy(model).train()
    frozen = copy.deepcopy(model).eval()
    layers = train_config.layers
    params = [updated.model.layers[i].mlp.down_proj.weight for i in layers]
    optimizer = torch.optim.AdamW(params, lr=train_config.lr, weight_decay=0.0)
    random_vector = torch.rand(1, 1, updated.config.hidden_size)
    control = random_vector / random_vector.norm() * config.steering_coeff

    def forward_with_cache(net, inputs, module, no_grad):
        cache = []
        handle = module.register_forward_hook(
            lambda m, i, o: cache.append(o[0] if isinstance(o, tuple) else o)
        )
        with torch.set_grad_enabled(not no_grad):
            net(**inputs)
        handle.remove()
        return cache[0]

    size = train_config.batch_size
    start, cpu = time.time(), time.process_time()
    for step in range(steps):
        batch = slice(step * size, (step + 1) * size)
        kwargs = {"return_tensors": "pt", "padding": True, "truncation": True}
        forget_inputs = tokenizer(forget[batch], max_length=train_config.max_length, **kwargs)
        retain_inputs = tokenizer(retain[batch], max_length=train_config.max_length, **kwargs)
        # The same attention kernels as remnant's loop uses on a CPU, so the ratio is conservative.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16), sdpa_kernel(MATH):
            module = updated.model.layers[config.layer]
            acts = forward_with_cache(updated, forget_inputs, module, no_grad=False)
            loss = torch.nn.functional.mse_loss(acts.float(), control.expand_as(acts))
            acts = forward_with_cache(updated, retain_inputs, module, no_grad=False)
            frozen_acts = forward_with_cache(
                frozen, retain_inputs, frozen.model.layers[config.layer], no_grad=True
            )
            loss = loss + config.alpha * torch.nn.functional.mse_loss(
                acts.float(), frozen_acts.float()
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.time() - start) / steps, (time.process_time() - cpu) / steps


def remnant_steps(method, model, tokenizer, corpora, config, train_config, steps):
    """(wall, CPU) seconds per step and tokens of remnant's loop on a fresh copy of the model.
    The evaluation hook, called before the first and after the last step, is the stopwatch."""
    net = copy.deepcopy(model)
    setup = (lambda m, ex: method.setup(m, ex, config)) if hasattr(method, "setup") else None
    marks = {}

    def stopwatch(_, step, last):
        marks[step] = (time.time(), time.process_time())
        return {}

    trained = train(
        net,
        tokenizer,
        corpora,
        lambda m, b, s: method.loss(m, b, config, s),
        override(train_config, {"steps": steps}),
        setup=setup,
        evaluate=stopwatch,
        progress=False,
    )
    (wall0, cpu0), (wall1, cpu1) = marks[0], marks[steps]
    return (wall1 - wall0) / steps, (cpu1 - cpu0) / steps, trained.tokens


def matmul_peak(dtype: torch.dtype, size: int = 2048, repeats: int = 5) -> tuple[float, float]:
    """Best (wall, CPU-time) FLOP/s of a square matmul in `dtype`."""
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    a @ b
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, clock = time.time(), time.process_time()
        a @ b
        wall, cpu = min(wall, time.time() - start), min(cpu, time.process_time() - clock)
    return 2 * size**3 / wall, 2 * size**3 / cpu


def matmul_params(model) -> tuple[int, int]:
    """(parameters in the decoder's linear layers, in the LM head): 6 FLOPs each per token."""
    head = model.get_output_embeddings().weight.numel()
    body = sum(m.weight.numel() for m in model.model.modules() if isinstance(m, torch.nn.Linear))
    return body, head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared CPU)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loaded = load_model("smollm2-135m")
    model, tokenizer = loaded.model, loaded.tokenizer
    forget, retain = load_source("capitals:group=Asia"), load_source("capitals:group!=Asia")
    _, _, rmu_config, rmu_train, _ = method_settings("rmu", "embedded", {}, "smollm2-135m")
    corpora = rmu.corpora(forget, retain, rmu_config, 0)
    need = args.steps * rmu_train.batch_size
    forget_texts = (corpora["forget"] * (need // len(corpora["forget"]) + 1))[:need]
    retain_texts = corpora["retain"][:need]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(
        f"RMU: layer {rmu_config.layer}, layers {rmu_train.layers} {rmu_train.param_pattern}, "
        f"batch {rmu_train.batch_size} forget + {rmu_train.batch_size} retain, "
        f"{args.steps} steps x {args.rounds} rounds"
    )
    best: dict[str, list[float]] = {}

    def keep(name: str, wall: float, cpu: float) -> None:
        old = best.get(name, [float("inf"), float("inf")])
        best[name] = [min(old[0], wall), min(old[1], cpu)]

    for _ in range(args.rounds):
        for bf16 in (True, False):
            tag = "bf16" if bf16 else "fp32"
            cfg = override(rmu_train, {"bf16": bf16})
            wall, cpu, _ = remnant_steps(
                rmu, model, tokenizer, corpora, rmu_config, cfg, args.steps
            )
            keep(f"remnant {tag}", wall, cpu)
            keep(
                f"published {tag}",
                *published_rmu(
                    model, tokenizer, forget_texts, retain_texts, rmu_config, cfg, args.steps, bf16
                ),
            )
    print("| precision | remnant steps/s | published-loop steps/s | ratio (wall / CPU time) |")
    print("| --- | --- | --- | --- |")
    for tag in ("bf16", "fp32"):
        ours, theirs = best[f"remnant {tag}"], best[f"published {tag}"]
        print(
            f"| {'bf16 autocast' if tag == 'bf16' else 'fp32'} | {1 / ours[0]:.2f} | {1 / theirs[0]:.3f} | "
            f"{theirs[0] / ours[0]:.1f}x / {theirs[1] / ours[1]:.1f}x |"
        )

    peak_wall, peak_cpu = max(matmul_peak(torch.bfloat16) for _ in range(2))
    fp32_wall, fp32_cpu = matmul_peak(torch.float32)
    print(
        f"matmul peak (2048^3): bf16 {peak_wall / 1e9:.0f} GFLOP/s wall, {peak_cpu / 1e9:.0f} "
        f"GFLOP/CPU-s; fp32 {fp32_wall / 1e9:.0f} / {fp32_cpu / 1e9:.0f}"
    )
    body, head = matmul_params(model)
    general = load_source("general-text").texts()
    # A larger batch of the same statements: if the costs paid once per step (the optimizer,
    # the autocast weight casts, clipping) held the step back, its share of peak would rise.
    sizes = {"embedded preset (statements)": (corpora, 16, 32)}
    sizes["statements, 4x the batch"] = (corpora, 64, 32)
    sizes["general-text passages"] = ({"forget": general[::2], "retain": general[1::2]}, 8, 256)
    print(
        "| GD step, full model | tokens/step | tokens/s | GFLOP/s (wall) | % bf16 peak | GFLOP/CPU-s | % bf16 peak (CPU) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, (texts, batch, length) in sizes.items():
        _, _, gd_config, gd_train, _ = method_settings(
            "gd", "embedded", {"batch_size": batch, "max_length": length}, "smollm2-135m"
        )
        runs = [
            remnant_steps(gd, model, tokenizer, texts, gd_config, gd_train, args.steps)
            for _ in range(args.rounds)
        ]
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        tokens = runs[0][2]
        # Every real token runs the body; the head runs where a label is (all but the first
        # token of each text); 6 FLOPs per parameter per token (forward 2, backward 4).
        per_step = tokens / args.steps
        flops = 6 * (body * per_step + head * (per_step - 2 * batch))
        print(
            f"| {label}, batch {batch}+{batch} | {per_step:.0f} | {per_step / wall:.0f} | "
            f"{flops / wall / 1e9:.1f} | {flops / wall / peak_wall:.0%} | "
            f"{flops / cpu / 1e9:.1f} | {flops / cpu / peak_cpu:.0%} |"
        )


if __name__ == "__main__":
    main()
