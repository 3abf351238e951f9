from pathlib import Path

import pytest

from shared.settings import (
    ConfigError,
    config_keys,
    default_powertools_layer_arn,
    parse_settings,
)


def test_defaults_follow_the_spec():
    settings = parse_settings({}, stack="dev")
    assert settings.environment_suffix == "dev"
    assert settings.region == "us-east-2"
    assert settings.tags == {"Environment": "production", "CostCenter": "fraud-detection"}
    assert settings.reserved_concurrency == 100
    assert settings.lambda_memory_mb == 512
    assert settings.lambda_runtime == "python3.11"
    assert settings.alert_email is None
    assert (settings.api_throttle_rate_limit, settings.api_throttle_burst_limit) == (1000, 2000)
    assert settings.api_auth == "iam"
    assert settings.log_retention_days == 7
    assert settings.report_retention_days == 365
    assert settings.vpc_cidr == "10.40.0.0/16"
    assert settings.az_count == 2
    assert settings.manage_api_gateway_account is True
    assert settings.org is None
    assert settings.powertools_layer_arn == default_powertools_layer_arn("us-east-2", "python3.11")
    assert settings.rule_overrides == "{}"


def test_powertools_layer_follows_region_and_runtime():
    settings = parse_settings({"lambdaRuntime": "python3.13"}, stack="dev", region="eu-west-1")
    assert settings.powertools_layer_arn.startswith(
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:")


def test_every_key_is_read():
    raw = {
        "environmentSuffix": "qa7", "environment": "staging", "costCenter": "risk-ops",
        "org": "acme", "reservedConcurrency": "20", "lambdaMemoryMb": "1024",
        "lambdaRuntime": "python3.12", "alertEmail": "team@example.com",
        "apiThrottleRateLimit": "250", "apiThrottleBurstLimit": "500", "apiAuth": "api-key",
        "logRetentionDays": "14", "reportRetentionDays": "400", "vpcCidr": "10.60.0.0/20",
        "azCount": "3", "manageApiGatewayAccount": "false", "streamBatchSize": "50",
        "streamBatchWindowSeconds": "2",
        "powertoolsLayerArn": "arn:aws:lambda:us-east-2:017000801446:layer:Custom:3",
        "ruleOverrides": '{"velocityWeight": 40, "highAmount": 5000}',
    }
    assert set(raw) == set(config_keys())
    settings = parse_settings(raw, stack="qa", region="us-west-2")
    assert (settings.environment_suffix, settings.environment, settings.cost_center) == (
        "qa7", "staging", "risk-ops")
    assert (settings.org, settings.reserved_concurrency, settings.lambda_memory_mb) == (
        "acme", 20, 1024)
    assert (settings.lambda_runtime, settings.alert_email, settings.api_auth) == (
        "python3.12", "team@example.com", "api-key")
    assert (settings.api_throttle_rate_limit, settings.api_throttle_burst_limit) == (250, 500)
    assert (settings.log_retention_days, settings.report_retention_days) == (14, 400)
    assert (settings.vpc_cidr, settings.az_count) == ("10.60.0.0/20", 3)
    assert settings.manage_api_gateway_account is False
    assert (settings.stream_batch_size, settings.stream_batch_window_seconds) == (50, 2)
    assert settings.powertools_layer_arn.endswith(":layer:Custom:3")
    assert settings.region == "us-west-2"
    assert settings.rule_overrides == '{"highAmount": 5000, "velocityWeight": 40}'


@pytest.mark.parametrize(("key", "value", "accepted"), [
    ("reservedConcurrency", "0", "an integer ≥ 1"),
    ("reservedConcurrency", "-5", "an integer ≥ 1"),
    ("reservedConcurrency", "many", "an integer ≥ 1"),
    ("lambdaMemoryMb", "64", "an integer from 128 to 10240"),
    ("lambdaRuntime", "python3.9", "one of python3.11, python3.12, python3.13"),
    ("apiAuth", "basic", "one of iam, api-key"),
    ("alertEmail", "not-an-email", "an email address"),
    ("logRetentionDays", "10", "one of 1, 3, 5, 7, 14"),
    ("reportRetentionDays", "30", "an integer from 91 to 36500"),
    ("apiThrottleRateLimit", "0", "an integer from 1 to 10000"),
    ("apiThrottleBurstLimit", "9000", "an integer from 1 to 5000"),
    ("vpcCidr", "8.8.8.0/24", "a private IPv4 CIDR block"),
    ("vpcCidr", "10.0.0.0/8", "a private IPv4 CIDR block"),
    ("azCount", "4", "an integer from 1 to 3"),
    ("manageApiGatewayAccount", "maybe", "one of True, False"),
    ("streamBatchSize", "0", "an integer from 1 to 10000"),
    ("streamBatchWindowSeconds", "301", "an integer from 0 to 300"),
    ("environmentSuffix", "Prod_1", "lower-case letter"),
    ("environment", "bad\nvalue", "an AWS tag value"),
    ("powertoolsLayerArn", "layer", "a Lambda layer version ARN"),
    ("ruleOverrides", '{"highAmont": 1}', "unknown key 'highAmont'"),
    ("ruleOverrides", '{"velocityWeight": 500}', "velocityWeight = 500 is invalid"),
    ("ruleOverrides", "[1, 2]", "expected a JSON object"),
])
def test_bad_value_names_the_key_and_what_it_accepts(key, value, accepted):
    with pytest.raises(ConfigError) as error:
        parse_settings({key: value}, stack="dev")
    message = str(error.value)
    assert f"fraud:{key} = {value!r} is invalid" in message
    assert accepted in message


def test_unknown_key_is_an_error_not_ignored():
    with pytest.raises(ConfigError, match=r"fraud:reservedConcurency is not a known key.*"
                                          r"reservedConcurrency"):
        parse_settings({"reservedConcurency": "10"}, stack="dev")


def test_every_mistake_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        parse_settings({"apiAuth": "basic", "azCount": "9"}, stack="dev")
    assert "fraud:apiAuth" in str(error.value)
    assert "fraud:azCount" in str(error.value)


def test_a_stack_name_that_cannot_be_a_suffix_asks_for_one():
    with pytest.raises(ConfigError, match="set fraud:environmentSuffix"):
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
