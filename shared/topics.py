"""An SNS topic encrypted with the project key, its policy, and an optional email subscriber.

The notifications topic (data layer) and the ops topic (observability layer) differ only in
who may publish, so each passes its own policy.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class EncryptedTopicArgs:
    topic_name: str
    kms_key_arn: pulumi.Input[str]
    policy: Callable[[str], dict[str, Any]]  # the topic policy, given the topic's ARN
    alert_email: str | None  # no subscription when unset


class EncryptedTopic(pulumi.ComponentResource):
    """The topic, its policy, and the email subscription of ``alert_email`` when it is set.

    An email subscription stays "pending confirmation", and receives nothing, until the
    recipient follows the link in the email AWS sends.
    """

    def __init__(self, name: str, args: EncryptedTopicArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:shared:EncryptedTopic", name, None, opts)
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
            policy=self.topic.arn.apply(lambda arn: json.dumps(args.policy(arn))),
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
