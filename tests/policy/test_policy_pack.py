"""The policy pack: each policy on a compliant and a violating resource, every layer of both
test configurations clean, a deliberate violation in a real program caught, and the one list
of "*"-only actions held to AWS's reference (parliament's copy of it)."""

import json
import runpy
import sys
from pathlib import Path

import pulumi_aws as aws
import pytest
import yaml
from parliament import iam_definition
from pulumi_policy import EnforcementLevel

from policy.pack import POLICIES
from shared.iam import STAR_ONLY_ACTIONS
from shared.stack_config import REPO_ROOT, STACKS_DIR
from tests.harness.policy_check import resource_violations, stack_violations, violations
from tests.harness.pulumi_mocks import ACCOUNT_DIR, Resource, run_layer, run_program, run_project

KEY = "arn:aws:kms:us-east-2:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-000000000001"
TAGS = {"Environment": "production", "CostCenter": "fraud-detection"}
SUBNETS = {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}


def identity(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources):
    return {"Sid": "Grant", "Effect": "Allow", "Action": actions, "Resource": resources}


def resource(type_, inputs, name="subject", urn=None, property_dependencies=None):
    return Resource(urn=urn or f"urn:pulumi:t::p::{type_}::{name}", type=type_, name=name,
                    custom=True, parent="", inputs=inputs, state=inputs, dependencies=[],
                    protect=False, retain_on_delete=False, provider="",
                    property_dependencies=property_dependencies or {})


# (policy, resource type, compliant inputs, violating inputs, what the message says)
CASES = [
    ("cost-allocation-tags", "aws:sqs/queue:Queue", {"tags": TAGS, "kmsMasterKeyId": KEY},
     {"tags": {"Environment": "production"}, "kmsMasterKeyId": KEY}, "no CostCenter tag"),
    ("customer-managed-encryption", "aws:dynamodb/table:Table",
     {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}},
     {"serverSideEncryption": {"enabled": False}}, "serverSideEncryption.enabled"),
    ("customer-managed-encryption", "aws:sqs/queue:Queue", {"kmsMasterKeyId": KEY},
     {"sqsManagedSseEnabled": True}, "SQS-managed encryption"),
    ("customer-managed-encryption", "aws:sns/topic:Topic", {"kmsMasterKeyId": KEY},
     {"kmsMasterKeyId": "alias/aws/sns"}, "AWS managed key alias/aws/sns"),
    ("customer-managed-encryption", "aws:cloudwatch/logGroup:LogGroup",
     {"kmsKeyId": KEY, "retentionInDays": 7}, {"retentionInDays": 7}, "kmsKeyId is unset"),
    ("customer-managed-encryption", "aws:lambda/function:Function",
     {"kmsKeyArn": KEY, "vpcConfig": SUBNETS}, {"vpcConfig": SUBNETS}, "kmsKeyArn is unset"),
    ("no-wildcard-iam-actions", "aws:iam/rolePolicy:RolePolicy",
     {"policy": identity(allow(["s3:PutObject"], ["arn:aws:s3:::b/*"]))},
     {"policy": identity(allow(["s3:*"], ["arn:aws:s3:::b/*"]))}, "allows s3:*"),
    ("no-wildcard-iam-actions", "aws:iam/role:Role",
     {"inlinePolicies": [{"policy": identity(allow("sqs:SendMessage", "arn:aws:sqs:x"))}]},
     {"inlinePolicies": [{"policy": identity(allow("*", "arn:aws:sqs:x"))}]}, "allows *"),
    ("star-resource-only-where-aws-requires", "aws:iam/policy:Policy",
     {"policy": identity(allow(["dynamodb:ListStreams"], "*"))},
     {"policy": identity(allow(["dynamodb:ListStreams", "dynamodb:Scan"], "*"))},
     "grants dynamodb:Scan on every resource"),
    ("log-retention", "aws:cloudwatch/logGroup:LogGroup",
     {"kmsKeyId": KEY, "retentionInDays": 7.0},  # numbers arrive as floats from the engine
     {"kmsKeyId": KEY, "retentionInDays": 0}, "keeps its events forever"),
    ("no-internet-path", "aws:ec2/routeTable:RouteTable",
     {"vpcId": "vpc-1", "routes": []},
     {"vpcId": "vpc-1", "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
     "routes out of the VPC (gatewayId)"),
    ("no-internet-path", "aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": False},
     {"mapPublicIpOnLaunch": True}, "public IP addresses"),
    ("no-internet-path", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, None, ""),
    ("functions-in-vpc", "aws:lambda/function:Function", {"kmsKeyArn": KEY, "vpcConfig": SUBNETS},
     {"kmsKeyArn": KEY, "vpcConfig": {"subnetIds": ["subnet-1"]}}, "securityGroupIds"),
]


