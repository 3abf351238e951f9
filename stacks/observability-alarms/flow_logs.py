"""VPC flow logs: every accepted and rejected connection of the VPC, to a log group encrypted
with the project key and kept ``fraud:logRetentionDays``.

They live here rather than in network-vpc because the key is the data layer's, deployed after
the network: this layer reads both. (Until it is deployed, a new environment's VPC has no flow
log; nothing runs in it before compute-lambdas anyway.)

VPC Flow Logs delivers with a role of ours (``vpc-flow-logs.amazonaws.com`` may assume it only
for this account's flow logs: the confused-deputy conditions AWS documents), allowed to write
streams of this one group; ``logs:DescribeLogGroups`` takes no resource (shared.iam). AWS VPC
User Guide, Publish flow logs to CloudWatch Logs:
https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
"""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

SERVICE = "vpc-flow-logs.amazonaws.com"
# The default aggregation: at most 10 minutes between a connection and its record.
MAX_AGGREGATION_INTERVAL_SECONDS = 600


def delivery_trust_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn":
                            f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"},
            },
        }],
    }


def delivery_policy(log_group_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "WriteFlowLogStreams", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
             "Resource": [log_group_arn, f"{log_group_arn}:*"]},
            {"Sid": "FindTheLogGroup", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
             "Resource": "*"},
        ],
    }


@dataclass(frozen=True)
class FlowLogsArgs:
    vpc_id: pulumi.Input[str]
    log_group_name: str
    role_name: str
    retention_days: int
    kms_key_arn: pulumi.Input[str]
    partition: str
    region: str
    account_id: str


class VpcFlowLogs(pulumi.ComponentResource):
    """The log group, the delivery role and the flow log of the whole VPC."""

    def __init__(self, name: str, args: FlowLogsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:observability:VpcFlowLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="VPC Flow Logs delivers the VPC's flow logs to their log group",
            assume_role_policy=json.dumps(delivery_trust_policy(
                args.partition, args.region, args.account_id)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="deliver-flow-logs",
            role=role.id,
            policy=self.log_group.arn.apply(lambda arn: json.dumps(delivery_policy(arn))),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=MAX_AGGREGATION_INTERVAL_SECONDS,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({"logGroupName": self.log_group.name})
