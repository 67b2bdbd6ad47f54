"""End to end (slow, CI): the DAG of config/ci.yaml killed like a lost node (SIGKILL) right after a
model.pt appeared, while the slow run has a resume checkpoint; the documented re-run (--unlock,
then --rerun-incomplete) with one run's evaluation made to fail ends non-zero but with the report,
which names that run; the same command again runs only that evaluation. Nothing finished is ever
trained again and the interrupted run resumes. The metrics then pass the drift check against the
committed baseline tests/baselines/ci.json on any x86-64 CPU (bit for bit on a CPU of the baseline's
numerics environment, within the seed-spread tolerance elsewhere, naming the stage where the bits
part), and injected regressions — bilinear upsampling with align_corners=False, the Eq. 2 loss in
place of the flat one, M1 dropped from the map — fail it against this machine's own values, M1
dropped also against the committed baseline under the other-environment rule."""

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from ci_dag import (
    BASELINE,
    FAILING_RUN,
    GROUP,
    HOLD_EPOCH,
    SLOW_KEY,
    SLOW_RUN,
    Failed,
    ci_plan,
    env,
    finished,
    job_counts,
    local_baseline,
)

from rd4ad import drift
from rd4ad.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(GROUP)]

# align_corners=False in the upsampling of every anomaly map, applied in the evaluating process.
MISALIGNED = (
    "import sys, torch.nn.functional as F; from rd4ad.cli import main; up = F.interpolate; "
    "F.interpolate = lambda *a, **k: up(*a, **{**k, 'align_corners': False}); sys.exit(main(sys.argv[1:]))"
)
# M1 left out of the headline map's sum (Eq. 3 over M2 and M3 only), applied in the evaluating process.
DROP_M1 = (
    "import sys; from rd4ad.scoring import LEVEL_SUBSETS; from rd4ad.cli import main; "
    "LEVEL_SUBSETS['M1+2+3'] = (1, 2); sys.exit(main(sys.argv[1:]))"
)


def test_the_ci_dag_runs_through_a_kill_a_failure_and_a_retry(ci_dag_outcome):
    """The one test that reports why the CI DAG did not finish; the others that need it then skip."""
    if isinstance(ci_dag_outcome, Failed):
        pytest.fail(ci_dag_outcome.cause, pytrace=False)


def test_one_failed_run_leaves_a_report_of_the_rest_and_is_retried_alone(ci_dag):
    code, out, report = ci_dag.failed
    assert code != 0, out[-3000:]
    log = f"results/ci/{FAILING_RUN}/evaluate.log"
    assert FAILING_RUN in report and log in report, "the report names the failed run and its log"
    assert "cannot write" in report and "scores.csv" in report, "…and its error line"
    assert job_counts(ci_dag.retry) == {"evaluate": 1, "report": 1, "all": 1}


def test_killed_dag_resumes_without_retraining(ci_dag):
    workdir, resume, done = ci_dag.workdir, ci_dag.resume, ci_dag.done
    slow = workdir / SLOW_RUN
    epochs = ci_plan().run(SLOW_KEY).epochs
    assert resume["epoch"] == HOLD_EPOCH < epochs
    assert ci_dag.just_written / "model.pt" in done
    assert {p: finished(p) for p in done} == done, (
        "a run that had its model.pt when the DAG was killed is never trained again"
    )
    assert f"resume.pt: resuming after epoch {HOLD_EPOCH} of {epochs}" in (slow / "train.log").read_text()
    losses = pd.read_csv(slow / "loss.csv")
    assert list(losses["epoch"]) == list(range(1, epochs + 1))
    before = pd.DataFrame(resume["losses"])
    pd.testing.assert_frame_equal(losses.iloc[: len(before)].reset_index(drop=True), before, check_dtype=False)
    assert not (slow / "resume.pt").exists()

    plan = ci_plan()
    expected = (
        [f for key in plan.runs for f in (plan.folder(key).model, plan.folder(key).metrics)]
        + [plan.complexity_file(m) for m in plan.complexity.values()]
        + [plan.path, plan.config["report"]]
    )
    assert [f for f in expected if not (workdir / f).is_file()] == []