def only(policy_name):
    return [policy for policy in POLICIES if policy.name == policy_name]


@pytest.mark.parametrize(("policy", "type_", "compliant", "violating", "message"), CASES,
                         ids=[f"{case[0]}:{case[1].split(':')[-1]}" for case in CASES])
def test_each_policy_passes_a_compliant_resource_and_names_a_violating_one(
        policy, type_, compliant, violating, message):
    assert resource_violations(resource(type_, compliant), only(policy)) == []
    if violating is None:
        return
    [found] = resource_violations(resource(type_, violating), only(policy))
    assert (found.policy, found.resource) == (policy, "subject")
    assert message in found.message


@pytest.mark.parametrize("type_", ["aws:ec2/internetGateway:InternetGateway",
                                   "aws:ec2/natGateway:NatGateway"])
def test_a_gateway_to_the_internet_is_a_violation_whatever_its_inputs(type_):
    [found] = resource_violations(resource(type_, {"vpcId": "vpc-1"}), only("no-internet-path"))
    assert "no path to the internet" in found.message


def bucket_with(encryption, *, public_access=True, tls=True, log_target=False):
    """A bucket and its configuration resources, linked as the engine links them."""
    bucket = resource("aws:s3/bucket:Bucket", {"bucket": "b"}, name="logs")
    linked = {"bucket": [bucket.urn]}
    policy = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                             "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    parts = [
        resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
            "bucket": "b", "blockPublicAcls": True, "blockPublicPolicy": True,
            "ignorePublicAcls": True, "restrictPublicBuckets": public_access},
            name="pab", property_dependencies=linked),
        resource("aws:s3/bucketPolicy:BucketPolicy",
                 {"bucket": "b", "policy": json.dumps(policy if tls else {"Statement": []})},
                 name="policy", property_dependencies=linked),
        resource("aws:s3/bucketServerSideEncryptionConfiguration:"
                 "BucketServerSideEncryptionConfiguration", {
                     "bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": encryption}]},
                 name="sse", property_dependencies=linked),
    ]
    if log_target:
        source = resource("aws:s3/bucket:Bucket", {"bucket": "src"}, name="source")
        parts.append(resource("aws:s3/bucketLogging:BucketLogging",
                              {"bucket": "src", "targetBucket": "b"}, name="logging",
                              property_dependencies={"bucket": [source.urn],
                                                     "targetBucket": [bucket.urn]}))
    return [bucket, *parts]


SSE_KMS = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
SSE_S3 = {"sseAlgorithm": "AES256"}


@pytest.mark.parametrize(("resources", "problem"), [
    (bucket_with(SSE_KMS), None),
    (bucket_with(SSE_S3, log_target=True), None),  # S3 server access logs support only SSE-S3
    (bucket_with(SSE_S3), "SSE-S3: only a server access logging destination may use it"),
    (bucket_with({"sseAlgorithm": "aws:kms"}), "SSE-KMS without a customer-managed key"),
    (bucket_with(SSE_KMS, public_access=False), "does not block public access"),
    (bucket_with(SSE_KMS, tls=False), "no policy denying requests without TLS"),
    (bucket_with(SSE_KMS)[:1], "does not block public access"),  # nothing configured at all
], ids=["sse-kms", "sse-s3-log-target", "sse-s3", "aws-managed-key", "public", "no-tls",
        "bare-bucket"])
