"""The steps of the first-GPU check (``gpu_check.py`` runs each in its own process and says what they measure).

Run as ``gpu_check_steps.py STEP --records FILE [--dry]``, or ``gpu_check_steps.py throughput SHAPE SECONDS
[--dry]`` (images/s, for jobs_per_gpu). Planning, pricing and the metrics are imported by the steps that
use them: a step's process starts in about the time of importing torch.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
from pathlib import Path

import torch
from import_guard import guarded_python

from rd4ad.cost.shape import RunShape, ShapeTiming
from rd4ad.cost.timing import time_shape
from rd4ad.machine.device import resolve_device, set_deterministic
from rd4ad.machine.device_record import device_record
from rd4ad.machine.precision import apply_tf32
from rd4ad.models import distillation_loss, random_model

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "config.yaml"
ESTIMATE = "estimate.txt"
LOSS_RTOL, FEATURE_RTOL, CURVE_RTOL = 1e-4, 1e-3, 1e-2  # fp32, TF32 off: kernel choice and summation order only
HEADLINE = RunShape("rd4ad", "wide_resnet50_2", 256, 16, "tf32")
LAUNCH_BOUND = RunShape("rd4ad", "resnet18", 32, 16, "tf32")
SIZES = {  # per mode: the CPU-vs-GPU model, loop lengths, seconds per timed loop, the evaluation timed
    "gpu": {"compare": ("resnet18", 128, 8), "curve": 20, "det_steps": 5, "steps": 10, "seconds": 8.0, "eval": 115},
    "dry": {"compare": ("resnet18", 32, 2), "curve": 5, "det_steps": 2, "steps": 1, "seconds": 0.5, "eval": 4},
}


def tiny(shape: RunShape, dry: bool) -> RunShape:
    """The shape timed for ``shape``: itself on the GPU; ResNet18 at 32 px, batch 2 in --dry."""
    return RunShape(shape.implementation, "resnet18", 32, 2, shape.precision) if dry else shape


class Context:
    """What a step is given: the device, the mode's sizes, the records file (and the records so far)."""

    def __init__(self, dry: bool, records: Path):
        self.dry, self.records = dry, records
        self.device = device_of(dry)
        self.sizes = SIZES["dry" if dry else "gpu"]

    def record(self, step: str, line: str, **fields) -> None:
        """Append one record now and print its line."""
        with self.records.open("a") as out:
            out.write(json.dumps({"step": step, **fields}) + "\n")
        print(f"  {step}: {line}", flush=True)

    def read(self, step: str) -> list[dict]:
        """The records of ``step`` written so far."""
        lines = self.records.read_text().splitlines() if self.records.exists() else []
        return [r for r in map(json.loads, lines) if r["step"] == step and "status" not in r]


def step_env(ctx: Context) -> None:
    record = device_record(ctx.device)
    ctx.record(
        "env",
        f"{record.get('gpu') or 'cpu'}, driver {record.get('driver')}, CUDA {record.get('cuda')}, "
        f"cuDNN {record.get('cudnn')}, torch {torch.__version__}, Python {sys.version.split()[0]}",
        torch=torch.__version__,
        python=sys.version.split()[0],
        **record,
    )


def _seeded(backbone: str, size: int, batch: int):
    torch.manual_seed(0)
    model = random_model(backbone)
    return model, torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(1))


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double().cpu(), b.double().cpu()
    return float((a - b).abs().max() / a.abs().max().clamp_min(1e-30))


def _forward(model, x, device):
    model = copy.deepcopy(model).to(device).train()
    feats_e, feats_d = model(x.to(device))
    return distillation_loss(feats_e, feats_d, "flat").detach(), [f.detach() for f in feats_e + feats_d]


