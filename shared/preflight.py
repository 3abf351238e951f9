"""What the account must offer before a deploy changes anything: ``make deploy-all`` and
``make deploy-<layer>`` run ``python -m shared.preflight <stack> <layer>...`` first.

Each check reads what AWS says about the account and region, compares it with the stack's
settings (read from its files: shared.stack_config), and either prints one line saying it holds
or a problem saying what is short, by how much, and the fixes. Nothing here writes to AWS.

- compute-lambdas: Lambda keeps at least 100 executions of the account's concurrency quota
  unreserved, so the reservations of ``fraud:reservedConcurrency`` must fit under the quota with
  100 to spare (functions are created in parallel: a refusal would leave the layer half-applied);
  and without a reservation, process-transaction's share of the pool must carry the stage's
  throttle (Little's law, as shared.settings checks it for a reservation).
- edge-apigateway: the region's API Gateway CloudWatch role must be set (account/), or the
  stage's logging settings are refused.
- every layer: the credentials belong to ``fraud:accountId`` when it is set (STS
  GetCallerIdentity), the account the layers' AWS provider admits (shared.account).
"""

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from shared.lambdas import API_DURATION_BUDGET_SECONDS, LAMBDAS, PROCESS_TRANSACTION
from shared.layers import COMPUTE, EDGE, LAYERS
from shared.naming import resource_name
from shared.settings import NAMESPACE, ConfigError, Settings, settings_from_config
from shared.stack_config import STACKS_DIR, stack_config

# "You can reserve up to the Unreserved account concurrency value minus 100" (Lambda docs).
MINIMUM_UNRESERVED = 100
# Service Quotas: AWS Lambda, "Concurrent executions".
CONCURRENCY_QUOTA_CODE = "L-B99A9384"


class PreflightError(RuntimeError):
    """AWS could not be asked; the message says what the deploying identity lacks."""


@dataclass(frozen=True)
class LambdaConcurrency:
    """GetAccountSettings' concurrency figures, and what this stack's functions hold now."""

    quota: int  # AccountLimit.ConcurrentExecutions
    unreserved: int  # AccountLimit.UnreservedConcurrentExecutions
    ours: Mapping[str, int]  # reservations this stack's functions already hold (a redeploy)

    @property
    def reserved_by_others(self) -> int:
        return self.quota - self.unreserved - sum(self.ours.values())


def concurrency_problems(settings: Settings, account: LambdaConcurrency) -> list[str]:
    """Why ``fraud:reservedConcurrency`` (and, without a reservation, the API throttle) does not
    fit the account's quota; ``[]`` when it does."""
    reserved = {function_id: value for function_id, value in settings.reserved_concurrency.items()
                if value is not None}
    wanted = sum(reserved.values())
    others = account.reserved_by_others
    left = account.quota - others - wanted
    problems = []
    if wanted and left < MINIMUM_UNRESERVED:
        needed = others + wanted + MINIMUM_UNRESERVED
        detail = ", ".join(f"{function_id} {value}" for function_id, value in reserved.items())
        problems.append(
            f"Lambda's concurrent-executions quota in {settings.region} is {account.quota}. "
            f"{NAMESPACE}:reservedConcurrency reserves {wanted} ({detail}), other functions of "
            f"the account reserve {others}, and Lambda keeps at least {MINIMUM_UNRESERVED} "
            f"unreserved: the quota must be at least {needed}. Fix either way:\n"
            f"    - reserve less, or nothing: make config-set STACK={settings.stack} "
            f"KEY={NAMESPACE}:reservedConcurrency VALUE=none (or a number, or per function: "
            f"VALUE='{{\"generate-report\": \"none\"}}');\n"
            f"    - or raise the quota to {needed} or more (Service Quotas, AWS Lambda, "
            f"\"Concurrent executions\", quota code {CONCURRENCY_QUOTA_CODE}): aws "
            f"service-quotas request-service-quota-increase --service-code lambda --quota-code "
            f"{CONCURRENCY_QUOTA_CODE} --desired-value {needed} --region {settings.region}")
    if settings.reserved_concurrency[PROCESS_TRANSACTION.id] is None and left >= 0:
        busy = settings.api_throttle_rate_limit * API_DURATION_BUDGET_SECONDS
        if busy > left or settings.api_throttle_burst_limit > left:
            problems.append(
                f"{PROCESS_TRANSACTION.id} has no reservation, so it shares the account's "
                f"{left} unreserved executions in {settings.region}; the stage admits "
                f"{settings.api_throttle_rate_limit:g} requests/s ({busy:g} executions busy at "
                f"its {API_DURATION_BUDGET_SECONDS * 1000:g} ms duration budget) in bursts of "
                f"{settings.api_throttle_burst_limit}. Over the pool Lambda throttles and the "
                f"API answers 500 instead of 429: lower {NAMESPACE}:apiThrottleRateLimit and "
                f"{NAMESPACE}:apiThrottleBurstLimit, or raise the quota (code "
                f"{CONCURRENCY_QUOTA_CODE})")
    return problems


