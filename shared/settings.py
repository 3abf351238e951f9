"""The product's configuration: every ``fraud:*`` key, its default and its rule, in one table.

:func:`parse_settings` is pure (tests and the local mode call it with a plain mapping);
:func:`load_settings` reads the running Pulumi stack's config. A bad value never falls back
to a default: the program stops before any resource exists and names every offending key with
the values it accepts.
"""

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from common.currencies import MINOR_UNITS
from common.exchange_rates import (
    DEFAULT_REFERENCE,
    DEFAULT_TABLE,
    ExchangeRateError,
    exchange_rates,
)
from common.model import ModelError, load_forest
from common.privacy import MASKED, REPORT_ACCOUNT_IDS

from shared.lambdas import API_DURATION_BUDGET_SECONDS, FUNCTIONS_DIR, LAMBDAS, PROCESS_TRANSACTION
from shared.naming import SuffixError, validate_suffix

NAMESPACE = "fraud"
DEFAULT_REGION = "us-east-2"
LAMBDA_RUNTIMES = ("python3.11", "python3.12", "python3.13")
API_AUTH_MODES = ("iam", "api-key")
MODELS = ("default", "none")  # fraud:model: the artifact packaged with detect-fraud, or rules only
# fraud:model may also name an artifact of one's own; a relative path is from here.
MODEL_PATHS_FROM = FUNCTIONS_DIR.parent  # the repository's root, where make runs
# CloudWatch Logs accepts only these retention periods; 0 is its "never expire".
NEVER_EXPIRE = 0
LOG_RETENTION_DAYS = (NEVER_EXPIRE, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)
# fraud:reservedConcurrency's word for "no reservation": the function draws on the account's
# unreserved pool (and is not capped).
NO_RESERVATION = "none"
# The VPC's address space: RFC 1918, or the shared address space (RFC 6598) AWS also accepts.
_VPC_RANGES = tuple(ipaddress.IPv4Network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


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
    # By function id (shared.lambdas); None: no reservation (the account's unreserved pool).
    reserved_concurrency: Mapping[str, int | None]
    lambda_memory_mb: int
    lambda_runtime: str
    powertools_layer_arn: str | None  # None: the published layer of the pinned version
    alert_email: str | None
    api_throttle_rate_limit: float
    api_throttle_burst_limit: int
    api_auth: str
    log_retention_days: int
    report_retention_days: int
    vpc_cidr: str
    az_count: int
    stream_batch_size: int
    stream_batch_window_seconds: int
    rule_overrides: str  # JSON object of rule thresholds and weights, validated ("{}": defaults)
    reference_currency: str  # the currency of the amount thresholds (ISO 4217)
    exchange_rates: str  # JSON object: units of each currency per 1 reference_currency
    # detect-fraud's trained model: "default" (the packaged artifact), "none", or the absolute
    # path of an artifact of one's own (checked readable; packaged with detect-fraud)
    model: str
    report_account_ids: str  # masked, or full for the risk team's copy of the daily report
    waf: bool  # AWS WAF on the API stage
    account_id: str | None  # the only AWS account the layers deploy to; None: any
    protect_data: bool  # deletion protection, a 30-day key window, buckets kept when not empty

    @property
    def model_artifact(self) -> Path | None:
        """The own artifact ``fraud:model`` names, or ``None`` (``default`` or ``none``)."""
        return None if self.model in MODELS else Path(self.model)

    @property
    def model_in_force(self) -> bool:
        """Whether detect-fraud serves a model (its own or the default): ``fraud:model`` is not
        ``none``."""
        return self.model != "none"

    @property
    def tags(self) -> dict[str, str]:
        """The tags every taggable resource carries."""
        return {"Environment": self.environment, "CostCenter": self.cost_center}


# ---- value parsers: each returns the parsed value or raises ValueError with what is wrong,
# worded to follow "<key> = <value> is invalid: " ----

def _integer(low: int, high: int | None = None) -> Callable[[str], int]:
    accepted = (f"expected an integer from {low} to {high}" if high is not None
                else f"expected an integer ≥ {low}")

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(accepted) from None
        if value < low or (high is not None and value > high):
            raise ValueError(accepted)
        return value

    return parse


def _rate(raw: str) -> float:
    """Requests per second: API Gateway takes a fraction (0.5 is one request every 2 s)."""
    accepted = "expected a number of requests per second above 0 and at most 10000, e.g. 0.5"
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(accepted) from None
    if not 0 < value <= 10000:
        raise ValueError(accepted)
    return value


def _boolean(raw: str) -> bool:
    """``true`` or ``false``, as ``pulumi config set`` writes them (a YAML boolean arrives as
    the same text)."""
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def _did_you_mean(given: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(given, choices, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _one_of(*choices: Any) -> Callable[[str], Any]:
    accepted = "expected one of " + ", ".join(str(c) for c in choices)

    def parse(raw: str) -> Any:
        for choice in choices:
            if str(choice) == str(raw).strip():
                return choice
        words = [choice for choice in choices if isinstance(choice, str)]
        raise ValueError(accepted + _did_you_mean(str(raw).strip(), words))

    return parse


def _log_retention(raw: str) -> int:
    try:
        return _one_of(*LOG_RETENTION_DAYS)(raw)
    except ValueError as error:
        raise ValueError(f"{error} (0: never expire)") from None


def _text(pattern: str, accepted: str) -> Callable[[str], str]:
    regex = re.compile(pattern)

    def parse(raw: str) -> str:
        if not regex.fullmatch(str(raw)):
            raise ValueError(f"expected {accepted}")
        return str(raw)

    return parse


def _suffix(raw: str) -> str:
    try:
        return validate_suffix(str(raw))
    except SuffixError as error:
        raise ValueError(error.rule) from None


def _vpc_cidr(raw: str) -> str:
    accepted = ("expected a private IPv4 CIDR block from /16 to /24 (within 10.0.0.0/8, "
                "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), e.g. 10.40.0.0/16")
    try:
        network = ipaddress.IPv4Network(str(raw), strict=True)
    except ValueError:
        raise ValueError(accepted) from None
    if not any(network.subnet_of(block) for block in _VPC_RANGES) \
            or not 16 <= network.prefixlen <= 24:
        raise ValueError(accepted)
    return str(network)


_FUNCTION_IDS = [spec.id for spec in LAMBDAS]
_RESERVATION = _integer(1)


def _reservation(raw: Any) -> int | None:
    if str(raw).strip().lower() == NO_RESERVATION:
        return None
    try:
        return _RESERVATION(raw)
    except ValueError:
        raise ValueError(f"expected an integer ≥ 1 or {NO_RESERVATION!r}") from None


def _reserved_concurrency(raw: str) -> dict[str, int | None]:
    """One value for every function (``100``, ``none``), or a JSON object by function id, e.g.
    ``{"process-transaction": 200, "generate-report": "none"}`` (the others keep the default)."""
    text = str(raw).strip()
    if not text.startswith("{"):
        return dict.fromkeys(_FUNCTION_IDS, _reservation(text))
    try:
        given = json.loads(text)
    except ValueError:
        raise ValueError("expected a JSON object of function id → integer or 'none'") from None
    problems = [f"{function_id!r} is not a function{_did_you_mean(function_id, _FUNCTION_IDS)}"
                for function_id in given if function_id not in _FUNCTION_IDS]
    values = dict.fromkeys(_FUNCTION_IDS, DEFAULT_RESERVED_CONCURRENCY)
    for function_id, value in given.items():
        if function_id in _FUNCTION_IDS:
            try:
                values[function_id] = _reservation(value)
            except ValueError as error:
                problems.append(f"{function_id}: {error}")
    if problems:
        raise ValueError("; ".join(problems) + f" (functions: {', '.join(_FUNCTION_IDS)})")
    return values


def _rule_overrides(raw: str) -> str:
    # The detect-fraud function reads them with this same parser, so what passes here runs.
    from common.rules import RuleConfigError, rule_config_from_json

    try:
        rule_config_from_json(str(raw))
    except RuleConfigError as error:
        raise ValueError(f"expected rule overrides detect-fraud accepts ({error})") from None
    return json.dumps(json.loads(str(raw)), sort_keys=True)


def _currency(raw: str) -> str:
    code = str(raw).strip()
    if code not in MINOR_UNITS:
        raise ValueError("expected an ISO 4217 currency code (functions/common/currencies.json) "
                         "such as EUR" + _did_you_mean(code, list(MINOR_UNITS)))
    return code


def _exchange_rates(raw: str) -> str:
    """Canonical JSON text; the table is checked with the reference in _rate_problems."""
    try:
        table = json.loads(str(raw))
    except ValueError:
        raise ValueError('expected a JSON object of currency code → rate, e.g. '
                         '{"EUR": 1, "JPY": 175.68}') from None
    return json.dumps(table, sort_keys=True)


def _rate_problems(values: Mapping[str, Any]) -> list[str]:
    """The rate table against the reference currency, as detect-fraud will read them."""
    reference, text = values["reference_currency"], values["exchange_rates"]
    try:
        # parse_float=Decimal, as detect-fraud parses it (exchange_rates_from_json).
        exchange_rates(reference, json.loads(text, parse_float=Decimal))
    except ExchangeRateError as error:
        return [f"{NAMESPACE}:exchangeRates is invalid (with {NAMESPACE}:referenceCurrency = "
                f"{reference}): {error}"]
    return []


def _model(raw: str) -> str:
    """``default``, ``none``, or an artifact's path (relative: from :data:`MODEL_PATHS_FROM`),
    read and checked here: a bad artifact stops the deployment, not detect-fraud's start."""
    if raw in MODELS:
        return raw
    path = Path(raw) if Path(raw).is_absolute() else MODEL_PATHS_FROM / raw
    try:
        load_forest(path)
    except ModelError as error:
        raise ValueError(f"expected {' or '.join(MODELS)} or the path of a model artifact "
                         f"(`python -m backtest train` writes one): {error}") from None
    return str(path.resolve())


_NAME_TEXT = _text(r"[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,255}",
                   "1 to 256 letters, digits, spaces or _.:/=+@- (an AWS tag value)")
DEFAULT_RESERVED_CONCURRENCY = 100  # per function: the owner's figure
DEFAULT_COST_CENTER = "fraud-detection"
DEFAULT_ENVIRONMENT = "production"  # the Environment tag; make destroy asks before destroying it

# key → (Settings field, default, parser). A default of None means "not set".
_KEYS: dict[str, tuple[str, Any, Callable[[str], Any]]] = {
    "environmentSuffix": ("environment_suffix", None, _suffix),
    "environment": ("environment", DEFAULT_ENVIRONMENT, _NAME_TEXT),
    "costCenter": ("cost_center", DEFAULT_COST_CENTER, _NAME_TEXT),
    "org": ("org", None, _text(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "a Pulumi organization name")),
    "reservedConcurrency": ("reserved_concurrency",
                            dict.fromkeys(_FUNCTION_IDS, DEFAULT_RESERVED_CONCURRENCY),
                            _reserved_concurrency),
    "lambdaMemoryMb": ("lambda_memory_mb", 512, _integer(128, 10240)),
    "lambdaRuntime": ("lambda_runtime", "python3.11", _one_of(*LAMBDA_RUNTIMES)),
    "powertoolsLayerArn": ("powertools_layer_arn", None, _text(
        r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+",
        "a Lambda layer version ARN, arn:aws:lambda:<region>:<account>:layer:<name>:<version>")),
    "alertEmail": ("alert_email", None, _text(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        "an email address such as fraud-team@example.com")),
    # Sized by Little's law for the default reservation (see _capacity_problems).
    "apiThrottleRateLimit": ("api_throttle_rate_limit", 1000.0, _rate),
    "apiThrottleBurstLimit": ("api_throttle_burst_limit", 100, _integer(1, 5000)),
    "apiAuth": ("api_auth", "iam", _one_of(*API_AUTH_MODES)),
    "logRetentionDays": ("log_retention_days", 7, _log_retention),
    "reportRetentionDays": ("report_retention_days", 365, _integer(1, 36500)),
    "vpcCidr": ("vpc_cidr", "10.40.0.0/16", _vpc_cidr),
    "azCount": ("az_count", 2, _integer(1, 3)),
    "streamBatchSize": ("stream_batch_size", 100, _integer(1, 10000)),
    "streamBatchWindowSeconds": ("stream_batch_window_seconds", 1, _integer(0, 300)),
    "ruleOverrides": ("rule_overrides", "{}", _rule_overrides),
    # For risk thresholds only, not accounting: the ECB's rates of common.exchange_rates.PUBLISHED.
    "referenceCurrency": ("reference_currency", DEFAULT_REFERENCE, _currency),
    "exchangeRates": ("exchange_rates",
                      json.dumps({code: float(rate) for code, rate in DEFAULT_TABLE.items()},
                                 sort_keys=True), _exchange_rates),
    # "default": the model judges only an account with modelMinHistory transactions on earlier
    # days or a merchant with labels (fraud:ruleOverrides), so docs/rules.md's verdicts stand.
    "model": ("model", "default", _model),
    "reportAccountIds": ("report_account_ids", MASKED, _one_of(*REPORT_ACCOUNT_IDS)),
    "waf": ("waf", True, _boolean),
    "accountId": ("account_id", None, _text(r"\d{12}", "a 12-digit AWS account id")),
    # Off by default: everything stays destroyable by the owner's rule.
    "protectData": ("protect_data", False, _boolean),
}

_REGION = _text(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", "an AWS region such as us-east-2")
REGION_KEY = "aws:region"


def config_keys() -> tuple[str, ...]:
    """Every accepted ``fraud:`` key (without the namespace)."""
    return tuple(_KEYS)


def _capacity_problems(values: Mapping[str, Any]) -> list[str]:
    """Little's law for the API: what the stage admits must fit process-transaction's
    reservation, or Lambda throttles and API Gateway answers 500 instead of 429.

    rate x duration budget ≤ concurrency, and a burst (requests arriving together) ≤ concurrency.
    Without a reservation the ceiling is the account's, which only the deploy preflight knows.
    """
    concurrency = values["reserved_concurrency"][PROCESS_TRANSACTION.id]
    rate, burst = values["api_throttle_rate_limit"], values["api_throttle_burst_limit"]
    if concurrency is None:
        return []
    busy = rate * API_DURATION_BUDGET_SECONDS
    excess = []
    if busy > concurrency:
        excess.append(f"{NAMESPACE}:apiThrottleRateLimit = {rate:g} keeps {busy:g} executions "
                      f"busy at its duration budget of {API_DURATION_BUDGET_SECONDS * 1000:g} ms "
                      "(Little's law: rate x duration ≤ concurrency)")
    if burst > concurrency:
        excess.append(f"{NAMESPACE}:apiThrottleBurstLimit = {burst} lets {burst} requests "
                      "arrive together, each needing an execution")
    if not excess:
        return []
    return [f"the stage admits more than {PROCESS_TRANSACTION.id}'s reserved concurrency of "
            f"{concurrency} ({NAMESPACE}:reservedConcurrency) can serve: " + "; ".join(excess)
            + ". Over its reservation Lambda throttles and the API answers 500 instead of 429. "
            f"Lower the throttle (rate ≤ {concurrency / API_DURATION_BUDGET_SECONDS:g}, burst ≤ "
            f"{concurrency}) or raise the reservation of {PROCESS_TRANSACTION.id}"]


def parse_settings(raw: Mapping[str, Any], *, stack: str, region: str | None = None) -> Settings:
    """Validate ``raw`` (``fraud`` keys without namespace, string values) into :class:`Settings`.

    Raises :class:`ConfigError` listing every bad key at once, so one run shows all mistakes.
    """
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key in sorted(set(raw) - set(_KEYS)):
        close = difflib.get_close_matches(key, list(_KEYS), n=1)
        errors.append(f"{NAMESPACE}:{key} is not a known key; "
                      + (f"did you mean {NAMESPACE}:{close[0]}?" if close
                         else "accepted keys: " + ", ".join(_KEYS)))
    for key, (field, default, parse) in _KEYS.items():
        given = raw.get(key)
        if given is None or given == "":
            values[field] = default
            continue
        try:
            values[field] = parse(given)
        except ValueError as error:
            errors.append(f"{NAMESPACE}:{key} = {given!r} is invalid: {error}")
    try:
        values["region"] = _REGION(region or DEFAULT_REGION)
    except ValueError as error:
        errors.append(f"{REGION_KEY} = {region!r} is invalid: {error}")
    if values.get("environment_suffix") is None:
        try:
            values["environment_suffix"] = _suffix(stack)
        except ValueError as error:
            errors.append(f"{NAMESPACE}:environmentSuffix is unset and the stack name {stack!r} "
                          f"cannot serve as the suffix: {error}; set "
                          f"{NAMESPACE}:environmentSuffix")
    if not errors:
        errors += _capacity_problems(values)
    if {"reference_currency", "exchange_rates"} <= values.keys():
        errors += _rate_problems(values)
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    values["stack"] = stack
    return Settings(**values)


def settings_from_config(config: Mapping[str, Any], *, stack: str) -> Settings:
    """:func:`parse_settings` of fully-qualified config (``fraud:azCount``, ``aws:region``), as
    Pulumi holds it; other namespaces (``aws:profile``, other providers) are not ours."""
    prefix = f"{NAMESPACE}:"
    raw = {key[len(prefix):]: _plain(value) for key, value in config.items()
           if key.startswith(prefix)}
    region = config.get(REGION_KEY)
    return parse_settings(raw, stack=stack, region=None if region is None else str(region))


def qualified_config(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (``--set`` of the local mode) as fully-qualified config: a bare key
    is a ``fraud:`` key; ``aws:region`` is the region."""
    config = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            raise ConfigError(f"--set takes KEY=VALUE (a {NAMESPACE}: key or {REGION_KEY}), "
                              f"not {pair!r}")
        if ":" not in key:
            key = f"{NAMESPACE}:{key}"
        if not key.startswith(f"{NAMESPACE}:") and key != REGION_KEY:
            raise ConfigError(f"--set {key}: only {NAMESPACE}: keys and {REGION_KEY} are "
                              "settings of this platform")
        config[key] = value
    return config


def load_settings() -> Settings:
    """Read and validate the running stack's config; a bad value ends the program cleanly."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    # The language host hands config over either way; enumerate both to catch unknown keys.
    config = {**get_config_env(), **CONFIG.get()}
    try:
        return settings_from_config(config, stack=pulumi.get_stack())
    except ConfigError as error:
        # RunError is reported by Pulumi as a plain message, without a Python traceback.
        raise pulumi.RunError(str(error)) from None


def _plain(value: Any) -> Any:
    """Config values arrive as strings; structured ones (objects, lists) as JSON text, and a
    YAML boolean or number (a hand-written stack file) as the text ``pulumi config set`` writes."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)
