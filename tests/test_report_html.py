"""The report page opened in headless Chromium: tables and figures in the DOM, config text escaped.

CI installs Debian's chromium (``/usr/bin/chromium``); without it these tests FAIL.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess

import pytest

from results_fixtures import build_tree
from rd4ad.cli import main
from rd4ad.published import TABLES
from rd4ad.report.build import build_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INJECTED = '<script>document.body.setAttribute("data-pwned","1")</script>'
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium(profile, *args: str) -> str:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); "
                    "the report test needs it and CI installs it")
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    plan, _ = build_tree(root, mode="demo", roots={"mvtec": INJECTED})
    out = root / "reports" / "index.html"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["report", "--plan", str(plan), "--out", str(out)])
    return root, out, code, printed.getvalue()


@pytest.fixture(scope="module")
def dom(report):
    root, out, _, _ = report
    return chromium(root / "profile", "--dump-dom", out.as_uri())


def test_cli_prints_the_page_path(report):
    _, out, code, printed = report
    assert code == 0 and printed.strip() == str(out) and out.is_file()


def test_rendered_dom_has_tables_figures_and_demo_labels(report, dom):
    out = report[1]
    for table in TABLES:
        assert f'id="table-{table}"' in dom
    assert "DEMO — synthetic data and a randomly initialised teacher; numbers are NOT a reproduction" in dom
    assert "ours (DEMO)" in dom and "Δ (DEMO)" in dom
    assert re.search(r'<td class="ours within"[^>]*>98\.0 ± 1\.4</td>', dom)      # T1 carpet
    assert re.search(r'<td class="delta off"[^>]*>-3\.0</td>', dom)               # T2 carpet PRO
    images = re.findall(r'<img src="(figures/[^"]+\.png)"', dom)
    assert {"figures/scores_mvtec.png", "figures/overlays_mvtec.png", "figures/loss_mvtec.png",
            "figures/deltas_mvtec.png", "figures/scores_mnist.png"} <= set(images)
    assert all((out.parent / image).stat().st_size > 1000 for image in images)


def test_config_text_is_escaped_not_executed(dom):
    assert "&lt;script&gt;document.body.setAttribute" in dom
    assert "<script" not in dom
    assert "pwned" not in re.search(r"<body[^>]*>", dom).group(0)


def test_screenshot_renders(report, tmp_path):
    root, out = report[:2]
    shot = tmp_path / "report.png"
    chromium(root / "profile", "--window-size=1400,2000", f"--screenshot={shot}", out.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_demo_runs_are_labelled_demo_under_a_paper_config(tmp_path):
    plan, results = build_tree(tmp_path, mode="paper", artifacts=False)
    paper = build_report(plan, tmp_path / "paper" / "index.html").read_text()
    assert "DEMO —" not in paper and "ours (DEMO)" not in paper
    for metrics in results.glob("*/*/*/seed*/metrics.json"):
        metrics.write_text(metrics.read_text().replace('"demo": false', '"demo": true'))
    page = build_report(plan, tmp_path / "demo" / "index.html").read_text()
    assert "numbers are NOT a reproduction of the paper" in page and "ours (DEMO)" in page
