"""Tables as data → cells: mean ± std over seeds, the published value, delta, a status and a verdict.

``config/tables.yaml`` says which run (variant, level subset) fills each published cell of
Tables 1–7 and supplement Table 2. A cell is (table, dataset, setting, metric, category).
Group averages (textures / objects / mean, as printed in Tables 1, 2, 4 and supplement
Table 2) are taken per seed over the configured categories, then mean ± std over seeds, so
they are missing until every member category has that seed. A printed PRO (Tables 2, 3, 5–7)
is measured twice, as the public code's per-image PRO (``pro_public``) and as the exact AUPRO
(``pro``), each with its own delta; the config's ``pro_reproduction`` says which one is
``counted`` (sets the status the summary counts).

Demo numbers (synthetic data, demo-sized models) are never compared with a published one: with
``comparable`` False a cell that has both is ``incomparable``, with no delta and no verdict.

Two judgements per cell. The *status* compares |delta| with the config's fixed tolerance (the
practical "equal enough" band). The *verdict* asks whether the published run could be one more
run of ours: the seed prediction interval (``rd4ad.statistics.seeds``) holds the published value
(consistent) or lies below / above it; with one seed it is undetermined. A group average gets
its interval from its per-seed means. Cells of the headline level subset also carry the test-set
bootstrap interval of their runs (``metrics.json`` ``intervals``; bounds averaged over seeds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rd4ad.planning.plan import Plan
from rd4ad.published import AVERAGES, OBJECTS, PAPER_METHOD, ROWS, TEXTURES
from rd4ad.published.metrics import COMPLEXITY_METRICS, PRO_MEASURES, REGISTRY
from rd4ad.results.frames import printed_order, seed_matrix, to_percent
from rd4ad.results.tree import RUN_KEYS
from rd4ad.statistics.seeds import (
    VERDICTS,
    prediction_interval,
    seed_count,
    seed_spread,
    seeds_needed,
    single_run_floor,
    verdict,
)

STATUSES = ("within", "off", "missing", "unpublished", "measured")
INCOMPARABLE = "incomparable"  # ours and a published value, but demo data: never compared
DEMO_STATUSES = (INCOMPARABLE, "missing", "unpublished")
COMPARED = ("within", "off")  # the statuses of a cell compared with its published number
CELL_KEY = ["table", "dataset", "setting", "metric", "category"]
CELL_COLUMNS = CELL_KEY + [
    "variant",
    "level",
    "n_seeds",
    "n_expected",
    "mean",
    "std",
    "pi_low",
    "pi_high",
    "test_low",
    "test_high",
    "published",
    "delta",
    "tolerance",
    "status",
    "verdict",
    "counted",
]


def statuses(comparable: bool) -> tuple[str, ...]:
    """The statuses a report's cells can take: ``STATUSES``, or ``DEMO_STATUSES`` for demo data."""
    return STATUSES if comparable else DEMO_STATUSES


def is_compared(status: pd.Series) -> pd.Series:
    """Which cells are compared with their published number (status within or off the tolerance)."""
    return status.isin(COMPARED)


def measures(metric: str, pro_reproduction: str) -> tuple[str, ...]:
    """The metrics.json keys that reproduce one printed metric, the counted one first: both PRO
    definitions for a printed PRO (Tables 2, 3, 5–7), the metric itself otherwise."""
    if metric != "pro":
        return (metric,)
    counted = PRO_MEASURES[pro_reproduction]
    return (counted,) + tuple(m for m in PRO_MEASURES.values() if m != counted)


def printed_metric(measure: str) -> str:
    """The printed metric a measured one is compared with (``pro_public`` → ``pro``)."""
    return REGISTRY[measure].printed_as if measure in REGISTRY else measure


def category_groups(dataset: str, categories: list[str]) -> dict[str, list[str]]:
    """Members of each printed average of ``dataset`` among the configured ``categories``."""
    printed = ROWS.get(dataset, ("mean",))
    members = {
        "textures": [c for c in categories if c in TEXTURES],
        "objects": [c for c in categories if c in OBJECTS],
        "mean": list(categories),
    }
    return {name: members[name] for name in AVERAGES if name in printed}


