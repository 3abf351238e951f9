"""The policies of the pack, each mandatory: a violation fails ``pulumi preview`` and stops
``pulumi up`` before the resource is created (stack policies: at the end of the run)."""

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy.buckets import validate_buckets
from policy.encryption import validate_customer_managed_key
from policy.iam_grants import validate_no_wildcard_actions, validate_star_resources
from policy.log_groups import validate_retention
from policy.network import validate_function_in_vpc, validate_no_internet_path
from policy.tagging import validate_tags

PACK_NAME = "fraud-platform-guardrails"
MANDATORY = EnforcementLevel.MANDATORY

POLICIES = [
    ResourceValidationPolicy(
        name="cost-allocation-tags", enforcement_level=MANDATORY, validate=validate_tags,
        description="Every taggable resource carries the Environment and CostCenter tags."),
    ResourceValidationPolicy(
        name="customer-managed-encryption", enforcement_level=MANDATORY,
        validate=validate_customer_managed_key,
        description="Tables, queues, topics, log groups and function environments are "
                    "encrypted with a customer-managed KMS key."),
    ResourceValidationPolicy(
        name="no-wildcard-iam-actions", enforcement_level=MANDATORY,
        validate=validate_no_wildcard_actions,
        description="Identity policies list their actions: no '*', 'service:*' or NotAction."),
    ResourceValidationPolicy(
        name="star-resource-only-where-aws-requires", enforcement_level=MANDATORY,
        validate=validate_star_resources,
        description="Identity policies grant '*' resources only for the actions AWS authorizes "
                    "on no narrower resource (shared/iam.py)."),
    ResourceValidationPolicy(
        name="log-retention", enforcement_level=MANDATORY, validate=validate_retention,
        description="Every log group expires its events."),
    ResourceValidationPolicy(
        name="no-internet-path", enforcement_level=MANDATORY, validate=validate_no_internet_path,
        description="No internet or NAT gateway, no route out of the VPC, no public IPs."),
    ResourceValidationPolicy(
        name="functions-in-vpc", enforcement_level=MANDATORY, validate=validate_function_in_vpc,
        description="Every Lambda function runs in the VPC's private subnets."),
    StackValidationPolicy(
        name="private-encrypted-buckets", enforcement_level=MANDATORY, validate=validate_buckets,
        description="Every bucket blocks public access, denies requests without TLS and is "
                    "encrypted with a customer-managed key (SSE-S3 only for a server access "
                    "log destination, which supports nothing else)."),
]
