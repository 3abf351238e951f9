"""The ops topic: where every alarm notifies, encrypted with the project key."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


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


@dataclass(frozen=True)
class OpsTopicArgs:
    topic_name: str
    kms_key_arn: pulumi.Input[str]
    publishers: AlarmPublishers
    alert_email: str | None  # no subscription when unset


class OpsTopic(pulumi.ComponentResource):
    """The topic, its policy, and the email subscription of fraud:alertEmail when it is set.

    The subscription stays "pending confirmation", and receives nothing, until the recipient
    follows the link in the email AWS sends.
    """

    def __init__(self, name: str, args: OpsTopicArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:observability:OpsTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id=args.kms_key_arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(
                lambda arn: json.dumps(ops_topic_policy(arn, args.publishers))),
            opts=child,
        )
        if args.alert_email:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alert_email,
                opts=child,
            )

        self.register_outputs({"arn": self.topic.arn})
