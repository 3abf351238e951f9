"""account/: the region's API Gateway CloudWatch role, owned by no environment."""

import json

from tests.harness.pulumi_mocks import ACCOUNT_DIR, run_project

ACCOUNT = "aws:apigateway/account:Account"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def test_one_stack_per_region_sets_the_role_every_environment_there_logs_with():
    run = run_project(ACCOUNT_DIR, stack="eu-west-1", config={"aws:region": "eu-west-1"})
    account, role, attachment = run.one(ACCOUNT), run.one(ROLE), run.one(ATTACHMENT)
    # IAM names are global: the region keeps two regions' roles apart.
    assert role.inputs["name"] == "iam-apigw-cloudwatch-eu-west-1"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "sts:AssumeRole"}]
    assert attachment.inputs["role"] == role.state["name"]
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    assert account.inputs["cloudwatchRoleArn"] == role.state["arn"]
    assert attachment.urn in account.dependencies  # API Gateway checks the role when set
    assert run.outputs["cloudwatchRoleArn"] == role.state["arn"]


def test_it_stays_destroyable_and_is_tagged_as_shared():
    run = run_project(ACCOUNT_DIR, stack="us-east-2")
    assert not any(r.protect or r.retain_on_delete for r in run.resources)
    assert run.one(ROLE).inputs["tags"] == {"Environment": "shared",
                                            "CostCenter": "fraud-detection"}
