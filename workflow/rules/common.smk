# The plan and the Snakemake-only helpers the rules share: wildcard constraints, input
# functions, the GPU prefix, and the params that hand each job its run whole (so that a
# changed run, and only it, runs again). What runs comes from the plan; every path from
# rd4ad/contract/layout.py.

import json
import re
import shlex
from pathlib import Path

from rd4ad.contract import layout
from rd4ad.cost.runtime import job_minutes, stored_estimates
from rd4ad.models.teachers import resolve_teacher
from rd4ad.planning.planner import make_plan, require_extras

CONFIG_SOURCE = ", ".join(map(str, workflow.configfiles)) or "the run config (--config)"
PLAN = make_plan(config, CONFIG_SOURCE)
require_extras(PLAN, CONFIG_SOURCE)
RESULTS = PLAN.config["results"]
RESOURCES = layout.Resources(Path(PLAN.config["resources"]))
PLAN_FILE = str(PLAN.path)
# What the report reads: every run's metrics.json and every Table 3 measurement.
RESULT_FILES = [str(PLAN.folder(key).metrics) for key in PLAN.runs] + [
    str(PLAN.complexity_file(m)) for m in PLAN.complexity.values()
]
# The estimates `python -m rd4ad estimate` wrote into the plan file, for the jobs' time limits.
ESTIMATES = stored_estimates(PLAN_FILE)
# Rule paths with the run's wildcards in place of its key.
RUN = layout.RunFolder(Path(RESULTS), layout.RunKey.wildcards())


def one_of(names):
    """A wildcard regex matching exactly ``names`` (matching nothing when empty)."""
    return "|".join(re.escape(n) for n in sorted(set(names))) or "(?!)"


wildcard_constraints:
    dataset=one_of(PLAN.datasets),
    category=one_of(p.run.category for p in PLAN.runs.values()),
    variant=one_of(PLAN.config["variants"]),
    seed=r"\d+",


def run_key(wildcards):
    """The run of a train / evaluate job: ``<dataset>/<category>/<variant>/seed<k>``."""
    return str(layout.RunKey(wildcards.dataset, wildcards.category, wildcards.variant, int(wildcards.seed)))


def run_json(wildcards):
    """The planned run of a train job, whole, as JSON. Being a params value, it makes Snakemake
    retrain exactly the runs whose description changed. (The jobs do not read the plan file: a
    rule upstream of every job would make Snakemake skip this check whenever the plan changes.)"""
    return json.dumps(PLAN.run(run_key(wildcards)).to_dict(), sort_keys=True)


def runtime_minutes(job):
    """The ``runtime`` resource (minutes) of a train / evaluate job: rd4ad/cost/runtime.py."""
    return lambda wildcards: job_minutes(PLAN.run(run_key(wildcards)), job, ESTIMATES, PLAN.config["runtime"])


def measurement_json(wildcards):
    """The planned Table 3 measurement of a complexity job, whole, as JSON (a params value, as above)."""
    return json.dumps(PLAN.measurement(wildcards.dataset, wildcards.variant).to_dict(), sort_keys=True)


def finished_inputs(output, inputs):
    """``inputs`` of a train / evaluate / complexity job, or none once its ``output`` (a path with
    wildcards) exists: what a finished run was made from is recorded in the run (model.pt /
    metrics.json), so deleting or re-making resources/ (a cleaned disk, results copied to another
    machine) reschedules only the jobs whose output is missing. (ancient() does not do this: a
    missing input that another job will make reruns everything downstream of it.)"""

    def chosen(wildcards):
        return [] if Path(str(output).format(**dict(wildcards.items()))).exists() else inputs(wildcards)

    return chosen


def dataset_ready(wildcards):
    """The marker of the job's dataset role, ancient() (a marker re-made by a re-fetch is as old as
    the data, checksummed or seeded). None for `source: none`."""
    source = PLAN.datasets[wildcards.dataset]["source"]
    return [] if source == "none" else [ancient(str(RESOURCES.marker(wildcards.dataset, source)))]


def weights_files():
    """IMAGENET1K_V1 file → backbone, for the variants whose teacher is fetched (rd4ad/models/teachers.py)."""
    backbones = {
        v["backbone"] for v in PLAN.config["variants"].values() if resolve_teacher(v["teacher_weights"]).downloads
    }
    if not backbones:
        return {}
    from rd4ad.models.weights import teacher_weights_file  # torch: only for a config that fetches weights

    return {str(teacher_weights_file(b, RESOURCES.weights)): b for b in sorted(backbones)}


def teacher_input(wildcards):
    """The teacher file the job's variant reads, ancient() (none for a random teacher)."""
    variant = PLAN.config["variants"][wildcards.variant]
    teacher = resolve_teacher(variant["teacher_weights"])
    if teacher.random:
        return []
    if teacher.downloads:
        return [ancient(path) for path, b in weights_files().items() if b == variant["backbone"]]
    return [ancient(variant["teacher_weights"])]


def cli_flags(options):
    """``{seed: 0, image_size: 32}`` → ``--seed 0 --image-size 32`` (True → a bare flag; False, None → none)."""
    tokens = []
    for key, value in options.items():
        if value is True:
            tokens.append(f"--{key.replace('_', '-')}")
        elif value is not False and value is not None:
            tokens += [f"--{key.replace('_', '-')}", str(value)]
    return shlex.join(tokens)


def execution_flags():
    """Where train / evaluate / complexity write and read: the results root and the image cache;
    whether nondeterministic GPU kernels are allowed; the CPU numerics (rd4ad/machine/numerics.py)."""
    return cli_flags(
        {
            "results": RESULTS,
            "cache_dir": str(RESOURCES.cache),
            "nondeterministic": PLAN.config["nondeterministic"],
            "cpu_numerics": PLAN.config["cpu_numerics"],
        }
    )


def gpu_job():
    """What train / evaluate / complexity run under: the teacher cache as TORCH_HOME and
    ``rd4ad.machine.gpu_slots`` pinning the job to a free GPU slot (``jobs_per_gpu`` slots per GPU)."""
    return (
        f"TORCH_HOME={shlex.quote(str(RESOURCES.torch_home))} python -m rd4ad.machine.gpu_slots "
        f"--jobs-per-gpu {PLAN.config['jobs_per_gpu']} --"
    )


def all_cores():
    """The threads of a job that must have the machine to itself: every core given to ``--cores``
    on one machine; on a cluster executor (no ``--cores``) 1, which the profile's ``set-threads``
    replaces (profiles/slurm: 8)."""
    return workflow.resource_settings.cores or 1
