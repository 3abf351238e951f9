import pytest

from shared.naming import (
    MAX_LENGTH,
    NamingError,
    api_access_log_group_name,
    bucket_name,
    lambda_log_group_name,
    resource_name,
    validate_bucket_name,
    validate_suffix,
)


@pytest.mark.parametrize(("kind", "purpose", "suffix", "expected"), [
    ("lambda", "process-transaction", "dev", "lambda-process-transaction-dev"),
    ("sqs", "fraud-alerts", "pr-1234", "sqs-fraud-alerts-pr-1234"),
    ("dynamodb", "transactions", "qa7", "dynamodb-transactions-qa7"),
])
def test_names_follow_type_purpose_suffix(kind, purpose, suffix, expected):
    assert resource_name(kind, purpose, suffix) == expected


@pytest.mark.parametrize(("suffix", "message"), [
    ("", "empty"),
    ("Dev", "lower-case"),
    ("7dev", "start with a lower-case letter"),
    ("dev_1", "lower-case letters, digits and single hyphens"),
    ("dev--1", "single hyphens"),
    ("dev-", "single hyphens"),
    ("d" * 21, "at most 20"),
])
def test_invalid_suffix_is_explained(suffix, message):
    with pytest.raises(NamingError, match=message):
        validate_suffix(suffix)


def test_longest_suffix_fits_every_name_we_build():
    suffix = "a" * 20
    assert len(resource_name("lambda", "process-transaction", suffix)) <= MAX_LENGTH["lambda"]
    assert len(bucket_name("fraud-reports", suffix, "123456789012")) <= MAX_LENGTH["s3"]


def test_name_over_the_aws_limit_is_refused():
    with pytest.raises(NamingError, match="AWS allows 64 for lambda names"):
        resource_name("lambda", "a-purpose-long-enough-to-break-the-sixty-four-char-limit", "dev")


@pytest.mark.parametrize(("kind", "purpose"), [("ec2", "thing"), ("lambda", "Bad_Purpose")])
def test_unknown_type_or_bad_purpose_is_refused(kind, purpose):
    with pytest.raises(NamingError):
        resource_name(kind, purpose, "dev")


def test_bucket_name_carries_the_account_id():
    assert bucket_name("fraud-reports", "dev", "123456789012") == (
        "s3-fraud-reports-dev-123456789012")


def test_bucket_name_needs_a_twelve_digit_account():
    with pytest.raises(NamingError, match="12 digits"):
        bucket_name("fraud-reports", "dev", "1234")


@pytest.mark.parametrize(("name", "message"), [
    ("ab", "3 to 63"),
    ("a" * 64, "3 to 63"),
    ("my.bucket", "no dots"),
    ("-bucket", "start"),
    ("bucket-s3alias", "reserved"),
    ("xn--bucket", "reserved"),
])
def test_s3_bucket_rules(name, message):
    with pytest.raises(NamingError, match=message):
        validate_bucket_name(name)


def test_log_group_names():
    assert lambda_log_group_name("lambda-notify-team-dev") == "/aws/lambda/lambda-notify-team-dev"
    assert api_access_log_group_name("dev") == "/aws/apigateway/apigw-fraud-api-dev/access"
