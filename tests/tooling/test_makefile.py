"""The Makefile's deploy orchestration, driven with a stub ``pulumi`` that records its calls
and, for the deploy preflight, a stand-in for the AWS endpoints it reads (Lambda's account
settings and function concurrency, API Gateway's account) on 127.0.0.1."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shared.layers import LAYERS
from shared.outputs import DataOutputs, EdgeOutputs
from tests.harness.pulumi_mocks import REPO_ROOT

STUB = r"""#!/usr/bin/env bash
layer=$(basename "$PWD")
echo "$layer $* backend=${PULUMI_BACKEND_URL:-}" >> "$PULUMI_STUB_LOG"
if [[ $1 == whoami ]]; then
  [[ -n ${PULUMI_STUB_BACKEND:-} ]] && echo "Backend URL: $PULUMI_STUB_BACKEND"
  exit "${PULUMI_STUB_WHOAMI:-0}"
fi
if [[ -n ${PULUMI_STUB_FAIL:-} && "$layer $1" == "$PULUMI_STUB_FAIL" ]]; then
  echo "stub: $1 failed" >&2
  exit 1
fi
# What `pulumi stack select` (without --create) says when it fails, as the real CLI words it.
if [[ $1 == stack && $2 == select && $3 != --create && -n ${PULUMI_STUB_SELECT_ERROR:-} ]]; then
  echo "error: ${PULUMI_STUB_SELECT_ERROR//STACK/$3}" >&2
  exit 255
fi
if [[ $1 == stack && $2 == output && $3 == --json ]]; then
  if [[ " ${PULUMI_STUB_UNDEPLOYED:-} " == *" $layer "* ]]; then echo "{}"; else echo '{"a": 1}'; fi
  exit 0
fi
if [[ $1 == stack && $2 == output ]]; then echo "stub-$3"; fi
exit 0
"""


@dataclass
class FakeAws:
    """What the preflight's AWS calls answer: the Lambda concurrency quota and unreserved
    pool, the reservations functions hold, and the region's API Gateway CloudWatch role."""

    quota: int = 1000
    unreserved: int = 1000
    reservations: dict[str, int] = field(default_factory=dict)  # function name → reserved
    cloudwatch_role_arn: str | None = "arn:aws:iam::123456789012:role/iam-apigw-cloudwatch-x"
    caller_account: str = "123456789012"  # whose credentials these are (STS)
    requests: list[str] = field(default_factory=list)

    def caller_identity(self) -> bytes:
        """STS GetCallerIdentity's answer (query protocol, XML)."""
        self.requests.append("sts:GetCallerIdentity")
        return (f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                f"<GetCallerIdentityResult><Arn>arn:aws:iam::{self.caller_account}:user/ci</Arn>"
                f"<UserId>AIDAEXAMPLE</UserId><Account>{self.caller_account}</Account>"
                "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
                "</ResponseMetadata></GetCallerIdentityResponse>").encode()

    def answer(self, path: str) -> tuple[int, dict, dict]:
        self.requests.append(path)
        if path == "/2016-08-19/account-settings":
            return 200, {}, {"AccountLimit": {
                "ConcurrentExecutions": self.quota,
                "UnreservedConcurrentExecutions": self.unreserved,
                "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800,
                "TotalCodeSize": 80530636800}, "AccountUsage": {"FunctionCount": 0,
                                                                "TotalCodeSize": 0}}
        match = re.fullmatch(r"/2019-09-30/functions/([^/]+)/concurrency", path)
        if match:
            if match.group(1) not in self.reservations:
                return 404, {"x-amzn-ErrorType": "ResourceNotFoundException"}, {
                    "Type": "User", "Message": f"Function not found: {match.group(1)}"}
            return 200, {}, {"ReservedConcurrentExecutions": self.reservations[match.group(1)]}
        if path == "/account":
            return 200, {}, ({"cloudwatchRoleArn": self.cloudwatch_role_arn}
                             if self.cloudwatch_role_arn else {})
        return 404, {"x-amzn-ErrorType": "UnknownOperationException"}, {"message": path}


