"""Is anomalib installed? Asked at planning time, without importing it (it loads torch and Lightning)."""

from __future__ import annotations

import importlib.util
from importlib import metadata

TESTED_VERSION = "2.7.0"  # the release this suite's cross-implementation rows were made and tested with
INSTALL = 'pip install -e ".[anomalib]" -c requirements/anomalib-constraints.txt'


def anomalib_version() -> str | None:
    """The installed anomalib release, or ``None`` where ``import anomalib`` would fail to find it."""
    try:
        if importlib.util.find_spec("anomalib") is None:
            return None
    except ImportError:
        return None
    return metadata.version("anomalib")
