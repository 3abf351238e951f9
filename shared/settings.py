"""The product's configuration: every ``fraud:*`` key, its default and its rule, in one table.

:func:`parse_settings` is pure (tests and the local mode call it with a plain mapping);
:func:`load_settings` reads the running Pulumi stack's config. A bad value never falls back
to a default: the program stops before any resource exists and names every offending key with
the values it accepts.
"""

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.naming import NamingError, validate_suffix

NAMESPACE = "fraud"
DEFAULT_REGION = "us-east-2"
LAMBDA_RUNTIMES = ("python3.11", "python3.12", "python3.13")
API_AUTH_MODES = ("iam", "api-key")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)
# Reports move to Glacier Instant Retrieval at 90 days; S3 needs expiry after the last transition.
MIN_REPORT_RETENTION_DAYS = 91
# Version of the AWS-published Powertools v3 layer that matches the pinned aws-lambda-powertools.
POWERTOOLS_LAYER_VERSION = 27
POWERTOOLS_ACCOUNT = "017000801446"


class ConfigError(ValueError):
    """One or more configuration values are invalid; the message names each key."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration shared by the five layers (see the README's config table)."""

    stack: str
    region: str
    environment_suffix: str
    environment: str
    cost_center: str
    org: str | None
    reserved_concurrency: int
    lambda_memory_mb: int
    lambda_runtime: str
    powertools_layer_arn: str
    alert_email: str | None
    api_throttle_rate_limit: int
    api_throttle_burst_limit: int
    api_auth: str
    log_retention_days: int
    report_retention_days: int
    vpc_cidr: str
    az_count: int
    manage_api_gateway_account: bool
    stream_batch_size: int
    stream_batch_window_seconds: int
    rule_overrides: str  # JSON object of rule thresholds and weights, validated ("{}": defaults)

    @property
    def tags(self) -> dict[str, str]:
        """The tags every taggable resource carries."""
        return {"Environment": self.environment, "CostCenter": self.cost_center}


# ---- value parsers: each returns the parsed value or raises ValueError("accepted values") ----

def _integer(low: int, high: int | None = None) -> Callable[[str], int]:
    accepted = f"an integer from {low} to {high}" if high is not None else f"an integer ≥ {low}"

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(accepted) from None
        if value < low or (high is not None and value > high):
            raise ValueError(accepted)
        return value

    return parse


def _one_of(*choices: Any) -> Callable[[str], Any]:
    accepted = "one of " + ", ".join(str(c) for c in choices)

    def parse(raw: str) -> Any:
        for choice in choices:
            if str(choice) == str(raw).strip():
                return choice
        raise ValueError(accepted)

    return parse


def _boolean(raw: str) -> bool:
    return _one_of(True, False)(str(raw).strip().capitalize())


def _text(pattern: str, accepted: str) -> Callable[[str], str]:
    regex = re.compile(pattern)

    def parse(raw: str) -> str:
        if not regex.fullmatch(str(raw)):
            raise ValueError(accepted)
        return str(raw)

    return parse


def _suffix(raw: str) -> str:
    try:
        return validate_suffix(str(raw))
    except NamingError as error:
        raise ValueError(str(error)) from None


def _private_cidr(raw: str) -> str:
    accepted = "a private IPv4 CIDR block from /16 to /24, e.g. 10.40.0.0/16"
    try:
        network = ipaddress.IPv4Network(str(raw), strict=True)
    except ValueError:
        raise ValueError(accepted) from None
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ValueError(accepted)
    return str(network)


def _rule_overrides(raw: str) -> str:
    # The detect-fraud function reads them with this same parser, so what passes here runs.
    from common.rules import RuleConfigError, rule_config_from_json

    try:
        rule_config_from_json(str(raw))
    except RuleConfigError as error:
        raise ValueError(f"rule overrides detect-fraud accepts ({error})") from None
    return json.dumps(json.loads(str(raw)), sort_keys=True)


_NAME_TEXT = _text(r"[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,255}",
                   "1 to 256 letters, digits, spaces or _.:/=+@- (an AWS tag value)")

