"""Fixtures shared by every suite."""

import pytest

from tests.harness.chain import CONFIGURATIONS, Configuration, run_chain
from tests.harness.pulumi_mocks import ProgramRun

_chains: dict[str, dict[str, ProgramRun]] = {}


@pytest.fixture(params=sorted(CONFIGURATIONS), scope="session")
def configuration(request) -> Configuration:
    """Each of the two test configurations (defaults, and every knob turned)."""
    return CONFIGURATIONS[request.param]


@pytest.fixture(scope="session")
def chain(configuration) -> dict[str, ProgramRun]:
    """The five layers run in deploy order under ``configuration``, keyed by layer.

    Run once per configuration per session: tests only read the runs.
    """
    key = configuration.stack
    if key not in _chains:
        _chains[key] = run_chain(configuration)
    return _chains[key]
