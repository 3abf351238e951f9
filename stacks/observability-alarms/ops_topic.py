"""Who may publish to the ops topic, where every alarm notifies (see shared.topics)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlarmPublishers:
    """Who may publish: CloudWatch, on behalf of this account's alarms named by the convention."""

    service_principal: str  # cloudwatch.amazonaws.com in the commercial partition
    account_id: str
    alarm_arn_pattern: str  # arn:...:alarm:cw-*-{suffix}


def ops_topic_policy(topic_arn: str, publishers: AlarmPublishers) -> dict[str, Any]:
    """Publishing by CloudWatch alarms only, and only this account's (no confused deputy).

    The same two conditions scope the key policy's grant to CloudWatch, so an alarm that may
    publish here may also encrypt its notification. The account's own principals get nothing
    from this policy: none of them publishes here.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudWatchAlarmsOfThisAccountPublish",
            "Effect": "Allow",
            "Principal": {"Service": publishers.service_principal},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": publishers.account_id},
                "ArnLike": {"aws:SourceArn": publishers.alarm_arn_pattern},
            },
        }],
    }
