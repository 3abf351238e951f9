"""Least privilege in every identity policy: no wildcard actions, ``"*"`` resources only for the
actions AWS authorizes on nothing narrower (shared.iam.STAR_ONLY_ACTIONS).

Identity policies are the inline and managed policies of roles: what grants. Resource policies
(a key's, a bucket's, a topic's, an endpoint's) are not checked here: there ``"*"`` is the
resource the policy is attached to, and a wildcard action is narrowed by the principal and the
conditions (the key's ``kms:*`` for the account root is AWS's default statement that lets IAM
grant the key at all); parliament lints those documents in the test suite.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.props import as_list, get, policy_document
from shared.iam import STAR_ONLY_ACTIONS

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"


def identity_documents(args: ResourceValidationArgs) -> Iterator[Mapping[str, Any]]:
    """The identity policy documents a resource declares."""
    if args.resource_type in (ROLE_POLICY, MANAGED_POLICY):
        document = policy_document(get(args.props, "policy"))
        if document is not None:
            yield document
    elif args.resource_type == ROLE:
        for inline in as_list(get(args.props, "inlinePolicies")):
            document = policy_document(get(inline, "policy"))
            if document is not None:
                yield document


def allow_statements(args: ResourceValidationArgs) -> Iterator[Mapping[str, Any]]:
    for document in identity_documents(args):
        for statement in as_list(get(document, "Statement")):
            if get(statement, "Effect") == "Allow":
                yield statement


def is_wildcard_action(action: str) -> bool:
    """``*``, ``service:*``, or any action pattern with a wildcard (``s3:Get*``)."""
    return "*" in action or "?" in action


def validate_no_wildcard_actions(args: ResourceValidationArgs,
                                 report_violation: ReportViolation) -> None:
    for statement in allow_statements(args):
        sid = get(statement, "Sid") or "a statement"
        if get(statement, "NotAction") is not None:
            report_violation(f"{args.name}: {sid} allows NotAction, which grants every other "
                             "action of AWS")
        wildcards = [action for action in as_list(get(statement, "Action"))
                     if is_wildcard_action(action)]
        if wildcards:
            report_violation(f"{args.name}: {sid} allows {', '.join(wildcards)}; list the "
                             "actions it needs")


def validate_star_resources(args: ResourceValidationArgs,
                            report_violation: ReportViolation) -> None:
    for statement in allow_statements(args):
        resources = as_list(get(statement, "Resource"))
        if "*" not in resources and get(statement, "NotResource") is None:
            continue
        sid = get(statement, "Sid") or "a statement"
        extra = sorted(action for action in as_list(get(statement, "Action"))
                       if action not in STAR_ONLY_ACTIONS)
        if extra:
            report_violation(
                f"{args.name}: {sid} grants {', '.join(extra)} on every resource (\"*\" or "
                "NotResource); name the ARNs. Only actions AWS authorizes on no narrower "
                f"resource may take \"*\": {', '.join(sorted(STAR_ONLY_ACTIONS))} "
                "(shared/iam.py)")
