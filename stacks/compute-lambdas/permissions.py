"""Least privilege, function by function: exact actions on exact ARNs.

Each function's inline policy is read from :func:`function_grants`; nothing else grants the
roles anything. ``"*"`` appears once, for the network-interface actions that Lambda needs to
place a function in a VPC: EC2 offers no resource-level permission for them.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from shared.lambdas import DETECT_FRAUD, GENERATE_REPORT, NOTIFY_TEAM, PROCESS_TRANSACTION
from shared.outputs import DataOutputs

# What AWSLambdaVPCAccessExecutionRole grants, minus nothing: Lambda creates and removes the
# function's network interfaces with the function's role, and these EC2 actions do not
# support resource-level permissions, so "*" is the only resource they accept.
VPC_NETWORK_INTERFACE_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
)


@dataclass(frozen=True)
class Grant:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]


def function_grants(
    function_id: str,
    data: Mapping[str, pulumi.Output],
    log_group_arn: pulumi.Input[str],
) -> list[Grant]:
    """The complete permission set of one function."""
    table = data[DataOutputs.TRANSACTIONS_TABLE_ARN]
    stats_table = data[DataOutputs.STATS_TABLE_ARN]
    key = data[DataOutputs.KMS_KEY_ARN]

    def index(name_output: str) -> pulumi.Output:
        return pulumi.Output.concat(table, "/index/", data[name_output])

    common = [
        Grant("WriteOwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"),
              (pulumi.Output.concat(log_group_arn, ":*"),)),
        Grant("ManageVpcNetworkInterfaces", VPC_NETWORK_INTERFACE_ACTIONS, ("*",)),
    ]
    grants = {
        PROCESS_TRANSACTION.id: [
            # PutItem: the conditional first write; Query: GET by id and the replay lookup.
            Grant("StoreAndReadTransactions", ("dynamodb:PutItem", "dynamodb:Query"), (table,)),
            # Decrypt: the environment variables and the table, both under the project key.
            Grant("UseProjectKey", ("kms:Decrypt",), (key,)),
        ],
        DETECT_FRAUD.id: [
            Grant("ReadTransactionStream",
                  ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
                  (data[DataOutputs.TRANSACTIONS_STREAM_ARN],)),
            Grant("ListTransactionStreams", ("dynamodb:ListStreams",),
                  (pulumi.Output.concat(table, "/stream/*"),)),
            Grant("ReadAccountHistory", ("dynamodb:Query",),
                  (index(DataOutputs.BY_ACCOUNT_INDEX_NAME),)),
            # The verdicts and the day's aggregates commit together (TransactWriteItems).
            Grant("WriteVerdictsAndAggregates", ("dynamodb:UpdateItem",), (table, stats_table)),
            Grant("QueueAlerts", ("sqs:SendMessage",), (data[DataOutputs.ALERTS_QUEUE_ARN],)),
            # The stream mapping's on-failure destination sends with the function's role.
            Grant("SendFailedBatchesToDeadLetterQueue", ("sqs:SendMessage",),
                  (data[DataOutputs.ANALYSIS_DLQ_ARN],)),
            # GenerateDataKey: messages to the encrypted queues; Decrypt: env vars and table.
            Grant("UseProjectKey", ("kms:Decrypt", "kms:GenerateDataKey"), (key,)),
        ],
        NOTIFY_TEAM.id: [
            Grant("ConsumeAlerts",
                  ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"),
                  (data[DataOutputs.ALERTS_QUEUE_ARN],)),
            # The conditional notifiedAt claim (and its rollback when SNS fails).
            Grant("MarkAlertsNotified", ("dynamodb:UpdateItem",), (table,)),
            Grant("PublishDigests", ("sns:Publish",), (data[DataOutputs.NOTIFICATIONS_TOPIC_ARN],)),
            # Decrypt: the queue's messages; GenerateDataKey: publishing to the encrypted topic.
            Grant("UseProjectKey", ("kms:Decrypt", "kms:GenerateDataKey"), (key,)),
        ],
        GENERATE_REPORT.id: [
            Grant("ReadDailyAggregates", ("dynamodb:Query",), (stats_table,)),
            Grant("ReadFlaggedTransactions", ("dynamodb:Query",),
                  (index(DataOutputs.BY_FLAGGED_DAY_INDEX_NAME),)),
            Grant("WriteReports", ("s3:PutObject",),
                  (pulumi.Output.concat(data[DataOutputs.REPORTS_BUCKET_ARN], "/reports/*"),)),
            # Decrypt: the tables; GenerateDataKey: the SSE-KMS report objects.
            Grant("UseProjectKey", ("kms:Decrypt", "kms:GenerateDataKey"), (key,)),
        ],
    }
    return common + grants[function_id]


def policy_document(grants: list[Grant]) -> pulumi.Output[str]:
    """The grants as an IAM policy document (JSON text)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": grant.sid, "Effect": "Allow", "Action": sorted(grant.actions),
             "Resource": list(grant.resources)}
            for grant in grants
        ],
    })


LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}
