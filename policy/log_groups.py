"""Every log group expires its events (fraud:logRetentionDays)."""

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.encryption import LOG_GROUP
from policy.props import get


def validate_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A retention in days, not CloudWatch's default of never expiring (unset or 0): logs hold
    request metadata and masked account ids, which the platform keeps for a bounded time."""
    if args.resource_type != LOG_GROUP:
        return
    days = get(args.props, "retentionInDays")
    if not days:
        report_violation(f"{args.name} keeps its events forever: set retentionInDays "
                         "(fraud:logRetentionDays, not 0)")
