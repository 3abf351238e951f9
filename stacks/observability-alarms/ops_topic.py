"""Who may publish to the ops topic, where every alarm notifies (see shared.topics): CloudWatch,
for exactly the platform's alarms of this environment, and no one else.

The allow names the alarms' ARNs one by one: a pattern such as ``cw-*-{suffix}`` would also match
another environment's alarms whose suffix ends the same way (``cw-...-pre-prod`` under ``prod``).
Three explicit denies make "only these alarms" true whatever else grants ``sns:Publish`` (an
administrator's ``sns:*``, a role of the account): a request is refused unless CloudWatch makes
it (``aws:PrincipalServiceName``, present only when an AWS service principal calls), for this
account (``aws:SourceAccount``), on behalf of one of these alarms (``aws:SourceArn``). An explicit
deny wins over any allow in IAM's evaluation, and the negated operators are true when a key is
absent, so an IAM user or role (no ``aws:PrincipalServiceName``) is refused. To check the path
end to end, set an alarm's state (``aws cloudwatch set-alarm-state``; the README says how).
IAM global condition keys:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlarmPublishers:
    """Who may publish: CloudWatch, on behalf of exactly these alarms of this account."""

    service_principal: str  # cloudwatch.amazonaws.com in the commercial partition
    account_id: str
    alarm_arns: Sequence[str]  # every alarm of the layer, by its full ARN


def alarm_arns(partition: str, region: str, account_id: str,
               alarm_names: Sequence[str]) -> list[str]:
    """The ARNs the alarms named so will have (known before they exist, so the topic's policy
    can name them and the alarms can notify the topic)."""
    return [f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{name}"
            for name in alarm_names]


def ops_topic_policy(topic_arn: str, publishers: AlarmPublishers) -> dict[str, Any]:
    """Publishing by the platform's CloudWatch alarms only (see the module docstring)."""
    alarms = list(publishers.alarm_arns)

    def deny(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                "Resource": topic_arn, "Condition": condition}

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": publishers.service_principal},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": publishers.account_id},
                    "ArnEquals": {"aws:SourceArn": alarms},
                },
            },
            deny("DenyAnyoneButCloudWatch",
                 {"StringNotEquals": {"aws:PrincipalServiceName": publishers.service_principal}}),
            deny("DenyAlarmsOfOtherAccounts",
                 {"StringNotEquals": {"aws:SourceAccount": publishers.account_id}}),
            deny("DenyAlarmsOtherThanThePlatforms", {"ArnNotEquals": {"aws:SourceArn": alarms}}),
        ],
    }
