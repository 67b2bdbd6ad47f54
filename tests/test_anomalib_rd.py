"""implementation: anomalib — anomalib's ReverseDistillation trained by its Engine on a real
(synthetic) split, scored by this suite's metrics and by anomalib's own; the planning error
without the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from rd4ad.contract.layout import RunFolder
from rd4ad.contract.run import RunConfig
from rd4ad.files.errors import RD4ADError
from rd4ad.implementations.registry import implementation_of

pytest.importorskip("anomalib", reason="the optional extra anomalib is not installed")

from rd4ad.anomalib_rd.train import train_anomalib_run  # noqa: E402
from rd4ad.data.synth import SynthConfig, generate  # noqa: E402
from rd4ad.implementations.evaluate import evaluate_run  # noqa: E402
from rd4ad.scoring import HEADLINE  # noqa: E402

CPU = torch.device("cpu")
ROOT = Path(__file__).parents[1]
RUN = dict(
    dataset="mvtec",
    category="nut",
    variant="anomalib_rd",
    seed=3,
    loader="mvtec",
    protocol={},
    demo=True,
    implementation="anomalib",
    backbone="resnet18",
    teacher_weights="random",
    image_size=64,
    epochs=3,
    lr=0.005,
    batch_size=8,
)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = generate(
        tmp_path_factory.mktemp("data") / "synth",
        SynthConfig(image_size=64, n_train=16, n_test_good=6, n_test_defect=4, categories=("nut",)),
    )
    run = RunConfig(data_root=str(root), **RUN)
    folder = RunFolder(tmp_path_factory.mktemp("results"), run.key)
    train_anomalib_run(run, folder, CPU)
    return run, folder, evaluate_run(folder, CPU)


def test_our_metrics_on_anomalibs_maps_equal_anomalibs_own(evaluated):
    _, _, result = evaluated
    ours, theirs = result["levels"][HEADLINE], result["anomalib"]["metrics"]
    assert set(result["levels"]) == {HEADLINE} and result["anomalib"]["version"] == "2.7.0"
    assert ours["image_auroc"] == pytest.approx(theirs["image_auroc"], abs=1e-6)
    assert ours["pixel_auroc"] == pytest.approx(theirs["pixel_auroc"], abs=1e-6)
    assert 0.5 < ours["pixel_auroc"] <= 1.0
    assert ours["pro"] == pytest.approx(theirs["pro"], abs=1e-6)  # both exact AUPRO (anomalib ≥ 2.3)


def test_run_folder_holds_losses_and_anomalibs_state(evaluated):
    run, folder, result = evaluated
    losses = [float(line.split(",")[1]) for line in folder.loss.read_text().splitlines()[1:]]
    assert len(losses) == run.epochs and losses[-1] < losses[0]
    assert result["inputs"]["train_data"] and result["inputs"]["teacher"]
    ckpt = torch.load(folder.model, weights_only=True)
    assert ckpt["anomalib"]["version"] == "2.7.0" and "bottleneck" in " ".join(ckpt["anomalib"]["state_dict"])


def test_same_seed_same_metrics(evaluated, tmp_path):
    run, _, result = evaluated
    folder = RunFolder(tmp_path, run.key)
    train_anomalib_run(run, folder, CPU)
    assert evaluate_run(folder, CPU)["levels"] == result["levels"]


def test_knobs_anomalib_cannot_take_are_refused():
    with pytest.raises(RD4ADError, match="variant 'anomalib_rd'.*no switch for bottleneck"):
        implementation_of(RunConfig(data_root="", bottleneck="pre", **RUN))
    with pytest.raises(RD4ADError, match="fixed lr 0.005"):
        implementation_of(RunConfig(data_root="", **{**RUN, "lr": 0.001}))


def test_planning_without_the_extra_is_one_line_with_the_install_command(tmp_path):
    config = (ROOT / "config" / "ci.yaml").read_text()
    hide = textwrap.dedent(f"""
        import sys
        class Hide:
            def find_spec(self, name, path=None, target=None):
                if name == "anomalib" or name.startswith("anomalib."):
                    raise ImportError("hidden")
        sys.meta_path.insert(0, Hide())
        from rd4ad.cli import main
        sys.exit(main(["plan", "--config", {str(ROOT / "config" / "ci.yaml")!r}]))
    """)
    assert "implementation: anomalib" in config
    proc = subprocess.run([sys.executable, "-c", hide], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "anomalib is not installed" in err[0]
    assert 'pip install -e ".[anomalib]" -c requirements/anomalib-constraints.txt' in err[0]
