import json
from pathlib import Path

import pytest

from shared.lambdas import LAMBDAS
from shared.settings import (
    MODEL_PATHS_FROM,
    ConfigError,
    config_keys,
    parse_settings,
    qualified_config,
    settings_from_config,
)
from tests.harness.model_artifact import SHIPPED, own_artifact

EVERY_FUNCTION = {spec.id for spec in LAMBDAS}


def test_defaults_follow_the_spec():
    settings = parse_settings({}, stack="dev")
    assert settings.environment_suffix == "dev"
    assert settings.region == "us-east-2"
    assert settings.tags == {"Environment": "production", "CostCenter": "fraud-detection"}
    assert settings.reserved_concurrency == dict.fromkeys(EVERY_FUNCTION, 100)
    assert settings.lambda_memory_mb == 512
    assert settings.lambda_runtime == "python3.11"
    assert settings.alert_email is None
    # Little's law: 1000 requests/s x 100 ms = 100 executions, the default reservation.
    assert (settings.api_throttle_rate_limit, settings.api_throttle_burst_limit) == (1000, 100)
    assert settings.api_auth == "iam"
    assert settings.log_retention_days == 7
    assert settings.report_retention_days == 365
    assert settings.vpc_cidr == "10.40.0.0/16"
    assert settings.az_count == 2
    assert settings.org is None
    assert settings.powertools_layer_arn is None  # the published layer of the pinned version
    assert settings.rule_overrides == "{}"
    assert settings.reference_currency == "EUR"
    assert json.loads(settings.exchange_rates)["JPY"] == 175.68
    assert settings.model == "default"  # the packaged artifact, gated (common.scoring)
    assert (settings.waf, settings.account_id, settings.protect_data) == (True, None, False)


def test_every_key_is_read():
    raw = {
        "environmentSuffix": "qa7", "environment": "staging", "costCenter": "risk-ops",
        "org": "acme", "reservedConcurrency": "30", "lambdaMemoryMb": "1024",
        "lambdaRuntime": "python3.12", "alertEmail": "team@example.com",
        "apiThrottleRateLimit": "250", "apiThrottleBurstLimit": "30", "apiAuth": "api-key",
        "logRetentionDays": "14", "reportRetentionDays": "400", "vpcCidr": "10.60.0.0/20",
        "azCount": "3", "streamBatchSize": "50",
        "streamBatchWindowSeconds": "2",
        "powertoolsLayerArn": "arn:aws:lambda:us-east-2:017000801446:layer:Custom:3",
        "ruleOverrides": '{"velocityWeight": 40, "highAmount": 5000}',
        "reportAccountIds": "full", "model": "none",
        "waf": "false", "accountId": "123456789012", "protectData": "TRUE",
        "referenceCurrency": "USD", "exchangeRates": '{"USD": 1, "EUR": 0.9}',
    }
    assert set(raw) == set(config_keys())
    settings = parse_settings(raw, stack="qa", region="us-west-2")
    assert settings.model == "none"
    assert (settings.environment_suffix, settings.environment, settings.cost_center) == (
        "qa7", "staging", "risk-ops")
    assert (settings.org, settings.lambda_memory_mb) == ("acme", 1024)
    assert settings.reserved_concurrency == dict.fromkeys(EVERY_FUNCTION, 30)
    assert (settings.lambda_runtime, settings.alert_email, settings.api_auth) == (
        "python3.12", "team@example.com", "api-key")
    assert (settings.api_throttle_rate_limit, settings.api_throttle_burst_limit) == (250, 30)
    assert (settings.log_retention_days, settings.report_retention_days) == (14, 400)
    assert (settings.vpc_cidr, settings.az_count) == ("10.60.0.0/20", 3)
    assert (settings.stream_batch_size, settings.stream_batch_window_seconds) == (50, 2)
    assert settings.powertools_layer_arn.endswith(":layer:Custom:3")
    assert settings.region == "us-west-2"
    assert settings.rule_overrides == '{"highAmount": 5000, "velocityWeight": 40}'
    assert settings.report_account_ids == "full"
    assert (settings.reference_currency, settings.exchange_rates) == (
        "USD", '{"EUR": 0.9, "USD": 1}')
    assert (settings.waf, settings.account_id, settings.protect_data) == (
        False, "123456789012", True)


