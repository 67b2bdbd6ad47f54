"""Dry runs of the Snakemake DAG through the Snakemake Python API: exact job counts per rule."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.enums import RerunTrigger
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings, StorageSettings
from snakemake_interface_logger_plugins.common import LogEvent

from rd4ad.contract.layout import Resources
from rd4ad.planning.planner import load_yaml, make_plan

REPO = Path(__file__).resolve().parents[1]
# What `snakemake` on the command line gets from the workflow profile (the API reads no profile).
PROFILE_TRIGGERS = {
    RerunTrigger.parse_choice(t) for t in load_yaml(REPO / "profiles" / "default" / "config.yaml")["rerun-triggers"]
}

# training jobs = the distinct (dataset, category, variant, seed) runs the tables need:
# paper: T1/T2 (headline, size_128) 2×15×3 + T5 (pre, pre_oce) 2×15×3 + T6 (r18, r50) 2×15×3
#        + T4/S2 (MNIST, F-MNIST, CIFAR-10 10 classes each, Caltech-256 5 repeats) 35×3
#        + audit (eq2, supdec, bf16, mffpaper) 4×15×1 seed + anomalib_rd (T1/T2, implementation audit) 15×3;
#        T3 and T7 reuse headline; beyond the paper: headline on VisA, MVTec LOCO and MVTec AD 2 (12+5+8)×3.
PAPER_RUNS = 90 + 90 + 90 + 105 + 60 + 45 + 75
# demo: headline and size_128 on 3 synthetic categories, 14 more variants on one (the precision audit's
# bf16 / fp32 pair, anomalib_rd, the plugged-in model ocbe_width64 and anomalib's differences
# adam_beta2 / batch_32 / border_kornia among them), 4 novelty roles × 1 digit, the headline on 4 replicas
# (beyond the paper).
DEMO_RUNS = 2 * 3 + 14 + 4 * 1 + 4
# ci: 12 variants on nut (the precision audit's bf16 / fp32 pair and anomalib_rd among them),
# 4 novelty roles × 1 digit.
CI_RUNS = 12 + 4
EXPECTED = {
    "config.yaml": {
        "fetch": 8,
        "fetch_weights": 3,
        "train": PAPER_RUNS,
        "evaluate": PAPER_RUNS,
        "complexity": 1,
        "plan": 1,
        "report": 1,
        "all": 1,
    },
    "demo.yaml": {
        "synth": 1,
        "replica": 4,
        "train": DEMO_RUNS,
        "evaluate": DEMO_RUNS,
        "complexity": 1,
        "plan": 1,
        "report": 1,
        "all": 1,
    },
    "ci.yaml": {"synth": 1, "train": CI_RUNS, "evaluate": CI_RUNS, "complexity": 1, "plan": 1, "report": 1, "all": 1},
}


class _RunInfo(logging.Handler):
    def __init__(self):
        super().__init__()
        self.stats = {}

    def emit(self, record):
        if getattr(record, "event", None) == LogEvent.RUN_INFO:
            self.stats = dict(record.stats)


def dry_run_counts(configfile: str | Path, workdir: Path, executor: str = "dryrun") -> dict[str, int]:
    """Jobs per rule of ``snakemake -n all`` for ``config/<configfile>`` (or a path) run in ``workdir``.

    ``executor="touch"`` instead runs every job of the DAG as ``snakemake --touch --forceall``: it
    touches the existing outputs and records the jobs (params included) as Snakemake does after a run."""
    handler = _RunInfo()
    logger = logging.getLogger("snakemake")
    logger.addHandler(handler)
    cwd = os.getcwd()
    try:
        with SnakemakeApi(OutputSettings(dryrun=executor == "dryrun")) as api:
            workflow = api.workflow(
                resource_settings=ResourceSettings(cores=1),
                config_settings=ConfigSettings(
                    configfiles=[REPO / "config" / configfile], config={"tables": str(REPO / "config" / "tables.yaml")}
                ),
                storage_settings=StorageSettings(),
                snakefile=REPO / "Snakefile",
                workdir=workdir,
            )
            dag = workflow.dag(
                DAGSettings(targets={"all"}, forceall=executor == "touch", rerun_triggers=PROFILE_TRIGGERS)
            )
            dag.execute_workflow(executor=executor)
    finally:
        logger.removeHandler(handler)
        os.chdir(cwd)
    return {rule: n for rule, n in handler.stats.items() if rule != "total"}


@pytest.mark.parametrize("configfile", sorted(EXPECTED))
def test_job_counts_per_rule(configfile, tmp_path):
    assert dry_run_counts(configfile, tmp_path) == EXPECTED[configfile]


def test_finished_runs_are_not_scheduled_again(tmp_path):
    """A run whose model.pt exists is not retrained, even when its data marker is newer (ancient())."""
    finished = tmp_path / "results/ci/mvtec/nut/size_128/seed0/model.pt"
    finished.parent.mkdir(parents=True)
    finished.write_bytes(b"done")
    marker = tmp_path / "resources/ci/.prepared/mvtec.synth"
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    os.utime(finished, (1e9, 1e9))
    counts = dry_run_counts("ci.yaml", tmp_path)
    assert (counts["train"], counts["evaluate"], "synth" in counts) == (CI_RUNS - 1, CI_RUNS, False)
    (finished.parent / "metrics.json").write_text("{}")
    counts = dry_run_counts("ci.yaml", tmp_path)
    assert (counts["train"], counts["evaluate"]) == (CI_RUNS - 1, CI_RUNS - 1)


def test_local_mvtec_copy_is_validated_not_downloaded(tmp_path):
    """``source: local`` (air-gapped clusters): one validation job, no synth or fetch."""
    config = yaml.safe_load((REPO / "config" / "ci.yaml").read_text())
    config["datasets"]["mvtec"] = {
        "loader": "mvtec",
        "source": "local",
        "root": "/data/mvtec_ad",
        "categories": ["nut"],
    }
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(config))
    counts = dry_run_counts(path, tmp_path)
    assert (counts.get("use_local"), "synth" in counts, "fetch" in counts) == (1, False, False)
    assert counts["train"] == CI_RUNS


def test_config_schema_error_is_short_and_names_file_and_key(tmp_path):
    """``snakemake`` with a bad config prints the config file and the offending key, not the schema."""
    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    config["datasets"]["mvtec"]["categories"] = ["brick", "../../escapee"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "--configfile",
            str(path),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{path}: "))
    assert lines[at].startswith(
        f"{path}: config key datasets.mvtec.categories[1]: '../../escapee' is not valid: "
        "letters, digits and . _ + - only"
    )
    assert at <= 3 and len(lines) < 15, "\n".join(lines)


def _ci_config(tmp_path: Path, novelty: dict | None = None, **top) -> Path:
    """config/ci.yaml with ``novelty`` knobs of the novelty_r18 variant and ``top`` keys changed."""
    config = {**load_yaml(REPO / "config" / "ci.yaml"), **top}
    config["variants"]["novelty_r18"].update(novelty or {})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _complete_tree(config: Path, workdir: Path):
    """Every output of ``config``'s DAG in ``workdir``, recorded by Snakemake as made by its job; the plan."""
    plan = make_plan({**load_yaml(config), "tables": str(REPO / "config" / "tables.yaml")})
    outputs = [
        plan.path,
        Resources(Path(plan.config["resources"])).marker("mvtec", "synth"),
        plan.config["report"],
        *(plan.complexity_file(m) for m in plan.complexity.values()),
        *(f for key in plan.runs for f in (plan.folder(key).model, plan.folder(key).metrics)),
    ]
    for output in outputs:
        (workdir / output).parent.mkdir(parents=True, exist_ok=True)
        (workdir / output).write_text("")
    dry_run_counts(config, workdir, executor="touch")
    assert dry_run_counts(config, workdir) == {}
    return plan


