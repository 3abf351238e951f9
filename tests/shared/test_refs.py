import pulumi
import pytest

from shared.refs import Upstream, qualified_stack_name
from shared.settings import parse_settings
from tests.harness.pulumi_mocks import run_program


@pytest.mark.parametrize(("org_config", "current_org", "expected"), [
    ("acme-fintech", "acme-cloud", "acme-fintech/data-dynamodb-s3-kms/qa"),
    (None, "acme-cloud", "acme-cloud/data-dynamodb-s3-kms/qa"),
    (None, None, "organization/data-dynamodb-s3-kms/qa"),
])
def test_org_comes_from_config_then_current_org_then_self_managed(org_config, current_org,
                                                                  expected):
    names = []
    raw = {"org": org_config} if org_config else {}
    run_program(lambda: names.append(qualified_stack_name(
        "data-dynamodb-s3-kms", parse_settings(raw, stack="qa"))),
        project="compute-lambdas", stack="qa", organization=current_org)
    assert names == [expected]


def test_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="unknown layer 'data'"):
        qualified_stack_name("data", parse_settings({}, stack="dev"))


def test_upstream_output_is_read_through_a_stack_reference():
    def program():
        upstream = Upstream("network-vpc", parse_settings({}, stack="dev"))
        pulumi.export("vpc", upstream.require("vpcId"))

    run = run_program(program, project="data-dynamodb-s3-kms",
                      upstream={"organization/network-vpc/dev": {"vpcId": "vpc-123"}})
    assert run.outputs == {"vpc": "vpc-123"}
    reference = run.one("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == "organization/network-vpc/dev"


def test_a_missing_upstream_output_fails_naming_it():
    def program():
        upstream = Upstream("network-vpc", parse_settings({}, stack="dev"))
        pulumi.export("vpc", upstream.require("vpcId"))

    with pytest.raises(Exception, match="vpcId"):
        run_program(program, project="data-dynamodb-s3-kms",
                    upstream={"organization/network-vpc/dev": {"subnets": []}})