@pytest.mark.parametrize(("key", "value", "accepted"), [
    ("waf", "yes", "expected true or false"),
    ("protectData", "1", "expected true or false"),
    ("accountId", "12345678901", "expected a 12-digit AWS account id"),
    ("reservedConcurrency", "0", "expected an integer ≥ 1 or 'none'"),
    ("reservedConcurrency", "-5", "expected an integer ≥ 1 or 'none'"),
    ("reservedConcurrency", "many", "expected an integer ≥ 1 or 'none'"),
    ("reservedConcurrency", '{"detect-fraud": 0}', "detect-fraud: expected an integer ≥ 1"),
    ("reservedConcurrency", '{"detect-fraud": 5', "expected a JSON object of function id"),
    ("reservedConcurrency", '{"detect-frauds": 5}',
     "'detect-frauds' is not a function; did you mean detect-fraud?"),
    ("lambdaMemoryMb", "64", "expected an integer from 128 to 10240"),
    ("lambdaRuntime", "python3.9", "expected one of python3.11, python3.12, python3.13"),
    ("apiAuth", "basic", "expected one of iam, api-key"),
    ("apiAuth", "iamm", "expected one of iam, api-key; did you mean iam?"),
    ("alertEmail", "not-an-email", "expected an email address"),
    ("logRetentionDays", "10", "expected one of 0, 1, 3, 5, 7, 14"),
    ("reportRetentionDays", "0", "expected an integer from 1 to 36500"),
    ("apiThrottleRateLimit", "0", "expected a number of requests per second above 0"),
    ("apiThrottleRateLimit", "fast", "expected a number of requests per second above 0"),
    ("apiThrottleBurstLimit", "9000", "expected an integer from 1 to 5000"),
    ("vpcCidr", "8.8.8.0/24", "expected a private IPv4 CIDR block"),
    ("vpcCidr", "10.0.0.0/8", "expected a private IPv4 CIDR block"),
    ("vpcCidr", "100.128.0.0/16", "expected a private IPv4 CIDR block"),
    ("azCount", "4", "expected an integer from 1 to 3"),
    ("streamBatchSize", "0", "expected an integer from 1 to 10000"),
    ("streamBatchWindowSeconds", "301", "expected an integer from 0 to 300"),
    ("environmentSuffix", "QA", "is invalid: it must start with a lower-case letter and hold"),
    ("environmentSuffix", "a" * 21, "is invalid: it has 21 characters; at most 20"),
    ("environment", "bad\nvalue", "expected 1 to 256 letters"),
    ("powertoolsLayerArn", "layer", "expected a Lambda layer version ARN"),
    ("ruleOverrides", '{"highAmont": 1}', "unknown key 'highAmont'"),
    ("ruleOverrides", '{"velocityWeight": 500}', "velocityWeight = 500 is invalid"),
    ("ruleOverrides", "[1, 2]", "expected a JSON object"),
    ("referenceCurrency", "EURO", "expected an ISO 4217 currency code (functions/common/"
                                  "currencies.json) such as EUR; did you mean EUR?"),
    ("exchangeRates", '{"EUR": 1', "expected a JSON object of currency code → rate"),
])
def test_bad_value_names_the_key_and_what_it_accepts(key, value, accepted):
    with pytest.raises(ConfigError) as error:
        parse_settings({key: value}, stack="dev")
    message = str(error.value)
    assert f"fraud:{key} = {value!r} is invalid: " in message
    assert accepted in message
    assert "expected the" not in message  # reads as English
    assert "expected it" not in message


@pytest.mark.parametrize(("value", "expected"), [
    ("none", dict.fromkeys(EVERY_FUNCTION, None)),
    ("NONE", dict.fromkeys(EVERY_FUNCTION, None)),
    ("250", dict.fromkeys(EVERY_FUNCTION, 250)),
    ('{"process-transaction": 200, "generate-report": "none"}',
     {"process-transaction": 200, "detect-fraud": 100, "notify-team": 100,
      "generate-report": None}),
])
def test_reserved_concurrency_is_one_figure_none_or_a_map_by_function(value, expected):
    assert parse_settings({"reservedConcurrency": value}, stack="dev").reserved_concurrency == (
        expected)


