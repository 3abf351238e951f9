"""The Makefile's deploy orchestration, driven with a stub ``pulumi`` that records its calls."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.layers import LAYERS
from shared.outputs import DataOutputs, EdgeOutputs
from tests.harness.pulumi_mocks import REPO_ROOT

STUB = r"""#!/usr/bin/env bash
echo "$(basename "$PWD") $* backend=${PULUMI_BACKEND_URL:-}" >> "$PULUMI_STUB_LOG"
if [[ $1 == whoami ]]; then exit "${PULUMI_STUB_WHOAMI:-0}"; fi
if [[ -n ${PULUMI_STUB_FAIL:-} && "$(basename "$PWD") $1" == "$PULUMI_STUB_FAIL" ]]; then
  echo "stub: $1 failed" >&2
  exit 1
fi
if [[ $1 == stack && $2 == output ]]; then echo "stub-$3"; fi
exit 0
"""


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of what the Makefile uses, so tests never write into the working tree."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / name, copy / name)  # copy2 keeps mtimes: .venv stays fresh
    for name in ("scripts", "shared", "stacks", "functions"):
        shutil.copytree(REPO_ROOT / name, copy / name, copy_function=shutil.copy2,
                        ignore=shutil.ignore_patterns("__pycache__"))
    # A stand-in for .venv that runs the real one's packages and is already "installed": a
    # symlink to the real .venv would let a stale stamp reinstall the project from this copy.
    venv = copy / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(REPO_ROOT / ".venv" / "bin" / "python")
    (venv / "lib").symlink_to(REPO_ROOT / ".venv" / "lib")
    shutil.copy(REPO_ROOT / ".venv" / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / ".installed").touch()
    return copy


@pytest.fixture
def bin_dir(tmp_path) -> Path:
    """A PATH directory with python3 and, unless a test removes it, the stub pulumi."""
    directory = tmp_path / "bin"
    directory.mkdir()
    (directory / "python3").symlink_to(sys.executable)
    stub = directory / "pulumi"
    stub.write_text(STUB)
    stub.chmod(0o755)
    return directory


def make(repo: Path, bin_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    log = repo.parent / "pulumi.log"
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(repo.parent),
        "PULUMI_STUB_LOG": str(log),
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example",
        "AWS_CONFIG_FILE": str(repo.parent / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(repo.parent / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHON": "python3",
    }
    environment.update(env)
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(["make", "--no-print-directory", "-C", str(repo), *args],
                          env=environment, capture_output=True, text=True, timeout=120)


def pulumi_calls(repo: Path) -> list[str]:
    log = repo.parent / "pulumi.log"
    return log.read_text().splitlines() if log.exists() else []


def actions(repo: Path, action: str) -> list[str]:
    """Layers on which ``pulumi <action>`` ran, in order."""
    return [line.split()[0] for line in pulumi_calls(repo) if line.split()[1] == action]


def test_deploy_all_runs_up_in_layer_order_on_the_selected_stack(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-all", "STACK=qa")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "up") == list(LAYERS)
    calls = pulumi_calls(repo)
    for layer in LAYERS:
        select = calls.index(f"{layer} stack select --create qa backend=")
        up = next(i for i, c in enumerate(calls) if c.startswith(f"{layer} up --stack qa"))
        assert select < up


def test_destroy_runs_in_reverse_order(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=qa")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "destroy") == list(reversed(LAYERS))


def test_deploy_all_stops_at_the_first_failing_layer_and_names_it(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", PULUMI_STUB_FAIL="compute-lambdas up")
    assert result.returncode != 0
    assert "pulumi up failed in layer compute-lambdas (stack qa)" in result.stderr
    assert actions(repo, "up") == ["network-vpc", "data-dynamodb-s3-kms", "compute-lambdas"]


def test_destroy_stops_at_the_first_failing_layer_and_names_it(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=qa", PULUMI_STUB_FAIL="edge-apigateway destroy")
    assert result.returncode != 0
    assert "pulumi destroy failed in layer edge-apigateway (stack qa)" in result.stderr
    assert actions(repo, "destroy") == ["observability-alarms", "edge-apigateway"]


def test_one_layer_can_be_deployed_alone(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-compute-lambdas", "STACK=qa", "YES=1")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "up") == ["compute-lambdas"]
    assert "compute-lambdas up --stack qa --yes backend=" in pulumi_calls(repo)


def test_unknown_layer_is_named(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-lambdas")
    assert result.returncode != 0
    assert "unknown layer 'lambdas'" in result.stderr
    assert pulumi_calls(repo) == []


def test_missing_pulumi_cli_gives_one_clear_message(repo, bin_dir):
    (bin_dir / "pulumi").unlink()
    result = make(repo, bin_dir, "deploy-all")
    assert result.returncode != 0
    assert "the Pulumi CLI is not on PATH" in result.stderr
    assert "https://get.pulumi.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_aws_credentials_stop_before_any_pulumi_action(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-all", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    assert result.returncode != 0
    assert "no AWS credentials found" in result.stderr
    assert actions(repo, "up") == []


def test_without_a_backend_the_file_backend_in_the_repo_is_used_and_announced(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-all", PULUMI_STUB_WHOAMI="1",
                  PULUMI_CONFIG_PASSPHRASE="correct horse")
    assert result.returncode == 0, result.stderr
    assert "using the self-managed file backend in .pulumi-state/" in result.stdout
    ups = [c for c in pulumi_calls(repo) if c.split()[1] == "up"]
    assert all(c.endswith(f"backend=file://{repo}/.pulumi-state") for c in ups)


def test_the_file_backend_asks_for_a_passphrase(repo, bin_dir):
    result = make(repo, bin_dir, "deploy-all", PULUMI_STUB_WHOAMI="1")
    assert result.returncode != 0
    assert "export PULUMI_CONFIG_PASSPHRASE" in result.stderr
    assert actions(repo, "up") == []


def test_outputs_prints_the_api_url_and_bucket(repo, bin_dir):
    result = make(repo, bin_dir, "outputs", "STACK=qa")
    assert result.returncode == 0, result.stderr
    assert f"apiUrl:            stub-{EdgeOutputs.API_URL}" in result.stdout
    assert f"reportsBucketName: stub-{DataOutputs.REPORTS_BUCKET_NAME}" in result.stdout


def test_config_set_writes_the_key_in_every_layer(repo, bin_dir):
    result = make(repo, bin_dir, "config-set", "STACK=qa", "KEY=fraud:alertEmail",
                  "VALUE=team@example.com")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "config") == list(LAYERS)
    assert "compute-lambdas config set --stack qa fraud:alertEmail team@example.com backend=" in (
        pulumi_calls(repo))


def test_install_happens_once_and_again_only_when_the_pins_change(repo, bin_dir):
    up_to_date = make(repo, bin_dir, "-q", "install")
    assert up_to_date.returncode == 0
    os.utime(repo / "pyproject.toml")
    assert make(repo, bin_dir, "-q", "install").returncode == 1
