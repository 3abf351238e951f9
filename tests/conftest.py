"""Fixtures shared by every suite."""

import gc
import warnings

import pytest

from shared.settings import Settings
from tests.harness.chain import CONFIGURATIONS, Chain, Configuration, run_chain

_chains: dict[str, Chain] = {}


# A Pulumi program stopped by an error (a bad config value, say) leaves the coroutines of its
# pending outputs unawaited; their warning says nothing about the code under test.
UNAWAITED_OUTPUTS = r"coroutine 'Output\..*' was never awaited"


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", f"ignore:{UNAWAITED_OUTPUTS}:RuntimeWarning")


def pytest_collection_modifyitems(items):
    """tests/local first, the rest in their order: its tests mostly wait on local modes (their
    start, the workers' batching windows), so under pytest-xdist (``make test``) the CPU-bound
    suites fill those waits instead of leaving one worker to finish them alone."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/local/"))


def pytest_unconfigure(config):
    """Some of those coroutines outlive the last test; left to the interpreter's exit, they
    are reported after the summary. Collected here, they are filtered as in the tests."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", UNAWAITED_OUTPUTS, RuntimeWarning)
        gc.collect()


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
