"""Least privilege, function by function: exact actions on exact ARNs.

Each function's inline policy is read from :func:`function_grants`; nothing else grants the
roles anything. ``"*"`` appears only where the action has no resource-level permission: the two
EC2 Describe calls Lambda makes to place a function in its VPC, and ``dynamodb:ListStreams``
(shared.iam.STAR_ONLY_ACTIONS, the one list the policy pack admits on ``"*"``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from upstream import Network

from shared.lambdas import DETECT_FRAUD, GENERATE_REPORT, NOTIFY_TEAM, PROCESS_TRANSACTION
from shared.outputs import DataOutputs

# What AWSLambdaVPCAccessExecutionRole grants, scoped: Lambda manages the function's network
# interfaces with the function's role. Creating one touches the interface, the subnet and the
# security group, each of which EC2 authorizes by ARN and by its VPC (ec2:Vpc); deleting one
# and moving its addresses touch the interface alone, also known by its VPC. The interfaces' ids
# are AWS's to choose, so they are named by the VPC they are in.
ENI_IN_VPC_ACTIONS = ("ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface",
                      "ec2:UnassignPrivateIpAddresses")
ENI_CREATE_ACTIONS = ("ec2:CreateNetworkInterface",)
# EC2's Describe calls have no resource-level permission: "*" is the only resource they take.
VPC_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")


@dataclass(frozen=True)
class Placement:
    """Where the functions' network interfaces live, as EC2 ARNs."""

    vpc_arn: pulumi.Input[str]
    subnet_arns: pulumi.Input[list[str]]
    security_group_arn: pulumi.Input[str]
    network_interfaces_arn: pulumi.Input[str]  # ...:network-interface/* of the account


def network_placement(partition: str, region: str, account_id: pulumi.Input[str],
                      network: Network) -> Placement:
    """The VPC, subnets and security group the functions run in, as EC2 ARNs."""
    prefix = pulumi.Output.concat("arn:", partition, ":ec2:", region, ":", account_id, ":")
    return Placement(
        vpc_arn=pulumi.Output.concat(prefix, "vpc/", network.vpc_id),
        subnet_arns=pulumi.Output.all(prefix, network.private_subnet_ids).apply(
            lambda values: [f"{values[0]}subnet/{subnet}" for subnet in values[1]]),
        security_group_arn=pulumi.Output.concat(prefix, "security-group/",
                                                network.lambda_security_group_id),
        network_interfaces_arn=pulumi.Output.concat(prefix, "network-interface/*"),
    )


@dataclass(frozen=True)
class Grant:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...] | pulumi.Input[list[str]]
    condition: Mapping[str, Any] | None = None


def function_grants(
    function_id: str,
    data: Mapping[str, pulumi.Output],
    log_group_arn: pulumi.Input[str],
    placement: Placement,
) -> list[Grant]:
    """The complete permission set of one function."""
    table = data[DataOutputs.TRANSACTIONS_TABLE_ARN]
    stats_table = data[DataOutputs.STATS_TABLE_ARN]
    features_table = data[DataOutputs.FEATURES_TABLE_ARN]
    key = data[DataOutputs.KMS_KEY_ARN]

    def index(name_output: str) -> pulumi.Output:
        return pulumi.Output.concat(table, "/index/", data[name_output])

    in_vpc = {"ArnEquals": {"ec2:Vpc": placement.vpc_arn}}
    common = [
        Grant("WriteOwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"),
              (pulumi.Output.concat(log_group_arn, ":*"),)),
        Grant("CreateNetworkInterfacesInThePrivateSubnets", ENI_CREATE_ACTIONS,
              pulumi.Output.all(placement.subnet_arns, placement.security_group_arn,
                                placement.network_interfaces_arn).apply(
                  lambda arns: [*arns[0], arns[1], arns[2]]),
              in_vpc),
        Grant("ManageNetworkInterfacesInTheVpc", ENI_IN_VPC_ACTIONS,
              (placement.network_interfaces_arn,), in_vpc),
        Grant("DescribeTheVpc", VPC_DESCRIBE_ACTIONS, ("*",)),
    ]
    grants = {
        PROCESS_TRANSACTION.id: [
            # PutItem: the conditional first write, alone or with its id guard in one
            # TransactWriteItems (whose Puts IAM checks as PutItem); Query: GET by id and the
            # replay lookup.
            Grant("StoreAndReadTransactions", ("dynamodb:PutItem", "dynamodb:Query"), (table,)),
            # PUT .../label: the label and its days' labelled counts in one TransactWriteItems
            # (whose Updates IAM checks as UpdateItem).
            Grant("LabelTransactionsAndCountLabels", ("dynamodb:UpdateItem",),
                  (table, features_table)),
            # Decrypt: the environment variables and the table, both under the project key.
            Grant("UseProjectKey", ("kms:Decrypt",), (key,)),
        ],
        DETECT_FRAUD.id: [
            Grant("ReadTransactionStream",
                  ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
                  (data[DataOutputs.TRANSACTIONS_STREAM_ARN],)),
            # The mapping's poller lists the table's streams; ListStreams has no resource-level
            # permission, so a stream ARN would grant nothing: "*" is the only resource it takes.
            Grant("ListTransactionStreams", ("dynamodb:ListStreams",), ("*",)),
            Grant("ReadAccountHistory", ("dynamodb:Query",),
                  (index(DataOutputs.BY_ACCOUNT_INDEX_NAME),)),
            # The verdicts, the day's aggregates and the entity-days commit together
            # (TransactWriteItems).
            Grant("WriteVerdictsAndAggregates", ("dynamodb:UpdateItem",),
                  (table, stats_table, features_table)),
            # The features detection scores with: an account's and a merchant's recent days.
            Grant("ReadEntityDays", ("dynamodb:Query",), (features_table,)),
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
            # Claim an alert, then confirm it (notifiedAt) or release the claim if SNS fails.
            Grant("MarkAlertsNotified", ("dynamodb:UpdateItem",), (table,)),
            Grant("PublishDigests", ("sns:Publish",), (data[DataOutputs.NOTIFICATIONS_TOPIC_ARN],)),
            # Decrypt: the queue's messages; GenerateDataKey: publishing to the encrypted topic.
            Grant("UseProjectKey", ("kms:Decrypt", "kms:GenerateDataKey"), (key,)),
        ],
        GENERATE_REPORT.id: [
            Grant("ReadDailyAggregates", ("dynamodb:Query",), (stats_table,)),
            Grant("ReadFlaggedTransactions", ("dynamodb:Query",),
                  (index(DataOutputs.BY_FLAGGED_DAY_INDEX_NAME),)),
            Grant("ReadLabelledFrauds", ("dynamodb:Query",),
                  (index(DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME),)),
            Grant("WriteReports", ("s3:PutObject",),
                  (pulumi.Output.concat(data[DataOutputs.REPORTS_BUCKET_ARN], "/reports/*"),)),
            # Decrypt: the tables; GenerateDataKey: the SSE-KMS report objects.
            Grant("UseProjectKey", ("kms:Decrypt", "kms:GenerateDataKey"), (key,)),
        ],
    }
    return common + grants[function_id]


def policy_document(grants: list[Grant]) -> pulumi.Output[str]:
    """The grants as an IAM policy document (JSON text)."""
    def statement(grant: Grant) -> dict[str, Any]:
        resources = grant.resources
        body = {"Sid": grant.sid, "Effect": "Allow", "Action": sorted(grant.actions),
                "Resource": list(resources) if isinstance(resources, tuple) else resources}
        return {**body, "Condition": grant.condition} if grant.condition else body

    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [statement(grant) for grant in grants],
    })


LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}
