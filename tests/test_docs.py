"""The documentation stays true to the tree: every relative link of the Markdown pages resolves (file and
heading), and config/README.md's knob table is the one generated from RunConfig."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rd4ad.cli import main
from rd4ad.contract.knob_table import BEGIN, END, knob_table_markdown, with_knob_table
from rd4ad.contract.run import knobs

REPO = Path(__file__).resolve().parents[1]
PAGES = [
    REPO / "README.md",
    REPO / "CHANGELOG.md",
    REPO / "config" / "README.md",
    REPO / "workflow" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` (outside code blocks) whose file or heading does not exist."""
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif fragment and fragment not in {
            anchor(h) for h in re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
        }:
            broken.append(f"{target}: no such heading in {linked.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page):
    assert broken_links(page) == []


def test_a_broken_link_or_heading_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Where to look\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n[ok](other.md#where-to-look) [self](#top) [web](https://x.org/y)\n"
        "[gone](missing.md) [bad](other.md#nowhere)\n```\n[in code](nothing.md)\n```\n"
    )
    assert broken_links(page) == ["missing.md: no such file", "other.md#nowhere: no such heading in other.md"]


def test_headings_become_githubs_anchors():
    assert anchor("Plan (`<results>/plan.json`)") == "plan-resultsplanjson"
    assert anchor("Moving results, cleaning disks") == "moving-results-cleaning-disks"


def test_the_knob_table_in_config_readme_is_current():
    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    assert with_knob_table(text) == text, (
        "config/README.md's knob table differs from RunConfig's knobs; regenerate it with "
        "`python -m rd4ad knobs --write config/README.md`"
    )


def test_the_knob_table_has_one_row_per_knob_with_its_default():
    rows = knob_table_markdown().splitlines()[2:]
    cells = [re.split(r"(?<!\\)\|", row)[1:-1] for row in rows]
    assert [c[0].strip() for c in cells] == [f"`{f.name}`" for f in knobs()]
    by_name = {c[0].strip("` "): [x.strip() for x in c[1:]] for c in cells}
    assert by_name["image_size"][:3] == ["integer", "required", "≥ 32, multiple of 32"]
    assert by_name["loss"][1:3] == ["`flat`", "`flat`, `eq2`"]
    assert by_name["fast"][1] == "`true`"
    assert "&lt;resources>/torch) \\| random" in by_name["teacher_weights"][3]


def test_knobs_write_replaces_only_the_marked_block(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Knobs\nbefore\n{BEGIN}\n| stale |\n{END}\nafter\n")
    assert main(["knobs", "--write", str(readme)]) == 0
    assert readme.read_text() == f"# Knobs\nbefore\n{BEGIN}\n{knob_table_markdown()}{END}\nafter\n"
    assert capsys.readouterr().out == f"{readme}: knob table updated\n"
    readme.write_text("# Knobs\nno markers\n")
    assert main(["knobs", "--write", str(readme)]) == 2
    assert "no knob table markers" in capsys.readouterr().err
