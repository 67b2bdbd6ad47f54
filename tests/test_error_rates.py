"""The verdicts' error rates, measured (rd4ad/statistics/error_rates.py): with no real difference a
comparison reads better or worse in at most 5 % of simulated designs per metric, the power at the
planned detectable Δ is 80 %, a per-cell verdict reads below or above in at most 5 % of cells, and
the tables in docs/comparisons.md and docs/verdicts.md are the ones the simulation gives."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rd4ad.statistics.error_rates import (
    MARKERS,
    N_CELLS,
    N_NULL,
    N_POWER,
    PAGES,
    cell_rates,
    comparison_rates,
    with_table,
)
from rd4ad.statistics.paired import ALPHA, POWER

REPO = Path(__file__).resolve().parents[1]
# simulation error: a true rate of 5 % exceeds 5 % + 2.33 SE in 1 % of seeds; a power of 80 % lies
# within ± 3 SE in 99.7 %
NULL_BOUND = ALPHA + 2.33 * math.sqrt(ALPHA * (1 - ALPHA) / N_NULL)  # 6.1 % at 2 000 simulations
POWER_BOUND = 3 * math.sqrt(POWER * (1 - POWER) / N_POWER)  # ± 3.8 points at 1 000
CELL_BOUND = ALPHA + 2.33 * math.sqrt(ALPHA * (1 - ALPHA) / N_CELLS)


@pytest.mark.parametrize("row", comparison_rates(), ids=lambda r: f"{r['design'][0]}x{r['design'][1]}-{r['effect']}")
def test_no_difference_reads_better_or_worse_at_most_five_percent(row):
    assert row["false_worst"] <= NULL_BOUND and row["false_any"] <= NULL_BOUND  # per metric, and Holm's family


def test_designs_that_can_never_reach_the_level_say_what_they_need():
    small = {r["design"]: r["verdict"] for r in comparison_rates() if r["design"][0] < 15}
    assert small[(1, 3)] == "needs ≥ 7 seeds or categories" and small[(6, 3)] == "needs ≥ 7 categories"
    assert all(math.isnan(r["planned"]) for r in comparison_rates() if r["design"][0] < 15)


def test_the_detectable_delta_has_its_power():
    rows = {r["effect"]: r for r in comparison_rates() if r["design"] == (15, 3)}
    assert abs(rows["normal"]["power"] - POWER) <= POWER_BOUND
    assert rows["normal"]["reported"] == pytest.approx(1.0, abs=0.05)  # after the run: the planned figure
    for effect in ("heavy-tailed", "zeros and ties"):  # never more optimistic than 80 %
        assert rows[effect]["power"] >= POWER - POWER_BOUND


def test_per_cell_verdicts_read_below_or_above_at_most_five_percent():
    for row in cell_rates():
        if row["effect"] != "heavy-tailed":  # the prediction interval assumes normal seeds
            assert row["false"] <= CELL_BOUND, row
    clipped = [r for r in cell_rates() if r["effect"] == "clipped at 100" and r["n_seeds"] == 2]
    assert clipped[0]["identical"] > 0.05  # identical seeds occur: the spread's floor is what holds them


@pytest.mark.parametrize("which", list(MARKERS))
def test_the_docs_show_the_measured_tables(which):
    text = (REPO / PAGES[which]).read_text(encoding="utf-8")
    assert with_table(text, which) == text, (
        f"{PAGES[which]}'s table differs from the simulation; regenerate it with "
        "`python -m rd4ad.statistics.error_rates --write`"
    )
