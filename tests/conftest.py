"""Fixtures shared across test modules, and the order the suite runs in.

scripts/test.sh runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``), so every
test process and the CLI processes it starts use one intra-op thread (OMP_NUM_THREADS=1, set
before torch loads): two workers, or a worker and the CI DAG's jobs, share the cores without
OpenMP threads spinning against each other.

The CI DAG (tests/ci_dag.py) runs once per session, on the worker that asks first. Its local
checks form the xdist group ``ci_dag``, the largest work unit, which one worker starts with; the
other worker runs the rest, collected in order, the SLURM continuation of the DAG last."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from ci_dag import kill_and_resume, once_per_session, required  # noqa: E402

DAG_REPORTER = "tests/test_workflow_e2e.py::test_the_ci_dag_runs_through_a_kill_a_failure_and_a_retry"


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory):
    """A temporary folder common to every xdist worker of this session."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def ci_dag_outcome(shared_tmp):
    """The CI DAG run to the end through a kill, a failed job and its retry (one run for all workers),
    or why it did not get there (``ci_dag.Failed``), which one test reports."""
    return once_per_session(shared_tmp, "ci_dag", kill_and_resume, DAG_REPORTER)


@pytest.fixture(scope="session")
def ci_dag(ci_dag_outcome):
    """The finished CI DAG; a test that needs it skips when it failed (the cause is reported once)."""
    return required(ci_dag_outcome)


def pytest_collection_modifyitems(items):
    """The SLURM tests last (stable: everything else keeps its order)."""
    items.sort(key=lambda item: item.path.name == "test_workflow_slurm.py")