@pytest.fixture
def aws() -> FakeAws:
    """The AWS the preflight sees (on a free port; AWS_ENDPOINT_URL points every client at it)."""
    fake = FakeAws()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = fake.answer(self.path.split("?")[0])
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # STS: Action=GetCallerIdentity in the form body
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            data = fake.caller_identity()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of what the Makefile uses, so tests never write into the working tree."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / name, copy / name)  # copy2 keeps mtimes: .venv stays fresh
    for name in ("scripts", "shared", "stacks", "functions", "account"):
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


def make(repo: Path, bin_dir: Path, *args: str, aws: FakeAws | None = None, stdin: str = "",
         **env: str) -> subprocess.CompletedProcess:
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
        # Nothing reaches AWS: a deploy's preflight asks the fake, anything else nowhere.
        "AWS_ENDPOINT_URL": aws.endpoint if aws else "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
    }
    environment.update(env)
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(["make", "--no-print-directory", "-C", str(repo), *args],
                          env=environment, capture_output=True, text=True, timeout=120,
                          input=stdin)


def pulumi_calls(repo: Path) -> list[str]:
    log = repo.parent / "pulumi.log"
    return log.read_text().splitlines() if log.exists() else []


def actions(repo: Path, action: str) -> list[str]:
    """Layers on which ``pulumi <action>`` ran, in order."""
    return [line.split()[0] for line in pulumi_calls(repo) if line.split()[1] == action]


def test_deploy_all_runs_up_in_layer_order_on_the_selected_stack(repo, bin_dir, aws):
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode == 0, result.stderr
    assert actions(repo, "up") == list(LAYERS)
    calls = pulumi_calls(repo)
    for layer in LAYERS:
        select = calls.index(f"{layer} stack select --create qa backend=")
        up = next(i for i, c in enumerate(calls) if c.startswith(f"{layer} up --stack qa"))
        assert select < up


def test_destroy_runs_in_reverse_order(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=qa", "YES=1")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "destroy") == list(reversed(LAYERS))


def test_deploy_all_stops_at_the_first_failing_layer_and_names_it(repo, bin_dir, aws):
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws,
                  PULUMI_STUB_FAIL="compute-lambdas up")
    assert result.returncode != 0
    assert "pulumi up failed in layer compute-lambdas (stack qa)" in result.stderr
    assert actions(repo, "up") == ["network-vpc", "data-dynamodb-s3-kms", "compute-lambdas"]


def test_destroy_stops_at_the_first_failing_layer_and_names_it(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=qa", "YES=1",
                  PULUMI_STUB_FAIL="edge-apigateway destroy")
    assert result.returncode != 0
    assert "pulumi destroy failed in layer edge-apigateway (stack qa)" in result.stderr
    assert actions(repo, "destroy") == ["observability-alarms", "edge-apigateway"]


def test_one_layer_can_be_deployed_alone(repo, bin_dir, aws):
    result = make(repo, bin_dir, "deploy-compute-lambdas", "STACK=qa", "YES=1", aws=aws)
    assert result.returncode == 0, result.stderr
    assert actions(repo, "up") == ["compute-lambdas"]
    assert (f"compute-lambdas up --stack qa --policy-pack {repo}/policy --yes backend="
            in pulumi_calls(repo))


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


