"""The report's page model: the template reads only attributes the model has, and once ``collect`` has run,
building the model and writing every file reads nothing (the results folder may be gone)."""

from __future__ import annotations

import shutil
import types
import typing
from dataclasses import is_dataclass

import pytest
from jinja2 import UndefinedError, meta, nodes
from results_fixtures import build_tree

from rd4ad.planning.plan import Plan
from rd4ad.report.collect import collect
from rd4ad.report.html import render_report, template_environment
from rd4ad.report.page import Page
from rd4ad.report.sections import build_page
from rd4ad.report.write import write_page

TEMPLATES = ("index.html", "style.css")


def page_chains(source: str) -> set[tuple[str, ...]]:
    """Every attribute chain a template reads from ``page`` (``page.runs.cost_table`` → ("runs", "cost_table"))."""
    chains = set()
    for node in template_environment().parse(source).find_all(nodes.Getattr):
        path = []
        while isinstance(node, nodes.Getattr):
            path.append(node.attr)
            node = node.node
        if isinstance(node, nodes.Name) and node.name == "page":
            chains.add(tuple(reversed(path)))
    return chains


def _dataclass(hint) -> type | None:
    """The dataclass a field's type names (``X | None`` → X), or None for a plain value (str, dict, tuple …)."""
    options = (
        typing.get_args(hint)
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
        else (hint,)
    )
    return next((o for o in options if isinstance(o, type) and is_dataclass(o)), None)


def unknown(chain: tuple[str, ...]) -> tuple[str, ...] | None:
    """The first prefix of ``chain`` that names no field, property or method of the page model; None when all do
    (past a plain value — a dict's ``items``, a string — the chain is the value's own)."""
    owner: type | None = Page
    for i, attr in enumerate(chain):
        if owner is None:
            return None
        hints = typing.get_type_hints(owner)
        if attr in hints:
            owner = _dataclass(hints[attr])
        elif hasattr(owner, attr):  # a property or a method
            owner = None
        else:
            return chain[: i + 1]
    return None


def _source(name: str) -> str:
    env = template_environment()
    return env.loader.get_source(env, name)[0]


def test_the_templates_read_only_attributes_of_the_page_model():
    chains = set().union(*(page_chains(_source(name)) for name in TEMPLATES))
    assert ("runs", "progress_table") in chains and ("environment", "plan_hash") in chains
    assert [c for c in chains if unknown(c)] == []
    # the check finds a misspelt section or field, and a field read past a plain value passes
    assert unknown(("runs", "progress_tabel")) == ("runs", "progress_tabel")
    assert unknown(("header", "demo", "anything")) is None
    assert page_chains("{{ page.verdicts.seeds }}{{ other.x }}") == {("verdicts",), ("verdicts", "seeds")}
    # and the template names nothing but the model
    env = template_environment()
    assert set().union(*(meta.find_undeclared_variables(env.parse(_source(n))) for n in TEMPLATES)) == {"page"}


@pytest.mark.parametrize("mode", ["demo", "paper"])
def test_a_page_renders_with_every_name_defined(tmp_path, mode):
    plan, _ = build_tree(tmp_path, mode=mode, artifacts=False)
    page = build_page(collect(Plan.read(plan)), "2026-01-01 00:00 UTC")
    html = render_report(page)  # StrictUndefined: a name the model lacks is an error
    assert ('id="demo-banner"' in html) == (mode == "demo")
    assert "Generated 2026-01-01 00:00 UTC." in html
    assert f"plan hash {page.environment.plan_hash}</footer>" in html
    with pytest.raises(UndefinedError, match="progress_tabel"):
        template_environment().from_string("{{ page.runs.progress_tabel }}").render(page=page)


def test_nothing_is_read_after_collect(tmp_path):
    plan, results = build_tree(tmp_path)  # with scores, examples and loss logs
    inputs = collect(Plan.read(plan))
    shutil.rmtree(results)  # the plan file and every run folder
    page = build_page(inputs, "2026-01-01 00:00 UTC")
    out = write_page(page, tmp_path / "report" / "index.html")
    folder = out.parent
    figures = sorted(f.file for f in page.figure_specs())
    assert {"figures/scores_mvtec.png", "figures/overlays_mvtec.png", "figures/loss_mvtec.png"} <= set(figures)
    assert sorted(str(p.relative_to(folder)) for p in (folder / "figures").iterdir()) == figures
    assert all((folder / f).read_bytes().startswith(b"\x89PNG") for f in figures)
    assert (folder / "summary.md").read_text(encoding="utf-8") == page.exports.summary
    assert (folder / "tables" / "T1.csv").read_text(encoding="utf-8").startswith("table,row,column,")
    assert (folder / "tables" / "comparisons.tex").read_text(encoding="utf-8").startswith(r"\begin{table}[t]")
    assert "figures/overlays_mvtec.png" in out.read_text(encoding="utf-8")
