"""Fixtures shared by every suite."""

import pytest

from shared.settings import Settings
from tests.harness.chain import CONFIGURATIONS, Chain, Configuration, run_chain

_chains: dict[str, Chain] = {}


@pytest.fixture(params=sorted(CONFIGURATIONS), scope="session")
def configuration(request) -> Configuration:
    """Each of the two test configurations (defaults, and every knob turned)."""
    return CONFIGURATIONS[request.param]


@pytest.fixture(scope="session")
def settings(configuration) -> Settings:
    """What the layers read from ``configuration``, validated and with the defaults."""
    return configuration.settings


@pytest.fixture(scope="session")
def chain(configuration) -> Chain:
    """The five layers run in deploy order under ``configuration``, keyed by layer.

    A layer runs (after the layers before it) when a test first reads it, once per
    configuration per session: tests only read the runs.
    """
    key = configuration.stack
    if key not in _chains:
        _chains[key] = run_chain(configuration)
    return _chains[key]