def with_averages(matrix: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Append one row per group: the per-seed mean over its members (NaN unless all are present)."""
    averages = {
        name: (matrix.loc[members].mean(skipna=False) if members else pd.Series(np.nan, index=matrix.columns))
        for name, members in groups.items()
    }
    return pd.concat([matrix, pd.DataFrame(averages).T.reindex(columns=matrix.columns)])


def summarize(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per row: number of seeds, mean, sample std (ddof 1) and the seed prediction interval
    (``pi_low``, ``pi_high``); std and interval NaN for one seed."""
    values = matrix.to_numpy(dtype=float)
    low, high = prediction_interval(values)
    return pd.DataFrame(
        {
            "n_seeds": seed_count(values),
            "mean": matrix.mean(axis=1),
            "std": seed_spread(values),
            "pi_low": low,
            "pi_high": high,
        },
        index=matrix.index,
    )


def cell_status(mean: pd.Series, published: pd.Series, tolerance: pd.Series) -> pd.Series:
    """within / off (|delta| vs tolerance), missing (no run), unpublished, measured (no tolerance)."""
    delta = (mean - published).abs()
    return pd.Series(
        np.select(
            [mean.isna(), published.isna(), tolerance.isna(), delta <= tolerance + 1e-9],
            ["missing", "unpublished", "measured", "within"],
            "off",
        ),
        index=mean.index,
    )


def table_rows(published: pd.DataFrame, table: str, dataset: str, configured: list[str]) -> list[str]:
    """Row categories of one table and dataset in the paper's printed order: per-category tables
    (1, 2, supplement 2) print every category, the configured ones the paper lacks just before the
    overall mean; summary tables only the printed averages."""
    printed = ROWS.get(dataset, ("mean",))
    shown = set(published.loc[(published["table"] == table) & (published["dataset"] == dataset), "category"])
    if shown <= set(AVERAGES):
        return [c for c in printed if c in shown] or ["mean"]
    return printed_order(dataset, [c for c in printed if c != "mean"] + configured) + ["mean"]


def _measured(
    plan: Plan, runs: pd.DataFrame, complexity: pd.DataFrame, dataset: str, variant: str, level: str | None, metric: str
) -> pd.DataFrame:
    """n_seeds / mean / std per category (and averages) for one measured column."""
    if metric in COMPLEXITY_METRICS:
        hit = complexity[
            (complexity["dataset"] == dataset)
            & (complexity["variant"] == variant)
            & (complexity["metric"] == metric)
            & (complexity["processor"] == "cpu")
        ]
        value = hit["value"].iloc[0] if len(hit) else np.nan
        return pd.DataFrame(
            {"n_seeds": [int(len(hit) > 0)], "mean": [value], "std": [np.nan], "pi_low": [np.nan], "pi_high": [np.nan]},
            index=["mean"],
        )
    categories = plan.categories(dataset, variant)
    matrix = seed_matrix(runs, dataset, variant, metric, level, categories, plan.seeds)
    return summarize(with_averages(matrix, category_groups(dataset, categories)))


def cell_test_intervals(intervals: pd.DataFrame, seeds: tuple[int, ...]) -> pd.DataFrame:
    """Per (dataset, category, variant, metric): the runs' test-set interval bounds in percent,
    averaged over ``seeds`` (``intervals`` is ``collect_intervals`` output)."""
    chosen = intervals[intervals["seed"].isin(seeds)]
    means = chosen.groupby(["dataset", "category", "variant", "metric"])[["low", "high"]].mean() * 100.0
    return means.rename(columns={"low": "test_low", "high": "test_high"})


def build_cells(
    plan: Plan,
    runs: pd.DataFrame,
    complexity: pd.DataFrame,
    published: pd.DataFrame,
    intervals: pd.DataFrame | None = None,
    comparable: bool = True,
) -> pd.DataFrame:
    """Every cell of every declared table: measured mean ± std, the seed prediction interval, the
    test-set interval (headline level subset), published RD4AD value, delta, status and verdict.

    ``runs`` is ``collect_runs`` output (fractions); ``intervals`` ``collect_intervals``'s (none: no
    test-set intervals); ``published`` is ``load_published()``; ``comparable`` False (demo data): no
    cell is compared with its published value."""
    test_set = cell_test_intervals(intervals, plan.seeds) if intervals is not None and len(intervals) else None
    runs = to_percent(runs[runs["seed"].isin(plan.seeds)])
    paper = published[published["method"] == PAPER_METHOD].set_index(CELL_KEY)["value"]
    frames = []
    for table, spec in plan.tables.items():
        for setting in spec.settings:
            variant, level = setting.variant, setting.level
            for dataset in spec.datasets:
                rows = table_rows(published, table, dataset, plan.categories(dataset))
                for metric in spec.metrics:
                    for rank, measure in enumerate(measures(metric, plan.pro_reproduction)):
                        measured = _measured(plan, runs, complexity, dataset, variant, level, measure)
                        frame = measured.reindex(rows).rename_axis("category").reset_index()
                        frame = frame.assign(
                            table=table,
                            dataset=dataset,
                            setting=setting.key,
                            metric=measure,
                            variant=variant,
                            level=level or "headline",
                            counted=rank == 0 and setting.published,
                        )
                        frames.append(_with_test_set(frame, test_set if level is None else None))
    cells = pd.concat(frames, ignore_index=True)
    printed = cells.assign(metric=cells["metric"].map(printed_metric))
    cells["n_seeds"] = cells["n_seeds"].fillna(0).astype(int)
    cells["n_expected"] = np.where(cells["metric"].isin(COMPLEXITY_METRICS), 1, len(plan.seeds))
    cells["published"] = paper.reindex(pd.MultiIndex.from_frame(printed[CELL_KEY])).to_numpy()
    cells["delta"] = cells["mean"] - cells["published"]
    cells["tolerance"] = printed["metric"].map(plan.tolerance).astype(float)
    cells["status"] = cell_status(cells["mean"], cells["published"], cells["tolerance"])
    if not comparable:
        both = cells["mean"].notna() & cells["published"].notna()
        cells.loc[both, "status"] = INCOMPARABLE
        cells["delta"] = np.nan
    compared = is_compared(cells["status"])
    cells["verdict"] = np.where(
        compared, verdict(cells["published"], cells["pi_low"], cells["pi_high"], cells["n_seeds"]), ""
    )
    return cells[CELL_COLUMNS]


def configured_rows(plan: Plan, cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` of the categories the plan runs and of the averages with a member among them: a demo leaves
    out the paper's other categories."""
    keep = pd.Series(False, index=cells.index)
    for dataset in plan.datasets:
        categories = plan.categories(dataset)
        shown = set(categories) | {name for name, members in category_groups(dataset, categories).items() if members}
        keep |= (cells["dataset"] == dataset) & cells["category"].isin(shown)
    return cells[keep].reset_index(drop=True)


def _with_test_set(frame: pd.DataFrame, test_set: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` (cells of one dataset, variant and metric) with its runs' test-set bounds, if any."""
    if test_set is None:
        return frame.assign(test_low=np.nan, test_high=np.nan)
    key = pd.MultiIndex.from_frame(frame[["dataset", "category", "variant", "metric"]])
    found = test_set.reindex(key)
    return frame.assign(test_low=found["test_low"].to_numpy(), test_high=found["test_high"].to_numpy())


def headline_variant(plan: Plan, dataset: str) -> str | None:
    """The variant of the first declared table of ``dataset``: its setting marked ``headline`` in
    config/tables.yaml (headline for MVTec, Table 1 "256"), else its first setting."""
    for spec in plan.tables.values():
        if dataset in spec.datasets:
            return spec.headline.variant
    return None


def expected_runs(plan: Plan) -> pd.DataFrame:
    """Every (dataset, category, variant, seed) the plan holds for the tables and audit pairs."""
    keys = [p.run.key for p in plan.runs.values()]
    return pd.DataFrame([(k.dataset, k.category, k.variant, k.seed) for k in keys], columns=RUN_KEYS)


def run_progress(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """``expected_runs`` with a boolean ``done`` (its metrics.json exists)."""
    expected = expected_runs(plan)
    done = runs[RUN_KEYS].drop_duplicates().assign(done=True)
    return expected.merge(done, on=RUN_KEYS, how="left").fillna({"done": False}).astype({"done": bool})


def delta_summary(cells: pd.DataFrame, comparable: bool = True) -> pd.DataFrame:
    """Per table, over the counted cells: compared cells (those with a tolerance), mean delta,
    mean |delta| (percentage points) and the count of each status (``statuses(comparable)``)."""
    order = list(dict.fromkeys(cells["table"]))
    cells = cells[cells["counted"]]
    with_delta = cells.dropna(subset=["delta", "tolerance"])
    deltas = with_delta.groupby("table")["delta"].agg(
        n_compared="size", mean_delta="mean", mean_abs_delta=lambda d: d.abs().mean()
    )
    shown = statuses(comparable)
    counts = pd.crosstab(cells["table"], cells["status"]).reindex(columns=list(shown), fill_value=0)
    return (
        deltas.join(counts, how="outer")
        .reindex(order)
        .fillna({"n_compared": 0})
        .astype({"n_compared": int, **{s: int for s in shown}})
    )


def verdict_summary(cells: pd.DataFrame) -> pd.DataFrame:
    """Per table, over the counted compared cells: the count of each verdict; the median seed
    spread (pp); the seeds whose mean would be pinned to ±0.5 pp at that spread (95 %,
    ``rd4ad.statistics.seeds.seeds_needed``); and the half-width that no number of seeds removes
    when the comparison is with one published run (``single_run_floor``). The last three are
    advice: they never change a verdict."""
    order = list(dict.fromkeys(cells["table"]))
    compared = cells[cells["counted"] & is_compared(cells["status"])]
    counts = pd.crosstab(compared["table"], compared["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    spread = compared.dropna(subset=["std"]).groupby("table")["std"].median()
    advice = pd.DataFrame(
        {
            "median_spread": spread,
            "seeds_needed": seeds_needed(spread.to_numpy()),
            "single_run_floor": single_run_floor(spread.to_numpy()),
        },
        index=spread.index,
    )
    summary = counts.join(advice, how="left").reindex([t for t in order if t in counts.index])
    return summary.astype({v: int for v in VERDICTS})
