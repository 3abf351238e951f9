"""What the alarms and the dashboard watch, by the names the layers that own it exported."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

import pulumi

from shared.data_layer import ALERTS, ALERTS_DLQ, ANALYSIS_DLQ, Queue
from shared.lambdas import LAMBDAS
from shared.outputs import ComputeOutputs, DataOutputs, EdgeOutputs
from shared.refs import Upstream

T = TypeVar("T")


@dataclass(frozen=True)
class DeadLetterQueue:
    queue: Queue
    name_output: str  # the DataOutputs name of its physical name
    holds: str  # what lands in it and what to do: the alarm's description tells the operator


# Every dead-letter queue of shared.data_layer.QUEUES: the alerts queue's redrive target, and
# the on-failure destination of detect-fraud's stream trigger (compute-lambdas).
DEAD_LETTER_QUEUES: tuple[DeadLetterQueue, ...] = (
    DeadLetterQueue(
        ALERTS_DLQ, DataOutputs.ALERTS_DLQ_NAME,
        f"fraud alerts that notify-team failed to send {ALERTS.max_receive_count} times. Fix "
        "the cause, then redrive them to the alerts queue (SQS 'Start DLQ redrive'): "
        "notify-team sends each alert once"),
    DeadLetterQueue(
        ANALYSIS_DLQ, DataOutputs.ANALYSIS_DLQ_NAME,
        "the shard and sequence numbers of stream batches detect-fraud failed to score after "
        "its retries; those transactions stay PENDING. Read the failed records from the stream "
        "at those sequence numbers (it keeps them 24 hours) to find the cause"),
)


@dataclass(frozen=True)
class Monitored(Generic[T]):
    """The physical names of what is watched: Pulumi outputs, or plain strings once resolved."""

    function_names: Mapping[str, T]  # by shared.lambdas LambdaSpec.id
    function_log_groups: Mapping[str, T]  # by LambdaSpec.id
    alerts_queue_name: T
    dead_letter_queue_names: Mapping[str, T]  # by shared.data_layer Queue.purpose
    api_name: T
    api_stage: T


def read_monitored(data: Upstream, compute: Upstream, edge: Upstream) -> Monitored[pulumi.Output]:
    """The names of the functions, queues and API, as their layers exported them."""
    functions = compute.require(ComputeOutputs.FUNCTIONS)
    return Monitored(
        function_names={spec.id: functions[spec.id][ComputeOutputs.NAME] for spec in LAMBDAS},
        function_log_groups={spec.id: functions[spec.id][ComputeOutputs.LOG_GROUP_NAME]
                             for spec in LAMBDAS},
        alerts_queue_name=data.require(DataOutputs.ALERTS_QUEUE_NAME),
        dead_letter_queue_names={dlq.queue.purpose: data.require(dlq.name_output)
                                 for dlq in DEAD_LETTER_QUEUES},
        api_name=edge.require(EdgeOutputs.REST_API_NAME),
        api_stage=edge.require(EdgeOutputs.STAGE_NAME),
    )


def resolved(monitored: Monitored[pulumi.Output]) -> pulumi.Output[Monitored[str]]:
    """``monitored`` with every name known, for what must be built from plain text (JSON)."""
    values = {field.name: getattr(monitored, field.name) for field in fields(monitored)}
    return pulumi.Output.all(**values).apply(lambda names: Monitored(**names))
