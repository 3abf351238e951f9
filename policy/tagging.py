"""Every taggable resource carries the platform's cost-allocation tags."""

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.props import get
from shared.tags import accepts_tags

REQUIRED_TAGS = ("Environment", "CostCenter")


def validate_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """``Environment`` and ``CostCenter``, non-empty, on every resource whose type takes tags
    (read from the pinned pulumi-aws SDK, as shared.tags decides what the stack transform tags)."""
    if not accepts_tags(args.resource_type):
        return
    tags = get(args.props, "tags") or {}
    missing = [key for key in REQUIRED_TAGS if not get(tags, key)]
    if missing:
        report_violation(f"{args.name} ({args.resource_type}) has no {' or '.join(missing)} tag")
