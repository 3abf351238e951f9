"""Data at rest under a customer-managed key: tables, queues, topics, log groups, function
environments. (Buckets are checked with their configuration resources: policy/buckets.py.)

An AWS managed key (``alias/aws/sqs``, ``alias/aws/sns``) or a service-owned default does not
count: its policy is AWS's, so nobody here can scope who decrypts, and CloudTrail shows nothing
of its use by the service.
"""

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.props import get, is_set

AWS_MANAGED_KEY_PREFIX = "alias/aws/"

TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"

# Where each type names its key.
KEY_PROPERTY = {
    TABLE: ("serverSideEncryption", "kmsKeyArn"),
    QUEUE: ("kmsMasterKeyId",),
    TOPIC: ("kmsMasterKeyId",),
    LOG_GROUP: ("kmsKeyId",),
    FUNCTION: ("kmsKeyArn",),
}


def validate_customer_managed_key(args: ResourceValidationArgs,
                                  report_violation: ReportViolation) -> None:
    path = KEY_PROPERTY.get(args.resource_type)
    if path is None:
        return
    where = f"{args.name} ({args.resource_type})"
    enabled = get(args.props, "serverSideEncryption", "enabled")
    if args.resource_type == TABLE and enabled is not True:
        report_violation(f"{where} is not encrypted with a customer-managed key "
                         "(serverSideEncryption.enabled is not true)")
        return
    if args.resource_type == QUEUE and get(args.props, "sqsManagedSseEnabled") is True:
        report_violation(f"{where} uses SQS-managed encryption, not a customer-managed key")
        return
    if not is_set(args.props, *path):
        report_violation(f"{where} names no customer-managed key ({'.'.join(path)} is unset)")
        return
    key = get(args.props, *path)
    if isinstance(key, str) and key.startswith(AWS_MANAGED_KEY_PREFIX):
        report_violation(f"{where} uses the AWS managed key {key}, not a customer-managed key")
