"""Every IAM policy document every layer declares, linted by parliament (duo-labs' IAM linter):
unknown actions, resources an action cannot take, malformed conditions."""

import json

import pytest
from parliament import analyze_policy_string

from tests.harness.pulumi_mocks import ACCOUNT_DIR, run_project

# The inputs that hold IAM policy documents: identity and resource policies, trust policies.
POLICY_INPUTS = ("policy", "assumeRolePolicy")

# What parliament reports that is intended or its own mistake: (issue, kind of document,
# text its detail holds), each with why.
ALLOWED = (
    # Stream labels are timestamps with colons (.../stream/2026-01-01T00:00:00.000), which
    # parliament splits as ARN fields; the ARN is the stream's, as DynamoDB gives it.
    ("RESOURCE_MISMATCH", "identity", "dynamodb:DescribeStream"),
    ("RESOURCE_MISMATCH", "identity", "dynamodb:GetRecords"),
    ("RESOURCE_MISMATCH", "identity", "dynamodb:GetShardIterator"),
    # In a resource policy "*" is the resource itself (the key, the endpoint's services),
    # narrowed by the principal and the conditions: the key's account administration and the
    # endpoints' this-account-only data perimeter.
    ("RESOURCE_STAR", "resource", ""),
    # The encryption context's log group ARN, compared with ArnLike as CloudWatch Logs
    # documents it; parliament types the context key as a string.
    ("MISMATCHED_TYPE", "resource", "ArnLike requires a value of type Arn but given String"),
    # The SSE-KMS key id header carries the key's ARN: the bucket policy compares it to one.
    ("MISMATCHED_TYPE_BUT_USABLE", "resource", "StringNotEquals requires a value of type"),
    # A trust policy names no resource: the role it belongs to is the resource.
    ("MALFORMED", "trust", "neither Resource nor NotResource"),
)


def policy_documents(runs) -> list[tuple[str, str, dict]]:
    """(where, kind, document) of every policy document of ``runs``."""
    documents = []
    for run in runs:
        for resource in run.resources:
            for key in POLICY_INPUTS:
                value = resource.inputs.get(key)
                if not value:
                    continue
                document = json.loads(value) if isinstance(value, str) else value
                kind = ("trust" if key == "assumeRolePolicy" else
                        "resource" if any("Principal" in s for s in document["Statement"])
                        else "identity")
                documents.append((f"{run.layer} {resource.name}", kind, document))
    return documents


def findings(document: dict) -> list[tuple[str, str]]:
    """parliament's findings as (issue, detail), one per action where it names several."""
    found = []
    for finding in analyze_policy_string(json.dumps(document)).findings:
        details = finding.detail if isinstance(finding.detail, list) else [finding.detail]
        found += [(finding.issue, json.dumps(detail)) for detail in details]
    return found


def unexpected(kind: str, document: dict) -> list[tuple[str, str]]:
    return [(issue, detail) for issue, detail in findings(document)
            if not any(issue == allowed and kind == allowed_kind and text in detail
                       for allowed, allowed_kind, text in ALLOWED)]


@pytest.fixture(scope="module")
def account_run():
    return run_project(ACCOUNT_DIR, stack="us-east-2")


def test_every_policy_document_of_every_layer_passes_parliament(chain, account_run):
    documents = policy_documents([*chain.values(), account_run])
    # Roles and their policies, the key, the bucket, both topics, the endpoints.
    assert {kind for _, kind, _ in documents} == {"trust", "resource", "identity"}
    assert len(documents) >= 15
    problems = {where: unexpected(kind, document) for where, kind, document in documents}
    assert {where: found for where, found in problems.items() if found} == {}


def test_parliament_finds_what_it_is_here_for():
    """The grant this lint caught: ListStreams on a stream ARN grants nothing."""
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "dynamodb:ListStreams",
        "Resource": "arn:aws:dynamodb:us-east-2:123456789012:table/t/stream/*"}]}
    assert [issue for issue, _ in unexpected("identity", document)] == ["RESOURCE_MISMATCH"]
