"""The project's one customer-managed KMS key, and who may use it.

The key policy, statement by statement (:func:`key_policy`):

1. ``AccountAdministration``: the account (its root principal), ``kms:*``. AWS's default first
   statement. It does not open the key to everyone in the account: it lets IAM policies grant
   it, so administrators manage the key through their IAM permissions and each function's
   role gets exactly the actions it needs on this key's ARN (compute-lambdas). Without it no
   IAM policy could ever grant the key, and a policy mistake could lock the key for good.
2. ``CloudWatchLogsForProjectLogGroups``: ``logs.<region>.amazonaws.com``, only under an
   encryption context naming one of this project's log groups (the four functions', the
   API's access log and its execution log, the VPC's flow logs). That ARN carries the
   account and region, so no further condition is needed. ``kms:DescribeKey`` is left out: it
   carries no encryption context, so it could never match the condition anyway.
3. ``CloudWatchAlarmsPublishToEncryptedTopics``: ``cloudwatch.amazonaws.com``, data keys only,
   for this account's alarms (``aws:SourceAccount``) named by this stack's convention
   (``aws:SourceArn``), so the alarms of observability-alarms can publish to its encrypted ops
   topic. The conditions keep CloudWatch from using the key on behalf of anyone else's alarms.

There is no statement for the SNS or SQS service principals, on purpose: both services
encrypt and decrypt messages with the credentials of whoever sends or receives them (the
functions' roles, granted through statement 1), never as themselves. A service principal needs
the key only when an AWS service is itself the producer: CloudWatch alarms here; SNS delivering
into an encrypted queue, or S3 and EventBridge events, none of which this design has. (So the
functions' roles carry the key actions for the queues and topic they use: compute-lambdas.)
"""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.lambdas import LAMBDAS
from shared.naming import (
    api_access_log_group_name,
    api_execution_log_group_name,
    lambda_log_group_name,
    resource_name,
    resource_name_pattern,
    vpc_flow_log_group_name,
)

# KMS's minimum: after a destroy the key can still be recovered for a week, then it is gone.
DELETION_WINDOW_DAYS = 7
# With fraud:protectData, KMS's maximum: a month to cancel the deletion of the key that every
# table, queue, topic, report and log of the environment is encrypted with.
PROTECTED_DELETION_WINDOW_DAYS = 30


def deletion_window_days(protect_data: bool) -> int:
    return PROTECTED_DELETION_WINDOW_DAYS if protect_data else DELETION_WINDOW_DAYS

# What CloudWatch Logs documents for encrypted log groups, spelled out for a symmetric key.
LOGS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext")
# What SNS documents for an AWS service publishing to an encrypted topic.
ALARM_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


# The API's execution log group is named after the REST API's id, which only the edge layer
# learns: any id of this account and region, stage v1. (Another environment's API matches too;
# its group is encrypted with its own key, and this grant lets CloudWatch Logs use this key only
# for a group that asks for it.)
API_EXECUTION_LOG_GROUPS = api_execution_log_group_name("*")


def project_log_group_names(suffix: str) -> tuple[str, ...]:
    """Every log group this project encrypts with the key: the functions', the API's access
    log, the API's execution log and the VPC's flow logs."""
    functions = tuple(lambda_log_group_name(resource_name("lambda", spec.id, suffix))
                      for spec in LAMBDAS)
    return (*functions, api_access_log_group_name(suffix), API_EXECUTION_LOG_GROUPS,
            vpc_flow_log_group_name(suffix))


@dataclass(frozen=True)
class KeyPolicyScope:
    """The facts the key policy is scoped by."""

    partition: str
    dns_suffix: str  # amazonaws.com in the commercial partition
    region: str
    account_id: str
    suffix: str


def key_policy(scope: KeyPolicyScope) -> dict[str, Any]:
    """The key policy (see the module docstring for why each statement exists)."""
    arn_prefix = f"arn:{scope.partition}"
    log_group_arns = [f"{arn_prefix}:logs:{scope.region}:{scope.account_id}:log-group:{name}"
                      for name in project_log_group_names(scope.suffix)]
    alarm_arns = (f"{arn_prefix}:cloudwatch:{scope.region}:{scope.account_id}:alarm:"
                  f"{resource_name_pattern('cw', scope.suffix)}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"{arn_prefix}:iam::{scope.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsForProjectLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{scope.region}.{scope.dns_suffix}"},
                "Action": list(LOGS_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
            },
            {
                "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": f"cloudwatch.{scope.dns_suffix}"},
                "Action": list(ALARM_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": scope.account_id},
                    "ArnLike": {"aws:SourceArn": alarm_arns},
                },
            },
        ],
    }


@dataclass(frozen=True)
class ProjectKeyArgs:
    alias_name: str  # with its "alias/" prefix
    description: str
    policy: dict[str, Any]
    deletion_window_days: int


class ProjectKey(pulumi.ComponentResource):
    """The symmetric key (yearly rotation, a 7-day deletion window or, protected, 30) and its
    alias."""

    def __init__(self, name: str, args: ProjectKeyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:ProjectKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,  # yearly, AWS's default period
            deletion_window_in_days=args.deletion_window_days,
            policy=json.dumps(args.policy),
            opts=child,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias_name,
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.key.arn, "alias": self.alias.name})
