"""Fixtures shared across test modules, and the order the suite runs in.

scripts/test.sh runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``). The tests
on the CI DAG (tests/test_workflow_e2e.py, tests/test_workflow_slurm.py) share one session fixture,
so they form one group (``ci_dag.GROUP``) that one worker runs; it is the longest, so it is collected
first and starts at once while the other worker takes the rest."""

import pytest

from ci_dag import GROUP, kill_and_resume


@pytest.fixture(scope="session")
def ci_dag(tmp_path_factory):
    """The CI DAG run to the end through a kill, a failed job and its retry (tests/ci_dag.py); the
    local end-to-end tests check it, the SLURM one continues a copy of it."""
    return kill_and_resume(tmp_path_factory.mktemp("ci_dag"))


def pytest_collection_modifyitems(items):
    """The CI DAG group first (stable: each part keeps its order)."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None
               or item.get_closest_marker("xdist_group").args[:1] != (GROUP,))