# key → (Settings field, default, parser). A default of None means "not set".
_KEYS: dict[str, tuple[str, Any, Callable[[str], Any]]] = {
    "environmentSuffix": ("environment_suffix", None, _suffix),
    "environment": ("environment", "production", _NAME_TEXT),
    "costCenter": ("cost_center", "fraud-detection", _NAME_TEXT),
    "org": ("org", None, _text(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "a Pulumi organization name")),
    "reservedConcurrency": ("reserved_concurrency", 100, _integer(1)),
    "lambdaMemoryMb": ("lambda_memory_mb", 512, _integer(128, 10240)),
    "lambdaRuntime": ("lambda_runtime", "python3.11", _one_of(*LAMBDA_RUNTIMES)),
    "powertoolsLayerArn": ("powertools_layer_arn", None, _text(
        r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+",
        "a Lambda layer version ARN, arn:aws:lambda:<region>:<account>:layer:<name>:<version>")),
    "alertEmail": ("alert_email", None, _text(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        "an email address such as fraud-team@example.com")),
    "apiThrottleRateLimit": ("api_throttle_rate_limit", 1000, _integer(1, 10000)),
    "apiThrottleBurstLimit": ("api_throttle_burst_limit", 2000, _integer(1, 5000)),
    "apiAuth": ("api_auth", "iam", _one_of(*API_AUTH_MODES)),
    "logRetentionDays": ("log_retention_days", 7, _one_of(*LOG_RETENTION_DAYS)),
    "reportRetentionDays": ("report_retention_days", 365,
                            _integer(MIN_REPORT_RETENTION_DAYS, 36500)),
    "vpcCidr": ("vpc_cidr", "10.40.0.0/16", _private_cidr),
    "azCount": ("az_count", 2, _integer(1, 3)),
    "manageApiGatewayAccount": ("manage_api_gateway_account", True, _boolean),
    "streamBatchSize": ("stream_batch_size", 100, _integer(1, 10000)),
    "streamBatchWindowSeconds": ("stream_batch_window_seconds", 1, _integer(0, 300)),
    "ruleOverrides": ("rule_overrides", "{}", _rule_overrides),
}

_REGION = _text(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", "an AWS region such as us-east-2")


def config_keys() -> tuple[str, ...]:
    """Every accepted ``fraud:`` key (without the namespace)."""
    return tuple(_KEYS)


def default_powertools_layer_arn(region: str, runtime: str) -> str:
    """The AWS-published Powertools v3 layer for ``region``, ``runtime`` and x86_64."""
    python = runtime.replace(".", "")
    return (f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-{python}-x86_64:{POWERTOOLS_LAYER_VERSION}")


def parse_settings(raw: Mapping[str, Any], *, stack: str, region: str | None = None) -> Settings:
    """Validate ``raw`` (``fraud`` keys without namespace, string values) into :class:`Settings`.

    Raises :class:`ConfigError` listing every bad key at once, so one run shows all mistakes.
    """
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key in sorted(set(raw) - set(_KEYS)):
        errors.append(f"{NAMESPACE}:{key} is not a known key; accepted keys: "
                      + ", ".join(_KEYS))
    for key, (field, default, parse) in _KEYS.items():
        given = raw.get(key)
        if given is None or given == "":
            values[field] = default
            continue
        try:
            values[field] = parse(given)
        except ValueError as error:
            errors.append(f"{NAMESPACE}:{key} = {given!r} is invalid: expected {error}")
    try:
        values["region"] = _REGION(region or DEFAULT_REGION)
    except ValueError as error:
        errors.append(f"aws:region = {region!r} is invalid: expected {error}")
    if values.get("environment_suffix") is None:
        try:
            values["environment_suffix"] = _suffix(stack)
        except ValueError as error:
            errors.append(f"{NAMESPACE}:environmentSuffix is unset and the stack name {stack!r} "
                          f"cannot serve as the suffix: {error}; set {NAMESPACE}:environmentSuffix")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    if values["powertools_layer_arn"] is None:
        values["powertools_layer_arn"] = default_powertools_layer_arn(
            values["region"], values["lambda_runtime"])
    values["stack"] = stack
    return Settings(**values)


def load_settings() -> Settings:
    """Read and validate the running stack's config; a bad value ends the program cleanly."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{NAMESPACE}:"
    # The language host hands config over either way; enumerate both to catch unknown keys.
    config = {**get_config_env(), **CONFIG.get()}
    raw = {key[len(prefix):]: _plain(value) for key, value in config.items()
           if key.startswith(prefix)}
    try:
        return parse_settings(raw, stack=pulumi.get_stack(),
                              region=pulumi.Config("aws").get("region"))
    except ConfigError as error:
        # RunError is reported by Pulumi as a plain message, without a Python traceback.
        raise pulumi.RunError(str(error)) from None


def _plain(value: Any) -> Any:
    """Config values arrive as strings; structured ones (objects, lists) as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value)
