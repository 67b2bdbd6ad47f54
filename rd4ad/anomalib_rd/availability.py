"""Is anomalib installed? Asked at planning time, without importing it (it loads torch and Lightning)."""

from __future__ import annotations

import importlib.util
from importlib import metadata

from rd4ad.files.errors import RD4ADError

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


def require_anomalib(where: str) -> str:
    """The installed anomalib release; one clear error naming ``where`` and the install command if there is none."""
    version = anomalib_version()
    if version is None:
        raise RD4ADError(
            f"{where}: a variant sets implementation: anomalib, but anomalib is not installed; "
            f"install the extra with `{INSTALL}` (anomalib {TESTED_VERSION}), or remove those variants"
        )
    return version