def test_the_bucket_policy_judges_a_bucket_with_its_configuration(resources, problem):
    found = stack_violations(resources, only("private-encrypted-buckets"))
    if problem is None:
        assert found == []
    else:
        assert any(problem in violation.message and violation.resource == "logs"
                   for violation in found), found


def test_every_layer_passes_the_pack(chain):
    """Both test configurations (the conftest's parametrised chain), every resource."""
    found = {layer: violations(run) for layer, run in chain.items()}
    assert found == {layer: [] for layer in chain}


def test_the_region_account_project_passes_the_pack():
    assert violations(run_project(ACCOUNT_DIR, stack="us-east-2")) == []


def test_a_deliberate_violation_in_a_real_program_is_caught():
    """The network layer's own program plus an internet gateway: the harness hands every
    resource over, so the pack sees it, and nothing else."""
    folder = STACKS_DIR / "network-vpc"

    def network_with_a_way_out():
        runpy.run_path(str(folder / "__main__.py"), run_name="__main__")
        aws.ec2.InternetGateway("way-out")

    sys.path.insert(0, str(folder))
    try:
        run = run_program(network_with_a_way_out, project="network-vpc",
                          config={"aws:region": "us-east-2"})
    finally:
        sys.path.remove(str(folder))
    assert [(v.policy, v.resource) for v in violations(run)] == [("no-internet-path", "way-out")]


def test_a_layer_whose_tags_are_lost_fails_the_pack():
    run = run_layer("network-vpc")
    tagged = [item for item in run.resources if item.custom and "tags" in item.inputs]
    for item in tagged:
        item.inputs = {**item.inputs, "tags": {"Environment": "production"}}
    found = violations(run)
    assert {(v.policy, v.resource) for v in found} == {
        ("cost-allocation-tags", item.name) for item in tagged}


def test_every_policy_is_mandatory_and_named_once():
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names))
    assert {policy.enforcement_level for policy in POLICIES} == {EnforcementLevel.MANDATORY}


def test_the_pack_runs_on_the_repositorys_venv():
    project = yaml.safe_load((REPO_ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    venv = (REPO_ROOT / "policy" / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == REPO_ROOT / ".venv"
    assert (REPO_ROOT / "policy" / "__main__.py").is_file()


def test_each_star_only_action_has_no_resource_level_permission_in_aws_s_reference():
    """parliament ships AWS's Service Authorization Reference: an action whose only resource
    type is "" takes no ARN at all, so "*" is what it must be granted on."""
    services = {service["prefix"]: service for service in iam_definition}
    for action in STAR_ONLY_ACTIONS:
        prefix, name = action.split(":")
        [privilege] = [p for p in services[prefix]["privileges"] if p["privilege"] == name]
        assert [r["resource_type"] for r in privilege["resource_types"]] == [""], action


def test_the_policy_pack_is_documented():
    readme = (Path(REPO_ROOT) / "README.md").read_text()
    for policy in POLICIES:
        assert f"`{policy.name}`" in readme, policy.name


def test_the_pack_starts_as_the_cli_runs_it_and_serves_the_analyzer():
    """``__main__.py`` run from policy/ (as the CLI runs it) builds the PolicyPack, which checks
    every policy, and prints the analyzer's port."""
    import selectors
    import subprocess

    process = subprocess.Popen([sys.executable, "__main__.py"], cwd=REPO_ROOT / "policy",
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=60), process.stderr.read1().decode()
        assert process.stdout.readline().strip().isdigit()
    finally:
        process.kill()
        process.wait(timeout=30)