def _curve(model, x, device, steps: int) -> list[float]:
    model = copy.deepcopy(model).to(device).train()
    x = x.to(device)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=0.005, betas=(0.5, 0.999))
    losses = []
    for _ in range(steps):
        feats_e, feats_d = model(x)
        loss = distillation_loss(feats_e, feats_d, "flat")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def step_cpu_vs_gpu(ctx: Context) -> None:
    apply_tf32("fp32")
    backbone, size, batch = ctx.sizes["compare"]
    model, x = _seeded(backbone, size, batch)
    cpu = torch.device("cpu")
    (loss_c, feats_c), (loss_g, feats_g) = _forward(model, x, cpu), _forward(model, x, ctx.device)
    loss_rel, feat_rel = _rel(loss_c, loss_g), max(_rel(a, b) for a, b in zip(feats_c, feats_g))
    ok = loss_rel <= LOSS_RTOL and feat_rel <= FEATURE_RTOL
    ctx.record(
        "cpu_vs_gpu",
        f"{backbone} {size}px b{batch} fp32: loss rel {loss_rel:.1e} (<= {LOSS_RTOL:g}), features rel "
        f"{feat_rel:.1e} (<= {FEATURE_RTOL:g}): {'ok' if ok else 'OUT OF TOLERANCE'}",
        kind="one_batch",
        loss_rel=loss_rel,
        feature_rel=feat_rel,
        ok=ok,
    )
    curve_c, curve_g = (_curve(model, x, d, ctx.sizes["curve"]) for d in (cpu, ctx.device))
    worst = max(abs(a - b) / abs(a) for a, b in zip(curve_c, curve_g))
    ctx.record(
        "cpu_vs_gpu",
        f"{len(curve_c)}-step loss curve: max rel {worst:.1e} (<= {CURVE_RTOL:g}); last {curve_c[-1]:.6f} vs "
        f"{curve_g[-1]:.6f}",
        kind="loss_curve",
        cpu=curve_c,
        gpu=curve_g,
        max_rel=worst,
        ok=worst <= CURVE_RTOL,
    )


def _deterministic_run(shape: RunShape, device, steps: int) -> tuple[list[float], dict]:
    apply_tf32(shape.precision)
    model, x = _seeded(shape.backbone, shape.image_size, shape.batch_size)
    losses = _curve(model, x, device, steps)
    return losses, {k: v.detach().cpu() for k, v in model.state_dict().items()}


def step_determinism(ctx: Context) -> None:
    set_deterministic(True)
    shape = tiny(HEADLINE, ctx.dry)
    (l1, w1), (l2, w2) = (_deterministic_run(shape, ctx.device, ctx.sizes["det_steps"]) for _ in range(2))
    same = l1 == l2 and all(torch.equal(w1[k], w2[k]) for k in w1)
    ctx.record(
        "determinism",
        f"{shape}, {len(l1)} steps twice: {'bit for bit the same' if same else 'DIFFERENT'}",
        shape=str(shape),
        losses=[l1, l2],
        identical=same,
    )


def _time(ctx: Context, shape: RunShape, **kwargs) -> ShapeTiming:
    return time_shape(shape, ctx.device, steps=ctx.sizes["steps"], max_seconds=ctx.sizes["seconds"], **kwargs)


def step_shapes(ctx: Context) -> None:
    from rd4ad.cost.flops import image_flops
    from rd4ad.planning.planner import plan_config_file

    plan = plan_config_file(CONFIG)
    set_deterministic(not plan.config["nondeterministic"])
    timed_already: dict[RunShape, ShapeTiming] = {}
    for shape in sorted({RunShape.of(p.run) for p in plan.runs.values()}):
        timed = tiny(shape, ctx.dry)
        if timed not in timed_already:
            timed_already[timed] = _time(ctx, timed)
        timing = timed_already[timed]
        flops = image_flops(timed.backbone, timed.image_size)["train"] * timed.batch_size
        peak = None if timing.peak_mb is None else timing.peak_mb / 1024
        ctx.record(
            "shapes",
            f"{timed}: {timing.step_s * 1e3:.1f} ms/step, {timed.batch_size / timing.step_s:.0f} img/s, "
            f"{flops / timing.step_s / 1e12:.2f} TFLOP/s, peak {peak if peak is None else round(peak, 2)} GiB",
            shape=str(shape),
            timed_as=str(timed),
            images_per_s=timed.batch_size / timing.step_s,
            tflops=flops / timing.step_s / 1e12,
            peak_gib=peak,
            **timing.to_dict(),
        )


def step_fast_vs_plain(ctx: Context) -> None:
    shape = tiny(HEADLINE, ctx.dry)
    _time(ctx, shape)  # warm-up: cuDNN's and the allocator's first calls
    fast, plain = (_time(ctx, shape, fast=f).step_s for f in (True, False))
    ctx.record(
        "fast_vs_plain",
        f"{shape}: fast {fast * 1e3:.1f} ms/step, plain {plain * 1e3:.1f} ms/step: {plain / fast:.2f}x",
        shape=str(shape),
        fast_s=fast,
        plain_s=plain,
        speedup=plain / fast,
    )


def _two_processes(ctx: Context, shape: RunShape) -> float:
    """Images/s of two processes timing ``shape`` at once on the device, summed."""
    command = guarded_python() + [__file__, "throughput", str(shape), str(ctx.sizes["seconds"])]
    command += ["--dry"] if ctx.dry else []
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    return sum(float(run.communicate()[0].split()[-1]) for run in runs)


