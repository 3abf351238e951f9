import pulumi
import pulumi_aws as aws
import pytest

from shared.tags import accepts_tags, tag_every_resource
from tests.harness.pulumi_mocks import run_program


@pytest.mark.parametrize(("type_token", "taggable"), [
    ("aws:s3/bucket:Bucket", True),
    ("aws:lambda/function:Function", True),
    ("aws:dynamodb/table:Table", True),
    ("aws:cloudwatch/dashboard:Dashboard", False),
    ("aws:iam/rolePolicy:RolePolicy", False),
    ("aws:sns/topicSubscription:TopicSubscription", False),
    ("random:index/randomPassword:RandomPassword", False),
])
def test_taggable_types_are_read_from_the_sdk(type_token, taggable):
    assert accepts_tags(type_token) is taggable


def test_the_transform_tags_taggable_resources_and_keeps_their_own_tags():
    def program():
        tag_every_resource({"Environment": "staging", "CostCenter": "risk"})
        aws.sqs.Queue("queue", tags={"Name": "mine", "CostCenter": "override"})
        aws.cloudwatch.Dashboard("dashboard", dashboard_name="d", dashboard_body="{}")
        pulumi.ComponentResource("fraud:test:Group", "group")

    run = run_program(program, project="tags")
    assert run.one("aws:sqs/queue:Queue").inputs["tags"] == {
        "Environment": "staging", "CostCenter": "override", "Name": "mine"}
    assert "tags" not in run.one("aws:cloudwatch/dashboard:Dashboard").inputs
