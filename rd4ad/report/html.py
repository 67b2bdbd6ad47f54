"""Render the report page with jinja2 (autoescape on: names from configs and folders are text; undefined
names and attributes are errors)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from rd4ad.report.page import Page

TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_environment() -> Environment:
    """The jinja2 environment of ``templates/``."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(page: Page) -> str:
    """``templates/index.html`` (with ``style.css`` inlined) filled with ``page``."""
    return template_environment().get_template("index.html").render(page=page)