@pytest.mark.parametrize(("config", "breaks"), [
    ({"apiThrottleRateLimit": "1001"}, "fraud:apiThrottleRateLimit = 1001 keeps 100.1 executions"),
    ({"apiThrottleBurstLimit": "101"}, "fraud:apiThrottleBurstLimit = 101 lets 101 requests"),
    ({"reservedConcurrency": '{"process-transaction": 50}'}, "rate ≤ 500, burst ≤ 50"),
])
def test_a_throttle_the_api_function_cannot_serve_is_refused_with_the_arithmetic(config, breaks):
    """Little's law: rate x duration budget (100 ms) ≤ the reservation, bursts too; above it
    Lambda throttles and the proxy integration answers 500, not 429."""
    with pytest.raises(ConfigError) as error:
        parse_settings(config, stack="dev")
    assert breaks in str(error.value)
    assert "reserved concurrency of" in str(error.value)


def test_without_a_reservation_the_throttle_is_left_to_the_deploy_preflight():
    settings = parse_settings({"reservedConcurrency": '{"process-transaction": "none"}',
                               "apiThrottleRateLimit": "5000", "apiThrottleBurstLimit": "5000"},
                              stack="dev")
    assert settings.reserved_concurrency["process-transaction"] is None


@pytest.mark.parametrize(("key", "value", "parsed"), [
    ("vpcCidr", "100.64.0.0/16", "100.64.0.0/16"),  # RFC 6598 shared space: AWS accepts it
    ("vpcCidr", "192.168.0.0/24", "192.168.0.0/24"),
    ("apiThrottleRateLimit", "0.5", 0.5),  # one request every 2 s
    ("reportRetentionDays", "30", 30),  # the lifecycle's transitions shrink to fit
    ("reportRetentionDays", "1", 1),
    ("logRetentionDays", "0", 0),  # CloudWatch's "never expire"
])
def test_values_aws_accepts_are_accepted(key, value, parsed):
    settings = parse_settings({key: value}, stack="dev")
    assert getattr(settings, {"vpcCidr": "vpc_cidr", "apiThrottleRateLimit":
                              "api_throttle_rate_limit", "reportRetentionDays":
                              "report_retention_days", "logRetentionDays":
                              "log_retention_days"}[key]) == parsed


def test_unknown_key_is_an_error_not_ignored_with_the_key_meant():
    with pytest.raises(ConfigError, match=r"fraud:reservedConcurency is not a known key; "
                                          r"did you mean fraud:reservedConcurrency\?"):
        parse_settings({"reservedConcurency": "10"}, stack="dev")
    with pytest.raises(ConfigError, match=r"fraud:colour is not a known key; accepted keys: "
                                          r"environmentSuffix, "):
        parse_settings({"colour": "blue"}, stack="dev")


def test_every_mistake_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        parse_settings({"apiAuth": "basic", "azCount": "9"}, stack="dev")
    assert "fraud:apiAuth" in str(error.value)
    assert "fraud:azCount" in str(error.value)


def test_a_stack_name_that_cannot_be_a_suffix_asks_for_one():
    with pytest.raises(ConfigError, match=r"the stack name 'Feature_Branch' cannot serve as the "
                                          r"suffix: it must start with a lower-case letter.*; "
                                          r"set fraud:environmentSuffix"):
        parse_settings({}, stack="Feature_Branch")
    settings = parse_settings({"environmentSuffix": "feat"}, stack="Feature_Branch")
    assert settings.environment_suffix == "feat"


def test_bad_region_is_refused():
    with pytest.raises(ConfigError, match="aws:region"):
        parse_settings({}, stack="dev", region="mars-1")


def test_readme_documents_every_key():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for key in config_keys():
        assert f"| `fraud:{key}` |" in readme, key