def concurrency_summary(settings: Settings, account: LambdaConcurrency) -> str:
    wanted = sum(value for value in settings.reserved_concurrency.values() if value is not None)
    left = account.quota - account.reserved_by_others - wanted
    return (f"Lambda concurrency in {settings.region}: quota {account.quota}, this stack "
            f"reserves {wanted}, other functions {account.reserved_by_others}, {left} left "
            f"unreserved (at least {MINIMUM_UNRESERVED} needed)")


def cloudwatch_role_problems(settings: Settings, role_arn: str | None) -> list[str]:
    if role_arn:
        return []
    return [f"API Gateway in {settings.region} has no CloudWatch role, so it would refuse the "
            f"stage's access and execution logs. Set it once for the account and region: make "
            f"apigateway-account REGION={settings.region} (it serves every environment there; "
            f"see the README), or ask whoever manages the account's API Gateway settings"]


def account_problems(settings: Settings, layers: list[str], caller_account: str,
                     caller_arn: str) -> list[str]:
    """Why the credentials' account is not the one ``fraud:accountId`` names; ``[]`` when it
    is, or when the setting is unset."""
    if settings.account_id is None or settings.account_id == caller_account:
        return []
    return [f"the AWS credentials are of account {caller_account} ({caller_arn}), but stack "
            f"{settings.stack} deploys only to {NAMESPACE}:accountId = {settings.account_id} "
            f"({', '.join(layers)}). Use that account's credentials (AWS_PROFILE), or, if the "
            f"stack really moves, make config-set STACK={settings.stack} "
            f"KEY={NAMESPACE}:accountId VALUE={caller_account}"]


def account_summary(settings: Settings, caller_account: str) -> str:
    if settings.account_id is None:
        return (f"AWS account {caller_account}: any account is accepted ({NAMESPACE}:accountId is "
                "unset; set it to pin the stack to one)")
    return f"AWS account {caller_account}: {NAMESPACE}:accountId: ok"


def read_lambda_concurrency(client: Any, settings: Settings) -> LambdaConcurrency:
    """GetAccountSettings, and GetFunctionConcurrency of each function of this stack."""
    limits = client.get_account_settings()["AccountLimit"]
    ours = {}
    for spec in LAMBDAS:
        name = resource_name("lambda", spec.id, settings.environment_suffix)
        try:
            held = client.get_function_concurrency(FunctionName=name)
        except client.exceptions.ResourceNotFoundException:
            continue  # not deployed yet
        ours[spec.id] = held.get("ReservedConcurrentExecutions") or 0
    return LambdaConcurrency(quota=limits["ConcurrentExecutions"],
                             unreserved=limits["UnreservedConcurrentExecutions"], ours=ours)


def layer_settings(layer: str, stack: str, stacks_dir: Path = STACKS_DIR) -> Settings:
    return settings_from_config(stack_config(stacks_dir / layer, stack), stack=stack)


def run(stack: str, layers: list[str], stacks_dir: Path = STACKS_DIR) -> list[str]:
    """The problems found for deploying ``layers`` of ``stack``; prints what holds."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    problems: list[str] = []
    # Every layer's settings first: a bad value stops the preflight before any call to AWS.
    by_layer = {layer: layer_settings(layer, stack, stacks_dir) for layer in layers}
    try:
        identity = boto3.client("sts", region_name=by_layer[layers[0]].region) \
            .get_caller_identity()
        wanted = {layer: settings.account_id for layer, settings in by_layer.items()}
        for account_id in dict.fromkeys(wanted.values()):  # one line per value the layers hold
            named = [layer for layer, wants in wanted.items() if wants == account_id]
            settings = by_layer[named[0]]
            found = account_problems(settings, named, identity["Account"], identity["Arn"])
            problems += found
            if not found:
                print(f"preflight: {account_summary(settings, identity['Account'])}")
        if COMPUTE in layers:
            # Reservations are the compute layer's; the throttle, the edge layer's.
            settings = layer_settings(COMPUTE, stack, stacks_dir)
            edge = layer_settings(EDGE, stack, stacks_dir)
            settings = replace(settings, api_throttle_rate_limit=edge.api_throttle_rate_limit,
                               api_throttle_burst_limit=edge.api_throttle_burst_limit)
            account = read_lambda_concurrency(
                boto3.client("lambda", region_name=settings.region), settings)
            found = concurrency_problems(settings, account)
            problems += found
            if not found:
                print(f"preflight: {concurrency_summary(settings, account)}: ok")
        if EDGE in layers:
            settings = layer_settings(EDGE, stack, stacks_dir)
            role = boto3.client("apigateway", region_name=settings.region).get_account().get(
                "cloudwatchRoleArn")
            found = cloudwatch_role_problems(settings, role)
            problems += found
            if not found:
                print(f"preflight: API Gateway CloudWatch role in {settings.region}: "
                      f"{role.rsplit('/', 1)[-1]}: ok")
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot read the account's limits ({error}); the deploying identity needs "
            "lambda:GetAccountSettings, lambda:GetFunctionConcurrency and apigateway:GET on "
            "/account") from None
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any(layer not in LAYERS for layer in argv[1:]):
        print(f"usage: python -m shared.preflight <stack> <layer>... (layers: {', '.join(LAYERS)})",
              file=sys.stderr)
        return 2
    stack, layers = argv[0], argv[1:]
    try:
        problems = run(stack, layers)
    except (ConfigError, PreflightError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
