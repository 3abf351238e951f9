"""The region's API Gateway account settings: the IAM role API Gateway writes logs with.

One setting per account and region, shared by every REST API there, so exactly one stack in the
region may own it (``fraud:manageApiGatewayAccount``). Deleting it resets the setting, which
stops execution and access logging of every API in the region until another role is set.
"""

import json

import pulumi
import pulumi_aws as aws

from shared.naming import resource_name

# The one AWS managed policy in the platform, on purpose: the role is the account's and region's,
# used by every API there to create and write its own log groups (API-Gateway-Execution-Logs_*
# and any access-log group), which no policy of ours could name in advance. AWS maintains this
# policy for exactly that role; it grants CloudWatch Logs actions only.
PUSH_TO_CLOUDWATCH_POLICY = "iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccount(pulumi.ComponentResource):
    """The CloudWatch role, its managed policy, and the account setting that points at it."""

    def __init__(self, name: str, suffix: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:edge:ApiGatewayAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            name=resource_name("iam", "apigw-cloudwatch", suffix),
            description="API Gateway writes execution and access logs of this region's APIs",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }],
            }),
            opts=child,
        )
        partition = aws.get_partition_output().partition
        policy = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-policy",
            role=role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":", PUSH_TO_CLOUDWATCH_POLICY),
            opts=child,
        )
        self.account = aws.apigateway.Account(
            f"{name}-settings",
            cloudwatch_role_arn=role.arn,
            # API Gateway checks the role's permissions when the setting is made.
            opts=child.merge(pulumi.ResourceOptions(depends_on=[policy])),
        )
        self.register_outputs({"cloudwatchRoleArn": role.arn})