def test_fully_qualified_config_reads_the_fraud_keys_and_the_region_only():
    settings = settings_from_config({"fraud:azCount": "3", "aws:region": "eu-west-1",
                                     "aws:profile": "ops", "random:seed": "1"}, stack="dev")
    assert (settings.az_count, settings.region) == (3, "eu-west-1")


def test_yaml_booleans_and_numbers_of_a_hand_written_stack_file_are_read_as_pulumi_writes_them():
    settings = settings_from_config({"fraud:azCount": 3, "fraud:apiThrottleRateLimit": 0.5},
                                    stack="dev")
    assert (settings.az_count, settings.api_throttle_rate_limit) == (3, 0.5)


def test_local_set_pairs_take_bare_fraud_keys_and_the_region():
    assert qualified_config(["azCount=3", "fraud:apiAuth=api-key", "aws:region=eu-west-1"]) == {
        "fraud:azCount": "3", "fraud:apiAuth": "api-key", "aws:region": "eu-west-1"}
    with pytest.raises(ConfigError, match="only fraud: keys and aws:region"):
        qualified_config(["aws:profile=ops"])
    with pytest.raises(ConfigError, match="--set takes KEY=VALUE"):
        qualified_config(["azCount"])


@pytest.mark.parametrize(("raw", "problem"), [
    ({"exchangeRates": '{"EUR": 1, "YEN": 150}'},
     "'YEN' is not an ISO 4217 code (functions/common/currencies.json)"),
    ({"exchangeRates": '{"EUR": 1, "JPY": -150}'}, "JPY: -150 is not a positive number"),
    ({"exchangeRates": '{"EUR": 1.5, "JPY": 150}'},
     "the reference currency EUR has the rate 1.5; it must be 1"),
    ({"referenceCurrency": "USD"}, "the reference currency USD has the rate 1.1172"),
    ({"referenceCurrency": "GBP", "exchangeRates": '{"EUR": 1.2}'},
     "no rate for the reference currency GBP: give GBP the rate 1"),
])
def test_a_rate_table_is_checked_against_the_reference_currency(raw, problem):
    with pytest.raises(ConfigError) as error:
        parse_settings(raw, stack="dev")
    message = str(error.value)
    reference = raw.get("referenceCurrency", "EUR")
    assert (f"fraud:exchangeRates is invalid (with fraud:referenceCurrency = {reference}): "
            in message)
    assert problem in message


def test_a_rate_table_in_its_own_reference_currency_is_kept_canonical():
    settings = parse_settings({"referenceCurrency": "USD",
                               "exchangeRates": '{"USD":1,"JPY":150.5,"EUR":0.9}'}, stack="dev")
    assert settings.reference_currency == "USD"
    assert settings.exchange_rates == '{"EUR": 0.9, "JPY": 150.5, "USD": 1}'


def test_fraud_model_takes_an_artifacts_path_relative_to_the_repository_root(tmp_path):
    relative = parse_settings({"model": "functions/detect_fraud/model.json"}, stack="dev")
    assert Path(__file__).resolve().parents[2] == MODEL_PATHS_FROM  # the repository
    assert relative.model == str(SHIPPED)
    assert relative.model_artifact == SHIPPED
    ours = own_artifact(tmp_path)
    assert parse_settings({"model": str(ours)}, stack="dev").model_artifact == ours
    for word in ("default", "none"):
        assert parse_settings({"model": word}, stack="dev").model_artifact is None


@pytest.mark.parametrize(("path", "why"), [
    ("models/ours.json", "{path}: cannot read a model artifact ([Errno 2] No such file or "
                         "directory: '{path}')"),
    ("bench/results.json", "not a fraud-forest/1 model artifact"),
    ("README.md", "{path}: cannot read a model artifact (Expecting value: line 1 column 1 "
                  "(char 0))"),
])
def test_an_unreadable_or_invalid_model_artifact_names_fraud_model_and_why(path, why):
    with pytest.raises(ConfigError) as error:
        parse_settings({"model": path}, stack="dev")
    assert str(error.value) == (
        f"invalid configuration:\n  fraud:model = '{path}' is invalid: expected default or "
        "none or the path of a model artifact (`python -m backtest train` writes one): "
        + why.format(path=MODEL_PATHS_FROM / path))