def test_ci_metrics_pass_the_drift_check_against_the_committed_baseline(ci_dag, capsys):
    """On a CPU of the baseline's numerics environment every value is bit-identical; on any other the
    check passes within its other-environment tolerance and names where each run's bits part."""
    results = ci_dag.workdir / "results" / "ci"
    code = main(["drift", "--baseline", str(BASELINE), "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 0, out
    committed = json.loads(BASELINE.read_text())
    if drift.same_numerics(committed["environment"], drift.environment(results)):
        assert out.splitlines()[-1].endswith(f"; {len(committed['values'])} bit-identical"), out
        assert f"  identical: {len(committed['digests'])} runs" in out.splitlines(), out
    else:
        assert "numerics environment differs from the baseline's" in out, out
    assert "where the bits part" in out, out


def _metrics_only_copy(workdir: Path, dest: Path) -> Path:
    """The results tree with its metrics.json files only (what the drift check reads)."""
    shutil.copytree(
        workdir / "results" / "ci",
        dest,
        ignore=lambda d, names: [n for n in names if not (Path(d, n).is_dir() or n == "metrics.json")],
    )
    return dest


def _rd4ad(workdir: Path, *args: str, driver: tuple[str, ...] = ("-m", "rd4ad")) -> None:
    execution = ["--device", "cpu", "--cpu-numerics", "pinned"]
    subprocess.run(
        [sys.executable, *driver, *args, *execution], cwd=workdir, env=env(workdir), check=True, capture_output=True
    )


def _reevaluated(workdir: Path, results: Path, driver: str) -> str:
    """The headline run re-evaluated by a patched evaluation (its weights copied, not retrained)."""
    key = "mvtec/nut/headline/seed0"
    shutil.copy(workdir / "results" / "ci" / key / "model.pt", results / key / "model.pt")
    _rd4ad(workdir, "evaluate", "--run", key, "--results", str(results), driver=("-c", driver))
    return key


def _misaligned_upsampling(workdir: Path, results: Path) -> str:
    return _reevaluated(workdir, results, MISALIGNED)


def _m1_dropped(workdir: Path, results: Path) -> str:
    return _reevaluated(workdir, results, DROP_M1)


def _eq2_loss(workdir: Path, results: Path) -> str:
    """One run retrained with the Eq. 2 loss in place of the flat one, under its own name."""
    run = dataclasses.replace(ci_plan().run("mvtec/nut/backbone_r18/seed0"), loss="eq2")
    _rd4ad(workdir, "train", "--run-json", json.dumps(run.to_dict()), "--results", str(results))
    _rd4ad(workdir, "evaluate", "--run", str(run.key), "--results", str(results))
    return str(run.key)


def _baseline_here(workdir: Path, folder: Path) -> Path:
    """This machine's own CI values as the baseline (the same numerics environment, whatever the CPU)."""
    return local_baseline(_metrics_only_copy(workdir, folder / "unchanged"), folder / "baseline_here.json")


def _baseline_elsewhere(folder: Path) -> Path:
    """The baseline as if made under another torch: the drift check then allows max(0.5 pp, 3 × seed spread)."""
    data = json.loads(BASELINE.read_text())
    data["environment"]["torch"] = "0.0.0+elsewhere"
    path = folder / "baseline_elsewhere.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "regression, environments",
    [(_misaligned_upsampling, ("same",)), (_eq2_loss, ("same",)), (_m1_dropped, ("same", "other"))],
    ids=["align_corners", "eq2_loss", "m1_dropped"],
)
def test_injected_regression_fails_the_drift_check(ci_dag, tmp_path, capsys, regression, environments):
    """Each regression fails the check against this machine's own values (the same numerics environment:
    0.5 pp); M1 dropped from the map also against the committed baseline under the other-environment rule
    (max(0.5 pp, 3 × the seed spread)): the headline's spread is small enough for the check to see a real
    regression after a torch upgrade or on another CPU."""
    workdir = ci_dag.workdir
    same = _baseline_here(workdir, tmp_path)
    results = _metrics_only_copy(workdir, tmp_path / "ci")
    run = regression(workdir, results)
    for environment in environments:
        baseline = _baseline_elsewhere(tmp_path) if environment == "other" else same
        code = main(["drift", "--baseline", str(baseline), "--results", str(results)])
        out = capsys.readouterr().out
        assert code == 1, out
        assert ("numerics environment differs" in out) == (environment == "other"), out
        failing = out.split("largest moves")[0].splitlines()
        flagged = [line.split()[0] for line in failing if line.endswith(" DRIFT")]
        assert flagged and all(key.startswith(run + "/") for key in flagged), out


def test_the_anomalib_row_and_the_cross_implementation_section_hold_measured_numbers(ci_dag):
    run = json.loads((ci_dag.workdir / "results/ci/mvtec/nut/anomalib_rd/seed0/metrics.json").read_text())
    ours, theirs = run["levels"]["M1+2+3"], run["anomalib"]["metrics"]
    assert ours["image_auroc"] == pytest.approx(theirs["image_auroc"], abs=1e-6)
    assert ours["pixel_auroc"] == pytest.approx(theirs["pixel_auroc"], abs=1e-6) and ours["pixel_auroc"] > 0.5
    report = (ci_dag.workdir / "reports" / "ci" / "index.html").read_text()
    section = report[report.index('<section id="implementations">') :]
    section = section[: section.index("</section>")]
    assert "anomalib 2.7.0" in section and "Known differences between the implementations" in section
    assert f"{ours['pixel_auroc'] * 100:.1f}" in section, "anomalib's pixel AUROC, measured, in the section"
    t1 = report[report.index('id="table-T1"') :]
    assert "anomalib RD" in t1[: t1.index("</table>")]