def test_losing_resources_reschedules_only_the_missing_evaluation(tmp_path):
    """A complete run, then resources/ deleted (a cleaned disk, results copied to another machine)
    and one metrics.json: the data is made again and that one run evaluated, then the report;
    nothing is trained (with the workflow profile's rerun triggers)."""
    config = _ci_config(tmp_path)
    plan = _complete_tree(config, tmp_path)
    shutil.rmtree(tmp_path / plan.config["resources"])
    (tmp_path / plan.folder("mvtec/nut/backbone_r18/seed0").metrics).unlink()
    assert dry_run_counts(config, tmp_path) == {"synth": 1, "evaluate": 1, "report": 1, "all": 1}


def test_changing_one_knob_retrains_exactly_that_variants_runs(tmp_path):
    """After a complete run, a new lr for novelty_r18 retrains and re-evaluates its 4 runs; the plan and
    the report are rewritten; the other runs, the data and Table 3 are left alone. A new tolerance
    (no run's knob) rewrites only the plan and the report."""
    config = _ci_config(tmp_path)
    _complete_tree(config, tmp_path)
    assert dry_run_counts(_ci_config(tmp_path, {"lr": 0.002}), tmp_path) == {
        "plan": 1,
        "train": 4,
        "evaluate": 4,
        "report": 1,
        "all": 1,
    }
    assert dry_run_counts(_ci_config(tmp_path, tolerance={"image_auroc": 2.0}), tmp_path) == {
        "plan": 1,
        "report": 1,
        "all": 1,
    }


def test_editing_a_model_factory_retrains_exactly_its_runs(tmp_path, monkeypatch):
    """A variant whose model is a factory (rd4ad/contract/factory.py): after a complete run, editing the
    factory's source retrains and re-evaluates that variant's run only."""
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    (tmp_path / "code").mkdir()
    factory = tmp_path / "code" / "my_factory.py"
    source = (
        "from rd4ad.builders.model import build_suite_model\n\n\ndef build(run):\n    return build_suite_model(run)\n"
    )
    factory.write_text(source, encoding="utf-8")
    ci = load_yaml(REPO / "config" / "ci.yaml")
    mine = {**ci["variants"]["backbone_r18"], "model": "my_factory:build"}
    config = _ci_config(
        tmp_path,
        variants={**ci["variants"], "mine": mine},
        comparisons=[{"reference": "backbone_r18", "candidate": "mine"}],
    )
    _complete_tree(config, tmp_path)
    factory.write_text(source.replace("(run):", "(run):  # edited"), encoding="utf-8")
    assert dry_run_counts(config, tmp_path) == {"plan": 1, "train": 1, "evaluate": 1, "report": 1, "all": 1}
