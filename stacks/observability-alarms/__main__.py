"""observability-alarms

Tells the team when the platform is unhealthy, and shows it at a glance: alarms on every
function's error rate and throttles, the stream's lag, both dead-letter queues and the API's
5XX rate and p99 latency, all notifying the encrypted ops topic (and fraud:alertEmail); one
dashboard of the same signals and the platform's own counters; the VPC's flow logs.
"""

import pulumi
import pulumi_aws as aws
from alarms import PlatformAlarms, PlatformAlarmsArgs, alarm_name, platform_alarms
from dashboard import PlatformDashboard, PlatformDashboardArgs
from flow_logs import FlowLogsArgs, VpcFlowLogs
from monitored import read_monitored
from ops_topic import AlarmPublishers, alarm_arns, ops_topic_policy

from shared.layers import COMPUTE, DATA, EDGE, NETWORK
from shared.naming import resource_name, vpc_flow_log_group_name
from shared.outputs import DataOutputs, NetworkOutputs, ObservabilityOutputs
from shared.program import start_layer
from shared.refs import Upstream
from shared.topics import EncryptedTopic, EncryptedTopicArgs

settings = start_layer()
suffix = settings.environment_suffix
partition = aws.get_partition()
account_id = aws.get_caller_identity().account_id

data = Upstream(DATA, settings)
monitored = read_monitored(data, Upstream(COMPUTE, settings), Upstream(EDGE, settings))

alarm_specs = platform_alarms(monitored)
publishers = AlarmPublishers(
    service_principal=f"cloudwatch.{partition.dns_suffix}",
    account_id=account_id,
    alarm_arns=alarm_arns(partition.partition, settings.region, account_id,
                          [alarm_name(spec, suffix) for spec in alarm_specs]),
)
ops = EncryptedTopic("ops", EncryptedTopicArgs(
    topic_name=resource_name("sns", "ops-alarms", suffix),
    kms_key_arn=data.require(DataOutputs.KMS_KEY_ARN),
    policy=lambda topic_arn: ops_topic_policy(topic_arn, publishers),
    alert_email=settings.alert_email,
))

alarms = PlatformAlarms("alarms", PlatformAlarmsArgs(
    suffix=suffix,
    topic_arn=ops.topic.arn,
    alarms=alarm_specs,
))

dashboard = PlatformDashboard("dashboard", PlatformDashboardArgs(
    name=resource_name("dashboard", "fraud-platform", suffix),
    region=settings.region,
    monitored=monitored,
    alarm_arns=alarms.arns,
    reserved_concurrency=settings.reserved_concurrency,
))

flow_logs = VpcFlowLogs("vpc-flow-logs", FlowLogsArgs(
    vpc_id=Upstream(NETWORK, settings).require(NetworkOutputs.VPC_ID),
    log_group_name=vpc_flow_log_group_name(suffix),
    role_name=resource_name("iam", "vpc-flow-logs", suffix),
    retention_days=settings.log_retention_days,
    kms_key_arn=data.require(DataOutputs.KMS_KEY_ARN),
    partition=partition.partition,
    region=settings.region,
    account_id=account_id,
))

pulumi.export(ObservabilityOutputs.OPS_TOPIC_ARN, ops.topic.arn)
pulumi.export(ObservabilityOutputs.DASHBOARD_NAME, dashboard.dashboard.dashboard_name)
pulumi.export(ObservabilityOutputs.ALARM_NAMES, alarms.names)
pulumi.export(ObservabilityOutputs.FLOW_LOG_GROUP_NAME, flow_logs.log_group.name)
