"""apigateway-account

The IAM role API Gateway writes execution and access logs with, and the account setting that
points at it. API Gateway holds one such setting per account and region, shared by every REST
API there, and pulumi-aws resets it when the resource that set it is destroyed. So no
environment's stack owns it (destroying one environment must not stop another's logs): this
project does, with one stack per region, deployed once by `make apigateway-account` and
destroyed only when no API of the region needs it any more (see the README).
"""

import json

import pulumi
import pulumi_aws as aws

from shared.naming import resource_name
from shared.settings import DEFAULT_COST_CENTER, DEFAULT_REGION, NAMESPACE
from shared.tags import tag_every_resource

# The one AWS managed policy in the platform, on purpose: the role serves every API of the
# region, each of which creates and writes its own log groups (API-Gateway-Execution-Logs_* and
# any access-log group), which no policy of ours could name in advance. AWS maintains the policy
# for exactly this role; it grants CloudWatch Logs actions only.
PUSH_TO_CLOUDWATCH_POLICY = "iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"

region = pulumi.Config("aws").get("region") or DEFAULT_REGION
# Shared by every environment of the region, so its Environment tag says so.
cost_center = pulumi.Config(NAMESPACE).get("costCenter") or DEFAULT_COST_CENTER
tag_every_resource({"Environment": "shared", "CostCenter": cost_center})
partition = aws.get_partition().partition

role = aws.iam.Role(
    "cloudwatch-role",
    # IAM names are global to the account: the region tells the regions' roles apart.
    name=resource_name("iam", "apigw-cloudwatch", region),
    description=f"API Gateway writes the execution and access logs of {region}'s APIs",
    assume_role_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    }),
)
policy = aws.iam.RolePolicyAttachment(
    "cloudwatch-policy",
    role=role.name,
    policy_arn=f"arn:{partition}:{PUSH_TO_CLOUDWATCH_POLICY}",
)
account = aws.apigateway.Account(
    "settings",
    cloudwatch_role_arn=role.arn,
    # API Gateway checks the role's permissions when the setting is made.
    opts=pulumi.ResourceOptions(depends_on=[policy]),
)

pulumi.export("cloudwatchRoleArn", account.cloudwatch_role_arn)
