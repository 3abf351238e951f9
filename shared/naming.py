"""Physical resource names: ``{type}-{purpose}-{suffix}``, checked against AWS limits.

Every name is built here so a bad suffix fails before any resource exists, with a message
that says which rule it broke, instead of a half-applied stack and an AWS validation error.
"""

import re

# The longest name AWS accepts for each resource type we name.
MAX_LENGTH: dict[str, int] = {
    "lambda": 64,
    "iam": 64,
    "scheduler": 64,
    "s3": 63,
    "sqs": 80,
    "sns": 256,
    "dynamodb": 255,
    "kms": 250,  # the alias, after its mandatory "alias/" prefix
    "cw": 255,
    "dashboard": 255,
    "apigw": 255,
    "vpc": 255,
    "subnet": 255,
    "rt": 255,
    "vpce": 255,
    "sg": 255,
    "log": 512,
    "waf": 128,  # a WAF web ACL
}

SUFFIX_MAX_LENGTH = 20
_SUFFIX = re.compile(r"^[a-z][a-z0-9-]*$")
_PURPOSE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


class NamingError(ValueError):
    """A name that AWS would reject, or that breaks the naming convention."""


class SuffixError(NamingError):
    """An environment suffix that cannot end every name; ``rule`` says what is wrong with it
    ("it must start with ..."), for messages that name the value themselves."""

    def __init__(self, suffix: str, rule: str) -> None:
        super().__init__(f"the environment suffix {suffix!r}: {rule}")
        self.rule = rule


def validate_suffix(suffix: str) -> str:
    """Return ``suffix`` when it can end every resource name, else raise :class:`SuffixError`."""
    if not suffix:
        raise SuffixError(suffix, "it is empty; use e.g. 'dev', 'qa' or 'prod'")
    if len(suffix) > SUFFIX_MAX_LENGTH:
        raise SuffixError(suffix, f"it has {len(suffix)} characters; at most "
                                  f"{SUFFIX_MAX_LENGTH} fit every AWS name limit")
    if not _SUFFIX.match(suffix) or "--" in suffix or suffix.endswith("-"):
        raise SuffixError(suffix, "it must start with a lower-case letter and hold only "
                                  "lower-case letters, digits and single hyphens (it ends S3 "
                                  "bucket names)")
    return suffix


def resource_name(kind: str, purpose: str, suffix: str) -> str:
    """``{kind}-{purpose}-{suffix}``, e.g. ``resource_name("sqs", "fraud-alerts", "dev")``."""
    if kind not in MAX_LENGTH:
        raise NamingError(f"unknown resource type {kind!r}; known types: {', '.join(MAX_LENGTH)}")
    if not _PURPOSE.match(purpose):
        raise NamingError(
            f"the purpose {purpose!r} must be lower-case words of letters and digits joined by "
            "single hyphens"
        )
    name = f"{kind}-{purpose}-{validate_suffix(suffix)}"
    if len(name) > MAX_LENGTH[kind]:
        raise NamingError(
            f"the name {name!r} has {len(name)} characters; AWS allows {MAX_LENGTH[kind]} for "
            f"{kind} names (shorten the suffix)"
        )
    return name


def resource_name_pattern(kind: str, suffix: str) -> str:
    """``{kind}-*-{suffix}``: every name :func:`resource_name` gives ``kind`` under ``suffix``.

    For IAM conditions that must admit a family of resources another layer names (``ArnLike``).
    """
    if kind not in MAX_LENGTH:
        raise NamingError(f"unknown resource type {kind!r}; known types: {', '.join(MAX_LENGTH)}")
    return f"{kind}-*-{validate_suffix(suffix)}"


def bucket_name(purpose: str, suffix: str, account_id: str) -> str:
    """``s3-{purpose}-{suffix}-{accountId}``: the account id makes the global name unique."""
    if not re.fullmatch(r"\d{12}", account_id):
        raise NamingError(f"an AWS account id has 12 digits, not {account_id!r}")
    name = f"{resource_name('s3', purpose, suffix)}-{account_id}"
    return validate_bucket_name(name)


def validate_bucket_name(name: str) -> str:
    """Apply the S3 general-purpose bucket naming rules (without dots) to ``name``."""
    problems = []
    if not 3 <= len(name) <= MAX_LENGTH["s3"]:
        problems.append(f"it has {len(name)} characters, S3 allows 3 to 63")
    if not _BUCKET.match(name):
        problems.append(
            "it must hold only lower-case letters, digits and hyphens (no dots), and start and "
            "end with a letter or digit"
        )
    if name.endswith(("-s3alias", "--ol-s3")):
        problems.append("the suffixes '-s3alias' and '--ol-s3' are reserved")
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        problems.append("the prefixes 'xn--', 'sthree-' and 'amzn-s3-demo-' are reserved")
    if problems:
        raise NamingError(f"invalid S3 bucket name {name!r}: " + "; ".join(problems))
    return name


# Log groups are named by AWS convention, not ours: Lambda writes to /aws/lambda/<function>.
def lambda_log_group_name(function_name: str) -> str:
    """The log group Lambda writes ``function_name``'s logs to."""
    return f"/aws/lambda/{function_name}"


API_STAGE_NAME = "v1"  # the REST API's one stage


def api_access_log_group_name(suffix: str) -> str:
    """The log group of the REST API's access logs."""
    return f"/aws/apigateway/{resource_name('apigw', 'fraud-api', suffix)}/access"


def api_execution_log_group_name(rest_api_id: str, stage: str = API_STAGE_NAME) -> str:
    """The log group API Gateway writes a stage's execution logs to (its name, not ours)."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage}"


def vpc_flow_log_group_name(suffix: str) -> str:
    """The log group of the VPC's flow logs."""
    return f"/aws/vpc/flow-logs/{resource_name('vpc', 'fraud', suffix)}"
