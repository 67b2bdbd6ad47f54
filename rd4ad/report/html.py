"""Render the report page with jinja2 (autoescape on: names from configs and folders are text)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_report(context: dict) -> str:
    """``templates/index.html`` (with ``style.css`` inlined) filled with ``context``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html").render(**context)
