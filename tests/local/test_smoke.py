"""The smoke scenarios (smoke/) against a local mode that verifies SigV4: the same set
``make smoke STACK=<stack>`` runs against a deployment."""

import subprocess
import sys

import pytest

from shared.api_document import REPO_ROOT
from smoke.scenarios import SCENARIOS
from smoke.targets import LocalTarget, SmokeError
from tests.local.conftest import start_local, stop_local, transaction


@pytest.fixture(scope="module")
def signing_local(tmp_path_factory):
    running = start_local(tmp_path_factory.mktemp("sigv4"), sigv4=True)
    try:
        yield running
    finally:
        stop_local(running)


def test_a_signed_post_is_stored_and_an_unsigned_one_refused_storing_nothing(signing_local):
    target = LocalTarget(signing_local.outbox)
    assert target.request("POST", "/transactions", transaction("sigv4-signed")).status == 201
    assert len(signing_local.stored("sigv4-signed")) == 1
    unsigned = signing_local.post(transaction("sigv4-unsigned"))  # the tests' plain client
    assert unsigned.status == 403
    assert unsigned.json["message"].startswith("Missing credentials")  # API Gateway's type
    assert signing_local.stored("sigv4-unsigned") == []


def test_every_scenario_passes_as_make_smoke_stack_local_runs_them(signing_local):
    result = subprocess.run(  # what `make smoke STACK=local` runs
        [sys.executable, "-m", "smoke", "local", "--outbox", str(signing_local.outbox)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, _ in SCENARIOS:
        assert f"ok    {name}: " in result.stdout
    assert f"{len(SCENARIOS)} passed, 0 failed" in result.stdout


def test_the_smoke_test_refuses_a_local_mode_that_does_not_check_signatures(local, tmp_path):
    with pytest.raises(SmokeError, match="make local SIGV4=1"):
        LocalTarget(local.outbox)
    with pytest.raises(SmokeError, match="no local mode is running"):
        LocalTarget(tmp_path)