def test_without_a_backend_the_file_backend_in_the_repo_is_used_and_announced(repo, bin_dir, aws):
    result = make(repo, bin_dir, "deploy-all", PULUMI_STUB_WHOAMI="1", aws=aws,
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



# ---- the deploy preflight (before any layer changes) ----

def stack_file(repo: Path, layers: tuple[str, ...], config: dict[str, str]) -> None:
    """A Pulumi.qa.yaml in each of ``layers``, as `make config-set STACK=qa` writes it."""
    for layer in layers:
        (repo / "stacks" / layer / "Pulumi.qa.yaml").write_text(json.dumps({"config": config}))


def test_a_quota_too_small_for_the_reservations_stops_the_deploy_before_any_layer(
        repo, bin_dir, aws):
    aws.quota = aws.unreserved = 10  # a fresh account
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert actions(repo, "up") == []  # not even the network layer
    message = " ".join(result.stderr.split())
    for expected in ("concurrent-executions quota in us-east-2 is 10",
                     "fraud:reservedConcurrency reserves 400",
                     "Lambda keeps at least 100 unreserved: the quota must be at least 500",
                     "KEY=fraud:reservedConcurrency VALUE=none",
                     "quota code L-B99A9384", "--desired-value 500",
                     "the preflight stopped the deploy before any layer changed"):
        assert expected in message, expected
    assert "Traceback" not in result.stderr


def test_the_compute_layer_alone_is_checked_too(repo, bin_dir, aws):
    aws.quota = aws.unreserved = 50
    result = make(repo, bin_dir, "deploy-compute-lambdas", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert "quota in us-east-2 is 50" in result.stderr
    assert actions(repo, "up") == []


def test_a_redeploy_counts_the_reservations_its_functions_already_hold(repo, bin_dir, aws):
    aws.quota, aws.unreserved = 1000, 600
    aws.reservations = {f"lambda-{spec}-qa": 100 for spec in (
        "process-transaction", "detect-fraud", "notify-team", "generate-report")}
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode == 0, result.stderr
    assert ("quota 1000, this stack reserves 400, other functions 0, 600 left unreserved"
            in result.stdout)


def test_other_functions_reservations_count_against_the_quota(repo, bin_dir, aws):
    aws.quota, aws.unreserved = 1000, 450  # 550 reserved by functions of other projects
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert "other functions of the account reserve 550" in result.stderr
    assert "the quota must be at least 1050" in result.stderr


def test_no_reservation_fits_a_small_quota_when_the_throttle_does(repo, bin_dir, aws):
    aws.quota = aws.unreserved = 10
    stack_file(repo, ("compute-lambdas", "edge-apigateway"), {
        "fraud:reservedConcurrency": "none", "fraud:apiThrottleRateLimit": "50",
        "fraud:apiThrottleBurstLimit": "5"})
    assert make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws).returncode == 0
    stack_file(repo, ("edge-apigateway",), {"fraud:reservedConcurrency": "none"})
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert "shares the account's 10 unreserved executions" in result.stderr


def test_a_region_without_the_api_gateway_cloudwatch_role_is_told_how_to_set_it(
        repo, bin_dir, aws):
    aws.cloudwatch_role_arn = None
    result = make(repo, bin_dir, "deploy-edge-apigateway", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert "make apigateway-account REGION=us-east-2" in result.stderr
    assert actions(repo, "up") == []


def test_bad_config_stops_the_deploy_before_any_layer(repo, bin_dir, aws):
    stack_file(repo, ("compute-lambdas",), {"fraud:reservedConcurency": "10"})
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode != 0
    assert "did you mean fraud:reservedConcurrency?" in result.stderr
    assert actions(repo, "up") == []
    assert aws.requests == []


def test_credentials_of_another_account_than_fraud_account_id_stop_the_deploy(
        repo, bin_dir, aws):
    stack_file(repo, LAYERS, {"fraud:accountId": "210987654321"})
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert ("the AWS credentials are of account 123456789012 (arn:aws:iam::123456789012:user/ci)"
            ", but stack qa deploys only to fraud:accountId = 210987654321") in message
    assert "KEY=fraud:accountId VALUE=123456789012" in message
    assert actions(repo, "up") == []


def test_the_account_check_says_which_account_it_deploys_to(repo, bin_dir, aws):
    result = make(repo, bin_dir, "deploy-network-vpc", "STACK=qa", aws=aws)
    assert result.returncode == 0, result.stderr
    assert "AWS account 123456789012: any account is accepted" in result.stdout
    stack_file(repo, ("network-vpc",), {"fraud:accountId": "123456789012"})
    result = make(repo, bin_dir, "deploy-network-vpc", "STACK=qa", aws=aws)
    assert result.returncode == 0, result.stderr
    assert "preflight: AWS account 123456789012: fraud:accountId: ok" in result.stdout


def test_the_region_api_gateway_role_has_its_own_stack_per_region(repo, bin_dir):
    result = make(repo, bin_dir, "apigateway-account", "REGION=eu-west-1", "YES=1")
    assert result.returncode == 0, result.stderr
    calls = [c for c in pulumi_calls(repo) if c.startswith("account ")]
    assert [c.split(" backend=")[0] for c in calls] == [
        "account stack select --create eu-west-1",
        "account config set --stack eu-west-1 aws:region eu-west-1",
        f"account up --stack eu-west-1 --policy-pack {repo}/policy --yes"]


# ---- preview of a new environment, destroy, config-set ----

def test_preview_of_a_new_environment_stops_plainly_where_upstreams_are_missing(repo, bin_dir):
    result = make(repo, bin_dir, "preview-all", "STACK=qa",
                  PULUMI_STUB_UNDEPLOYED=" ".join(LAYERS))
    assert result.returncode == 0, result.stderr
    assert actions(repo, "preview") == ["network-vpc", "data-dynamodb-s3-kms"]
    message = " ".join(result.stdout.split())
    assert ("compute-lambdas and the layers after it cannot be previewed yet: compute-lambdas "
            "reads the outputs of network-vpc, data-dynamodb-s3-kms (stack qa)") in message
    assert "only network-vpc and data-dynamodb-s3-kms can be previewed" in message
    assert "Traceback" not in result.stdout + result.stderr


def test_preview_goes_on_once_the_upstreams_are_deployed(repo, bin_dir):
    result = make(repo, bin_dir, "preview-all", "STACK=qa")
    assert result.returncode == 0, result.stderr
    assert actions(repo, "preview") == list(LAYERS)


def test_destroy_of_a_stack_that_does_not_exist_destroys_nothing_and_says_so(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=qa", "YES=1",
                  PULUMI_STUB_SELECT_ERROR="no stack named 'STACK' found")
    assert result.returncode == 0, result.stderr
    assert "no stack 'qa' in observability-alarms: nothing to destroy" in result.stdout
    assert actions(repo, "destroy") == []


@pytest.mark.parametrize("error", [
    "incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase",
    "failed to load checkpoint: blob (key \".pulumi/stacks/x.json\") (code=Unknown): "
    "connection refused",
])
def test_destroy_never_claims_success_when_the_stack_cannot_be_selected(repo, bin_dir, error):
    result = make(repo, bin_dir, "destroy", "STACK=qa", "YES=1", PULUMI_STUB_SELECT_ERROR=error)
    assert result.returncode != 0
    assert f"cannot select stack qa in layer observability-alarms: error: {error}" in (
        result.stderr)
    assert "done" not in result.stdout
    assert actions(repo, "destroy") == []


@pytest.mark.parametrize("args", [(), ("KEY=fraud:alertEmail",), ("VALUE=x",)])
def test_config_set_without_key_or_value_gives_usage_and_creates_nothing(repo, bin_dir, args):
    result = make(repo, bin_dir, "config-set", "STACK=qa", *args)
    assert result.returncode != 0
    assert "usage: make config-set STACK=<stack> KEY=<key> VALUE=<value>" in result.stderr
    assert "unbound variable" not in result.stderr
    assert pulumi_calls(repo) == []


# ---- the policy pack, the backend, a production destroy ----

def test_every_preview_and_up_runs_the_policy_pack(repo, bin_dir, aws):
    assert make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws).returncode == 0
    assert make(repo, bin_dir, "preview-all", "STACK=qa").returncode == 0
    runs = [c for c in pulumi_calls(repo) if c.split()[1] in ("up", "preview")]
    assert len(runs) == 2 * len(LAYERS)
    assert all(f"--policy-pack {repo}/policy" in c for c in runs)


@pytest.mark.parametrize("backend", [None, "file:///home/someone/.pulumi"])
def test_a_stack_other_than_dev_refuses_the_file_backend_and_says_how_to_set_one_up(
        repo, bin_dir, backend):
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", PULUMI_STUB_WHOAMI="1" if not backend
                  else "0", PULUMI_STUB_BACKEND=backend, PULUMI_CONFIG_PASSPHRASE="x")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "stack qa needs a real Pulumi backend: the file backend" in message
    assert "is for STACK=dev only" in message
    for step in ("pulumi login", "awskms://alias/pulumi-secrets", "export SECRETS_PROVIDER"):
        assert step in message, step
    assert actions(repo, "up") == []