def step_jobs_per_gpu(ctx: Context) -> None:
    for shape in [tiny(HEADLINE, ctx.dry)] if ctx.dry else [HEADLINE, LAUNCH_BOUND]:
        timing = time_shape(shape, ctx.device, steps=10**6, max_seconds=ctx.sizes["seconds"])
        if ctx.device.type == "cuda":
            torch.cuda.empty_cache()  # this process's cached blocks are not the two processes' to share
        one, two = shape.batch_size / timing.step_s, _two_processes(ctx, shape)
        ctx.record(
            "jobs_per_gpu",
            f"{shape}: one process {one:.0f} img/s, two {two:.0f} img/s together: gain {two / one:.2f}x",
            shape=str(shape),
            one=one,
            two=two,
            gain=two / one,
        )


def step_eval_cpu(ctx: Context) -> None:
    from rd4ad.cost.evaluation_time import evaluation_cost, evaluation_seconds

    torch.set_num_threads(1)  # as the evaluate jobs run
    n, size = ctx.sizes["eval"], 32 if ctx.dry else 256
    seconds = evaluation_seconds(n, size, masks=True)
    cost = evaluation_cost(n_images=4, sizes=(16, 32)) if ctx.dry else evaluation_cost()
    ctx.record(
        "eval_cpu",
        f"{n} maps of {size} px with masks: {seconds:.2f} s on one thread",
        n=n,
        size=size,
        seconds=seconds,
        cost=cost,
    )


def step_estimate(ctx: Context) -> None:
    from rd4ad.cli.estimate import report
    from rd4ad.cost.cpu_model import calibrate, teacher_seconds
    from rd4ad.cost.estimate import JobCosts, plan_estimates
    from rd4ad.cost.evaluation_time import evaluation_cost
    from rd4ad.cost.timing import job_start_seconds
    from rd4ad.planning.planner import plan_config_file

    plan = plan_config_file(CONFIG)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the teacher's calibration runs on one CPU thread
    fp32 = calibrate("fp32", steps=1)
    torch.set_num_threads(threads)
    fields = set(ShapeTiming.__dataclass_fields__) - {"calibrate_s_per_image"}
    timings = {}
    for r in ctx.read("shapes"):
        shape = RunShape.parse(r["shape"])
        timings[shape] = ShapeTiming(**{k: r[k] for k in fields}, calibrate_s_per_image=teacher_seconds(shape, fp32))
    missing = sorted(str(s) for s in {RunShape.of(p.run) for p in plan.runs.values()} - set(timings))
    if missing:
        sys.exit(f"estimate: the shapes step did not time {', '.join(missing)}; no estimate")
    gains = [r["gain"] for r in ctx.read("jobs_per_gpu")] if plan.config["jobs_per_gpu"] > 1 else []
    gain = min(gains) if gains else 1.0  # the smaller gain of two processes: the plan's time is mostly WRN50's
    evaluation = ctx.read("eval_cpu")
    costs = JobCosts(job_start_seconds(), evaluation[0]["cost"] if evaluation else evaluation_cost())
    name = device_record(ctx.device).get("gpu") or "cpu (dry run)"
    text = report(
        plan,
        plan_estimates(plan, timings, costs, device=name),
        name=name,
        slots=gain,
        at_once=f"1 GPU × jobs_per_gpu {plan.config['jobs_per_gpu']} at {gain:.2f}× one job's throughput",
        compare=None,
    )
    (ctx.records.parent / ESTIMATE).write_text(text + "\n")
    print(text, flush=True)
    ctx.record("estimate", f"written whole to {ESTIMATE}", text=text, jobs_gain=gain, start_s=costs.start_s)


STEPS = {name.removeprefix("step_"): f for name, f in globals().items() if name.startswith("step_")}


def device_of(dry: bool) -> torch.device:
    """The CPU with one thread in --dry (CI's few cores: threads that wait on each other run slower than one),
    else the GPU."""
    if dry:
        torch.set_num_threads(1)
        return torch.device("cpu")
    return resolve_device("cuda")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=[*STEPS, "throughput"])
    parser.add_argument("args", nargs="*", help="throughput: SHAPE SECONDS")
    parser.add_argument("--records", help="the records file to append to")
    parser.add_argument("--dry", action="store_true")
    args = parser.parse_args()
    if args.step == "throughput":
        shape, seconds = RunShape.parse(args.args[0]), float(args.args[1])
        print(shape.batch_size / time_shape(shape, device_of(args.dry), steps=10**6, max_seconds=seconds).step_s)
        return 0
    STEPS[args.step](Context(args.dry, Path(args.records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
