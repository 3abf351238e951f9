"""The SQS queues, encrypted with the project key, and the notifications topic's policy."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.data_layer import QUEUES, Queue
from shared.naming import resource_name

# How long SQS reuses a data key before asking KMS again: AWS's default of 5 minutes. Longer
# would save cents (a few thousand KMS requests a month per queue and principal) while keeping
# one data key in use for longer.
DATA_KEY_REUSE_SECONDS = 300


def redrive_allow_policy(source_queue_arns: list[str]) -> dict[str, Any]:
    """Which queues may name this one as their dead-letter queue: its sources, else none."""
    if source_queue_arns:
        return {"redrivePermission": "byQueue", "sourceQueueArns": source_queue_arns}
    return {"redrivePermission": "denyAll"}


def topic_policy(topic_arn: str, account_root_arn: str) -> dict[str, Any]:
    """Publishing only by this account's principals (whose own IAM policy must allow it too).

    The account itself is the principal: that admits its IAM roles (notify-team's) and nothing
    else. ``aws:SourceOwner``/``aws:SourceAccount`` are left out: they describe AWS services
    publishing on an account's behalf (S3 events, say), and no service publishes here.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublishFromThisAccountOnly",
            "Effect": "Allow",
            "Principal": {"AWS": account_root_arn},
            "Action": "sns:Publish",
            "Resource": topic_arn,
        }],
    }


@dataclass(frozen=True)
class AlertQueuesArgs:
    suffix: str
    kms_key_arn: pulumi.Input[str]


class AlertQueues(pulumi.ComponentResource):
    """The queues of ``shared.data_layer.QUEUES``, named ``sqs-{purpose}-{suffix}``.

    Created in the catalog's order (dead-letter queues first) so a queue's redrive policy can
    name its dead-letter queue's ARN.
    """

    def __init__(self, name: str, args: AlertQueuesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:data:AlertQueues", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.queues: dict[str, aws.sqs.Queue] = {}
        for queue in QUEUES:
            self.queues[queue.purpose] = aws.sqs.Queue(
                f"{name}-{queue.purpose}",
                name=resource_name("sqs", queue.purpose, args.suffix),
                visibility_timeout_seconds=queue.visibility_timeout_seconds,
                message_retention_seconds=queue.retention_seconds,
                kms_master_key_id=args.kms_key_arn,
                kms_data_key_reuse_period_seconds=DATA_KEY_REUSE_SECONDS,
                redrive_policy=self._redrive_policy(queue),
                opts=child,
            )
        # A separate resource, since a dead-letter queue's policy names queues created after it.
        for queue in QUEUES:
            sources = [self.queues[source.purpose].arn for source in QUEUES
                       if source.dead_letter == queue]
            aws.sqs.RedriveAllowPolicy(
                f"{name}-{queue.purpose}-redrive-allow",
                queue_url=self.queues[queue.purpose].url,
                redrive_allow_policy=pulumi.Output.all(*sources).apply(
                    lambda arns: json.dumps(redrive_allow_policy(list(arns)))),
                opts=child,
            )

        self.register_outputs({purpose: queue.url for purpose, queue in self.queues.items()})

    def _redrive_policy(self, queue: Queue) -> pulumi.Output[str] | None:
        if queue.dead_letter is None:
            return None
        if queue.max_receive_count is None:
            raise ValueError(f"queue {queue.purpose!r} names a dead-letter queue but no "
                             "max_receive_count")
        return pulumi.Output.json_dumps({
            "deadLetterTargetArn": self.queues[queue.dead_letter.purpose].arn,
            "maxReceiveCount": queue.max_receive_count,
        })