def test_an_s3_backend_needs_a_kms_secrets_provider_which_new_stacks_get(repo, bin_dir, aws):
    s3 = {"PULUMI_STUB_BACKEND": "s3://state-bucket?region=us-east-2"}
    refused = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws, **s3)
    assert refused.returncode != 0
    assert "its secrets must be encrypted with a KMS key" in refused.stderr
    provider = "awskms://alias/pulumi-secrets?region=us-east-2"
    result = make(repo, bin_dir, "deploy-all", "STACK=qa", aws=aws, SECRETS_PROVIDER=provider,
                  **s3)
    assert result.returncode == 0, result.stderr
    assert (f"network-vpc stack select --create qa --secrets-provider {provider} backend="
            in pulumi_calls(repo))


def test_destroying_a_production_stack_asks_for_its_name(repo, bin_dir):
    refused = make(repo, bin_dir, "destroy", "STACK=qa", stdin="prod\n")  # qa: production
    assert refused.returncode != 0
    assert "Type the stack name (qa) to destroy it" in refused.stdout
    assert "not confirmed: nothing was destroyed" in refused.stderr
    assert actions(repo, "destroy") == []
    confirmed = make(repo, bin_dir, "destroy-compute-lambdas", "STACK=qa", stdin="qa\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert actions(repo, "destroy") == ["compute-lambdas"]


def test_a_stack_that_is_not_production_is_destroyed_without_the_question(repo, bin_dir):
    result = make(repo, bin_dir, "destroy", "STACK=dev")  # Pulumi.dev.yaml: development
    assert result.returncode == 0, result.stderr
    assert "Type the stack name" not in result.stdout
    assert actions(repo, "destroy") == list(reversed(LAYERS))


# ---- the Python the Makefile builds .venv with ----

FAKE_PYTHON = r"""#!/usr/bin/env bash
# A Python that says it is VERSION (for version checks), records pip, and makes fake venvs.
if [[ $1 == -m && $2 == venv ]]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0; fi
if [[ $1 == -m && $2 == pip ]]; then echo "$0 $*" >> "$FAKE_PYTHON_LOG"; exit 0; fi
if [[ $1 == -c && $2 == *version_info* ]]; then
  exec REAL -c "import sys; sys.version_info = (VERSION, 0, 'final', 0); exec(sys.argv[1])" "$2"
fi
exec REAL "$@"
"""


def fake_python(bin_dir: Path, name: str, version: tuple[int, int]) -> str:
    script = bin_dir / name
    script.write_text(FAKE_PYTHON.replace("REAL", sys.executable).replace(
        "VERSION", f"{version[0]}, {version[1]}"))
    script.chmod(0o755)
    return name


def test_a_python_older_than_3_11_is_refused_up_front(repo, bin_dir, tmp_path):
    python = fake_python(bin_dir, "python3.10", (3, 10))
    result = make(repo, bin_dir, "deploy-all", PYTHON=python,
                  FAKE_PYTHON_LOG=str(tmp_path / "pip.log"))
    assert result.returncode != 0
    assert "Python 3.11+ is needed; PYTHON=python3.10 is 3.10" in result.stderr
    assert pulumi_calls(repo) == []
    assert (repo / ".venv" / ".installed").exists()  # the good .venv is left alone


def test_a_venv_made_by_another_python_is_rebuilt_not_reused(repo, bin_dir, tmp_path):
    python = fake_python(bin_dir, "python3.12", (3, 12))
    log = tmp_path / "pip.log"
    result = make(repo, bin_dir, "install", PYTHON=python, FAKE_PYTHON_LOG=str(log))
    assert result.returncode == 0, result.stderr
    assert "Rebuilding .venv/: it was made by Python 3.11, not 3.12" in result.stdout
    assert not (repo / ".venv" / "lib").exists()  # the old one is gone
    assert (repo / ".venv" / "bin" / "python").read_text().startswith("#!/usr/bin/env bash")
    assert "-m pip install" in log.read_text()
    assert "-e .[dev,train]" in log.read_text()
