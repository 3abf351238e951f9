"""compute-lambdas

The four functions, each with its own least-privilege role and encrypted log group, in the
private subnets; the stream and queue triggers; the daily report schedule.
"""

import pulumi
import pulumi_aws as aws
from fraud_function import FraudFunction, FraudFunctionArgs
from permissions import network_placement
from powertools_layer import powertools_layer_arn
from triggers import DailyReportSchedule, alerts_trigger, stream_trigger
from upstream import read_data_layer, read_network

from shared.lambdas import DETECT_FRAUD, GENERATE_REPORT, LAMBDAS, NOTIFY_TEAM
from shared.outputs import ComputeOutputs, DataOutputs
from shared.program import start_layer

settings = start_layer()
network = read_network(settings)
data = read_data_layer(settings)
layer_arn = powertools_layer_arn(settings)
placement = network_placement(aws.get_partition().partition, settings.region,
                              data[DataOutputs.ACCOUNT_ID], network)

functions = {
    spec.id: FraudFunction(spec.id, FraudFunctionArgs(
        spec=spec, settings=settings, data=data, network=network, placement=placement,
        powertools_layer_arn=layer_arn))
    for spec in LAMBDAS
}

detect_fraud = functions[DETECT_FRAUD.id]
stream_trigger(
    "transactions-stream", settings, data[DataOutputs.TRANSACTIONS_STREAM_ARN],
    detect_fraud.function, data[DataOutputs.ANALYSIS_DLQ_ARN],
    opts=pulumi.ResourceOptions(parent=detect_fraud))

notify_team = functions[NOTIFY_TEAM.id]
alerts_trigger(
    "alerts-queue", settings, data[DataOutputs.ALERTS_QUEUE_ARN], notify_team.function,
    opts=pulumi.ResourceOptions(parent=notify_team))

DailyReportSchedule("daily-report", settings, functions[GENERATE_REPORT.id].function)

pulumi.export(ComputeOutputs.FUNCTIONS, {
    function_id: function.exports for function_id, function in functions.items()})
