"""observability-alarms under the chain: an alarm on every failure the platform can have, each
notifying the encrypted ops topic, and a dashboard of the real resources' metrics."""

import ast
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import pytest
from common import metrics
from common.scoring import REASON_CODES

from shared.data_layer import QUEUES
from shared.lambdas import DETECT_FRAUD, LAMBDAS, LambdaSpec
from shared.layers import COMPUTE, DATA, EDGE, OBSERVABILITY
from shared.naming import resource_name
from shared.outputs import ComputeOutputs, DataOutputs, EdgeOutputs, ObservabilityOutputs
from tests.harness.aws_state import ACCOUNT_ID
from tests.harness.chain import CONFIGURATIONS
from tests.harness.pulumi_mocks import REPO_ROOT, Resource, policy_document

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"

PERIOD = 60
# (datapoints, periods) of each function's error-rate alarm: three minutes of five, except
# for the once-a-day report, whose one failed run must alarm.
ERROR_RATE_EVALUATION = {"generate-report": (1, 5)}
SUSTAINED = (3, 5)


# ---- what the upstream layers hold, read from their runs ----

def function_name(chain, spec: LambdaSpec) -> str:
    return chain[COMPUTE].outputs[ComputeOutputs.FUNCTIONS][spec.id][ComputeOutputs.NAME]


def api_stage(chain) -> dict[str, str]:
    edge = chain[EDGE].outputs
    return {"ApiName": edge[EdgeOutputs.REST_API_NAME], "Stage": edge[EdgeOutputs.STAGE_NAME]}


def dead_letter_queue_names(chain, configuration) -> set[str]:
    """Every queue failures land in: each dead-letter queue of shared.data_layer.QUEUES (redrive
    targets, and queues named as one) and each on-failure destination of compute's triggers."""
    suffix = configuration.settings.environment_suffix
    names = {resource_name("sqs", queue.dead_letter.purpose, suffix)
             for queue in QUEUES if queue.dead_letter is not None}
    names |= {resource_name("sqs", queue.purpose, suffix)
              for queue in QUEUES if queue.purpose.endswith("-dlq")}
    by_arn = {queue.state["arn"]: queue.state["name"] for queue in chain[DATA].of_type(QUEUE)}
    for mapping in chain[COMPUTE].of_type(MAPPING):
        destination = (mapping.inputs.get("destinationConfig") or {}).get("onFailure") or {}
        if destination.get("destinationArn"):
            names.add(by_arn[destination["destinationArn"]])
    assert names <= set(by_arn.values()), "a dead-letter queue the data layer does not create"
    return names


def stream_function_names(chain) -> set[str]:
    """The functions the transactions stream triggers (compute's event source mappings)."""
    stream_arn = chain[DATA].outputs[DataOutputs.TRANSACTIONS_STREAM_ARN]
    by_arn = {function[ComputeOutputs.ARN]: function[ComputeOutputs.NAME]
              for function in chain[COMPUTE].outputs[ComputeOutputs.FUNCTIONS].values()}
    return {by_arn[mapping.inputs["functionName"]]
            for mapping in chain[COMPUTE].of_type(MAPPING)
            if mapping.inputs["eventSourceArn"] == stream_arn}


def cloudwatch_key_grant(chain) -> dict[str, Any]:
    """The project key's statement letting CloudWatch alarms encrypt their notifications."""
    policy = policy_document(chain[DATA].one(KEY).inputs["policy"])
    [statement] = [s for s in policy["Statement"]
                   if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    return statement


# ---- the alarms ----

def alarms(chain) -> list[Resource]:
    return chain[OBSERVABILITY].of_type(ALARM)


def metric_of(query: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    metric = query["metric"]
    return metric["namespace"], metric["metricName"], metric["dimensions"]


def alarms_watching(chain, namespace: str, metric_name: str,
                    dimensions: dict[str, str]) -> list[Resource]:
    return [alarm for alarm in alarms(chain)
            if any("metric" in query and metric_of(query) == (namespace, metric_name, dimensions)
                   for query in alarm.inputs["metricQueries"])]


def only_alarm_watching(chain, namespace: str, metric_name: str,
                        dimensions: dict[str, str]) -> Resource:
    found = alarms_watching(chain, namespace, metric_name, dimensions)
    assert len(found) == 1, f"{len(found)} alarms on {namespace} {metric_name} {dimensions}"
    return found[0]


def query_ids(alarm: Resource) -> dict[tuple[str, str], str]:
    """The metric-math id of each (namespace, metric name) the alarm reads."""
    return {metric_of(q)[:2]: q["id"] for q in alarm.inputs["metricQueries"] if "metric" in q}


def watched(alarm: Resource) -> dict[str, Any]:
    """The query whose value the alarm compares with its threshold."""
    [query] = [q for q in alarm.inputs["metricQueries"] if q.get("returnData")]
    return query


def stat_of(alarm: Resource, namespace: str, metric_name: str) -> str:
    [query] = [q for q in alarm.inputs["metricQueries"]
               if "metric" in q and metric_of(q)[:2] == (namespace, metric_name)]
    return query["metric"]["stat"]


def evaluation(alarm: Resource) -> tuple[int, int]:
    return alarm.inputs["datapointsToAlarm"], alarm.inputs["evaluationPeriods"]


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_one_error_rate_alarm_per_function_guarded_for_no_traffic(chain, spec):
    dimensions = {"FunctionName": function_name(chain, spec)}
    alarm = only_alarm_watching(chain, "AWS/Lambda", "Errors", dimensions)
    assert alarms_watching(chain, "AWS/Lambda", "Invocations", dimensions) == [alarm]
    ids = query_ids(alarm)
    errors, invocations = ids["AWS/Lambda", "Errors"], ids["AWS/Lambda", "Invocations"]
    assert watched(alarm)["expression"] == (
        f"IF({invocations} > 0, 100 * {errors} / {invocations}, 0)")
    assert stat_of(alarm, "AWS/Lambda", "Errors") == "Sum"
    assert stat_of(alarm, "AWS/Lambda", "Invocations") == "Sum"
    assert alarm.inputs["threshold"] == 1
    assert evaluation(alarm) == ERROR_RATE_EVALUATION.get(spec.id, SUSTAINED)


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_one_throttles_alarm_per_function(chain, spec):
    alarm = only_alarm_watching(chain, "AWS/Lambda", "Throttles",
                                {"FunctionName": function_name(chain, spec)})
    assert metric_of(watched(alarm))[1] == "Throttles"
    assert stat_of(alarm, "AWS/Lambda", "Throttles") == "Sum"
    assert alarm.inputs["threshold"] == 0


def test_every_dead_letter_queue_alarms_on_its_first_message(chain, configuration):
    expected = dead_letter_queue_names(chain, configuration)
    assert len(expected) >= 2  # the alerts DLQ and the analysis DLQ
    for queue_name in expected:
        alarm = only_alarm_watching(chain, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                    {"QueueName": queue_name})
        assert stat_of(alarm, "AWS/SQS", "ApproximateNumberOfMessagesVisible") == "Maximum"
        assert alarm.inputs["threshold"] == 0
        assert evaluation(alarm)[0] == 1


def test_every_stream_consumer_alarms_when_a_minute_behind(chain):
    consumers = stream_function_names(chain)
    assert consumers == {function_name(chain, DETECT_FRAUD)}
    for name in consumers:
        alarm = only_alarm_watching(chain, "AWS/Lambda", "IteratorAge", {"FunctionName": name})
        assert stat_of(alarm, "AWS/Lambda", "IteratorAge") == "Maximum"
        assert alarm.inputs["threshold"] == 60_000
        assert evaluation(alarm) == SUSTAINED


def test_api_5xx_rate_alarm_on_edge_api_and_stage(chain):
    alarm = only_alarm_watching(chain, "AWS/ApiGateway", "5XXError", api_stage(chain))
    assert alarms_watching(chain, "AWS/ApiGateway", "Count", api_stage(chain)) == [alarm]
    ids = query_ids(alarm)
    errors, requests = ids["AWS/ApiGateway", "5XXError"], ids["AWS/ApiGateway", "Count"]
    assert watched(alarm)["expression"] == f"IF({requests} > 0, 100 * {errors} / {requests}, 0)"
    assert stat_of(alarm, "AWS/ApiGateway", "5XXError") == "Sum"
    assert stat_of(alarm, "AWS/ApiGateway", "Count") == "Sum"
    assert alarm.inputs["threshold"] == 1
    assert evaluation(alarm) == SUSTAINED


def test_api_p99_latency_alarm_keeps_the_sub_second_promise(chain):
    alarm = only_alarm_watching(chain, "AWS/ApiGateway", "Latency", api_stage(chain))
    assert stat_of(alarm, "AWS/ApiGateway", "Latency") == "p99"
    assert alarm.inputs["threshold"] == 1_000
    assert evaluation(alarm) == SUSTAINED


def test_no_alarm_beyond_the_expected_ones(chain, configuration):
    expected = (2 * len(LAMBDAS) + len(dead_letter_queue_names(chain, configuration))
                + len(stream_function_names(chain)) + 2)
    assert len(alarms(chain)) == expected


def test_every_alarm_is_one_minute_above_its_threshold_and_quiet_without_data(chain):
    for alarm in alarms(chain):
        inputs = alarm.inputs
        assert inputs["comparisonOperator"] == "GreaterThanThreshold", alarm.name
        assert inputs["treatMissingData"] == "notBreaching", alarm.name
        assert 1 <= inputs["datapointsToAlarm"] <= inputs["evaluationPeriods"], alarm.name
        queries = inputs["metricQueries"]
        assert [q["returnData"] for q in queries] == [False] * (len(queries) - 1) + [True]
        assert {q["metric"]["period"] for q in queries if "metric" in q} == {PERIOD}, alarm.name
        defined = {q["id"] for q in queries if "metric" in q}
        for query in queries:
            if "expression" in query:
                assert expression_ids(query["expression"]) <= defined, alarm.name


def test_every_alarm_notifies_the_ops_topic_when_it_fires_and_recovers(chain):
    topic_arn = chain[OBSERVABILITY].one(TOPIC).state["arn"]
    assert chain[OBSERVABILITY].outputs[ObservabilityOutputs.OPS_TOPIC_ARN] == topic_arn
    for alarm in alarms(chain):
        assert alarm.inputs["actionsEnabled"] is True, alarm.name
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.inputs["okActions"] == [topic_arn], alarm.name
        assert alarm.inputs["alarmDescription"], alarm.name


def test_every_alarm_is_named_so_the_key_lets_cloudwatch_encrypt_its_notifications(
        chain, configuration):
    suffix = configuration.settings.environment_suffix
    grant = cloudwatch_key_grant(chain)
    assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    alarm_arns = grant["Condition"]["ArnLike"]["aws:SourceArn"]
    for alarm in alarms(chain):
        assert re.fullmatch(rf"cw-[a-z0-9-]+-{suffix}", alarm.inputs["name"])
        assert fnmatchcase(alarm.state["arn"], alarm_arns), alarm.state["arn"]


# ---- the ops topic ----

def test_ops_topic_is_named_and_encrypted_with_the_project_key(chain, configuration):
    topic = chain[OBSERVABILITY].one(TOPIC)
    suffix = configuration.settings.environment_suffix
    assert topic.inputs["name"] == resource_name("sns", "ops-alarms", suffix)
    assert topic.inputs["kmsMasterKeyId"] == chain[DATA].outputs[DataOutputs.KMS_KEY_ARN]


def test_only_the_platforms_alarms_may_publish_to_the_ops_topic(chain):
    topic_arn = chain[OBSERVABILITY].one(TOPIC).state["arn"]
    topic_policy = chain[OBSERVABILITY].one(TOPIC_POLICY)
    assert topic_policy.inputs["arn"] == topic_arn
    statements = {s["Sid"]: s for s in policy_document(topic_policy.inputs["policy"])["Statement"]}
    alarm_arns = sorted(alarm.state["arn"] for alarm in alarms(chain))
    allow = statements.pop("CloudWatchAlarmsOfThisAccountPublish")
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    # Each alarm by its full ARN: no pattern that another suffix's alarms could match.
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == alarm_arns
    assert all("*" not in arn for arn in alarm_arns)
    for statement in statements.values():
        assert (statement["Effect"], statement["Principal"], statement["Action"],
                statement["Resource"]) == ("Deny", "*", "sns:Publish", topic_arn)
    denied = statements["DenyAlarmsOtherThanThePlatforms"]["Condition"]["ArnNotEquals"]
    denied["aws:SourceArn"] = sorted(denied["aws:SourceArn"])
    assert {sid: s["Condition"] for sid, s in statements.items()} == {
        "DenyAnyoneButCloudWatch": {"StringNotEquals": {
            "aws:PrincipalServiceName": "cloudwatch.amazonaws.com"}},
        "DenyAlarmsOfOtherAccounts": {"StringNotEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        "DenyAlarmsOtherThanThePlatforms": {"ArnNotEquals": {"aws:SourceArn": alarm_arns}},
    }


def _publish_allowed(policy: dict, request: dict[str, str]) -> bool:
    """IAM's evaluation of the topic policy for an sns:Publish (explicit deny wins; a negated
    operator is true when the key is absent)."""
    def holds(operator: str, key: str, expected) -> bool:
        value, wanted = request.get(key), expected if isinstance(expected, list) else [expected]
        if operator in ("StringNotEquals", "ArnNotEquals"):
            return value is None or value not in wanted
        return value is not None and value in wanted

    def applies(statement: dict) -> bool:
        principal = statement["Principal"]
        if principal != "*" and principal.get("Service") != request.get("service"):
            return False
        return all(holds(operator, key, expected)
                   for operator, conditions in statement.get("Condition", {}).items()
                   for key, expected in conditions.items())

    matching = [s for s in policy["Statement"] if applies(s)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(
        s["Effect"] == "Deny" for s in matching)


def test_the_topic_policy_refuses_everyone_but_the_platforms_alarms(chain, configuration):
    policy = policy_document(chain[OBSERVABILITY].one(TOPIC_POLICY).inputs["policy"])
    alarm = alarms(chain)[0].state["arn"]
    suffix = configuration.settings.environment_suffix
    # Another environment whose suffix ends like this one's: cw-...-pre-<suffix>.
    lookalike = alarm.replace(f"-{suffix}", f"-pre-{suffix}")
    cloudwatch = {"service": "cloudwatch.amazonaws.com",
                  "aws:PrincipalServiceName": "cloudwatch.amazonaws.com",
                  "aws:SourceAccount": ACCOUNT_ID}
    assert _publish_allowed(policy, {**cloudwatch, "aws:SourceArn": alarm})
    assert not _publish_allowed(policy, {**cloudwatch, "aws:SourceArn": lookalike})
    assert not _publish_allowed(policy, {**cloudwatch, "aws:SourceArn": alarm,
                                         "aws:SourceAccount": "210987654321"})
    assert not _publish_allowed(policy, {"aws:SourceAccount": ACCOUNT_ID})  # a role of ours


def test_email_subscription_only_with_alert_email(chain, configuration):
    email = configuration.settings.alert_email
    subscriptions = chain[OBSERVABILITY].of_type(SUBSCRIPTION)
    if email is None:
        assert subscriptions == []
        return
    [subscription] = subscriptions
    assert subscription.inputs["topic"] == chain[OBSERVABILITY].one(TOPIC).state["arn"]
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", email)


# ---- the dashboard ----

@dataclass(frozen=True)
class Line:
    """One metric line of a dashboard chart."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str


def dashboard_widgets(chain) -> list[dict[str, Any]]:
    return json.loads(chain[OBSERVABILITY].one(DASHBOARD).inputs["dashboardBody"])["widgets"]


def charts(chain) -> list[dict[str, Any]]:
    return [widget["properties"] for widget in dashboard_widgets(chain)
            if widget["type"] == "metric"]


def parse_line(line: list[Any], chart: dict[str, Any]) -> tuple[Line | None, dict[str, Any]]:
    """``[namespace, name, dimension, value, ..., {options}]``, or ``[{expression}]``."""
    options = line[-1] if isinstance(line[-1], dict) else {}
    parts = line[:-1] if options else line
    if not parts:
        return None, options
    namespace, name, *pairs = parts
    dimensions = tuple(sorted(zip(pairs[::2], pairs[1::2], strict=True)))
    return Line(namespace, name, dimensions, options.get("stat", chart["stat"])), options


def charted(chain) -> set[Line]:
    return {line for chart in charts(chain) for raw in chart["metrics"]
            for line, _ in [parse_line(raw, chart)] if line is not None}


def charted_dimension_values(chain, dimension: str) -> set[str]:
    return {value for line in charted(chain) for key, value in line.dimensions
            if key == dimension}


def expression_ids(expression: str) -> set[str]:
    return set(re.findall(r"\b[a-z][A-Za-z0-9_]*\b", expression))


def test_dashboard_is_named_by_convention_and_exported(chain, configuration):
    dashboard = chain[OBSERVABILITY].one(DASHBOARD)
    name = resource_name("dashboard", "fraud-platform",
                         configuration.settings.environment_suffix)
    assert dashboard.inputs["dashboardName"] == name
    assert chain[OBSERVABILITY].outputs[ObservabilityOutputs.DASHBOARD_NAME] == name


def test_dashboard_charts_are_in_the_configured_region(chain, configuration):
    assert {chart["region"] for chart in charts(chain)} == {configuration.settings.region}


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_dashboard_charts_each_function_by_its_real_name(chain, spec):
    function = (("FunctionName", function_name(chain, spec)),)
    lines = charted(chain)
    for metric_name, stat in (("Invocations", "Sum"), ("Errors", "Sum"), ("Duration", "p99"),
                              ("Throttles", "Sum"), ("ConcurrentExecutions", "Maximum")):
        assert Line("AWS/Lambda", metric_name, function, stat) in lines, metric_name


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_dashboard_charts_each_functions_error_rate_as_the_alarm_sees_it(chain, spec):
    function = (("FunctionName", function_name(chain, spec)),)
    rates = []
    for chart in charts(chain):
        parsed = [parse_line(raw, chart) for raw in chart["metrics"]]
        ids = {line.name: options["id"] for line, options in parsed
               if line is not None and line.dimensions == function and "id" in options}
        errors, invocations = ids.get("Errors"), ids.get("Invocations")
        rates += [options for line, options in parsed if line is None and options[
            "expression"] == f"IF({invocations} > 0, 100 * {errors} / {invocations}, 0)"]
    assert len(rates) == 1


def test_dashboard_charts_the_api_stage_edge_exports(chain):
    stage = tuple(sorted(api_stage(chain).items()))
    lines = charted(chain)
    for metric_name, stat in (("Count", "Sum"), ("4XXError", "Sum"), ("5XXError", "Sum"),
                              ("Latency", "p50"), ("Latency", "p99")):
        assert Line("AWS/ApiGateway", metric_name, stage, stat) in lines, (metric_name, stat)


def test_dashboard_charts_the_stream_lag_and_every_queue(chain, configuration):
    lines = charted(chain)
    for name in stream_function_names(chain):
        assert Line("AWS/Lambda", "IteratorAge", (("FunctionName", name),), "Maximum") in lines
    data = chain[DATA].outputs
    queues = {data[DataOutputs.ALERTS_QUEUE_NAME], *dead_letter_queue_names(chain, configuration)}
    for queue_name in queues:
        assert Line("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                    (("QueueName", queue_name),), "Maximum") in lines, queue_name


def test_dashboard_charts_only_resources_the_upstream_layers_exported(chain):
    assert charted_dimension_values(chain, "FunctionName") == {
        function_name(chain, spec) for spec in LAMBDAS}
    assert charted_dimension_values(chain, "QueueName") <= {
        queue.state["name"] for queue in chain[DATA].of_type(QUEUE)}
    assert charted_dimension_values(chain, "ApiName") == {api_stage(chain)["ApiName"]}
    assert charted_dimension_values(chain, "Stage") == {api_stage(chain)["Stage"]}


def emitted_metric_names(spec: LambdaSpec) -> set[str]:
    """The common.metrics names a function's handler imports, i.e. the metrics it emits."""
    tree = ast.parse((REPO_ROOT / "functions" / spec.package / "app.py").read_text())
    imported = {alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "common.metrics"
                for alias in node.names}
    return {getattr(metrics, name) for name in imported
            if name != "NAMESPACE" and not name.endswith("_DIMENSION")}


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_dashboard_charts_every_custom_metric_a_function_emits(chain, spec):
    emitted = emitted_metric_names(spec)
    assert emitted, f"{spec.package}/app.py imports no metric name from common.metrics"
    service = (metrics.SERVICE_DIMENSION, spec.id)
    lines = charted(chain)
    for name in emitted - {metrics.RULE_HITS, metrics.LABELS_RECORDED}:
        assert Line(metrics.NAMESPACE, name, (service,), "Sum") in lines, name
    if metrics.LABELS_RECORDED in emitted:
        for label in ("FRAUD", "GENUINE"):
            dimensions = tuple(sorted([(metrics.LABEL_DIMENSION, label), service]))
            assert Line(metrics.NAMESPACE, metrics.LABELS_RECORDED, dimensions, "Sum") in lines
    if metrics.RULE_HITS in emitted:
        for code in REASON_CODES:
            dimensions = tuple(sorted([(metrics.RULE_DIMENSION, code), service]))
            assert Line(metrics.NAMESPACE, metrics.RULE_HITS, dimensions, "Sum") in lines, code


def test_dashboard_charts_detect_fraud_analysed_flagged_and_rules(chain):
    charted_names = {line.name for line in charted(chain) if line.namespace == metrics.NAMESPACE
                     and (metrics.SERVICE_DIMENSION, DETECT_FRAUD.id) in line.dimensions}
    assert {metrics.TRANSACTIONS_ANALYSED, metrics.TRANSACTIONS_FLAGGED,
            metrics.RULE_HITS} <= charted_names


def test_dashboard_shows_the_state_of_every_alarm(chain):
    [widget] = [w for w in dashboard_widgets(chain) if w["type"] == "alarm"]
    assert sorted(widget["properties"]["alarms"]) == sorted(a.state["arn"] for a in alarms(chain))


def test_dashboard_marks_each_reservation(chain, configuration):
    [chart] = [c for c in charts(chain) if c["title"] == "Concurrent executions"]
    expected = {
        "default": [{"label": "reserved concurrency", "value": 100}],
        # generate-report has no reservation: no line for it.
        "alternate": [{"label": "reserved: notify-team", "value": 2},
                      {"label": "reserved: detect-fraud", "value": 10},
                      {"label": "reserved: process-transaction", "value": 30}],
    }[next(name for name, c in CONFIGURATIONS.items() if c == configuration)]
    assert chart["annotations"]["horizontal"] == expected


def test_dashboard_expressions_refer_to_metrics_of_their_chart(chain):
    for chart in charts(chain):
        parsed = [parse_line(raw, chart) for raw in chart["metrics"]]
        defined = {options["id"] for _, options in parsed if "id" in options}
        for line, options in parsed:
            if line is None:
                assert expression_ids(options["expression"]) - {options["id"]} <= defined


# ---- exports ----

def test_exports_every_observability_output(chain):
    outputs = chain[OBSERVABILITY].outputs
    names = {value for key, value in vars(ObservabilityOutputs).items() if key.isupper()}
    assert set(outputs) == names
    alarm_names = [alarm.inputs["name"] for alarm in alarms(chain)]
    assert sorted(outputs[ObservabilityOutputs.ALARM_NAMES]) == sorted(alarm_names)
    assert len(set(alarm_names)) == len(alarm_names)


# ---- the VPC's flow logs ----

FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def test_the_vpc_s_flow_logs_go_to_an_encrypted_group_kept_the_configured_days(chain, settings):
    observability = chain[OBSERVABILITY]
    group = observability.one(LOG_GROUP)
    suffix = settings.environment_suffix
    assert group.inputs["name"] == f"/aws/vpc/flow-logs/vpc-fraud-{suffix}"
    assert group.inputs["kmsKeyId"] == chain[DATA].outputs[DataOutputs.KMS_KEY_ARN]
    assert group.inputs["retentionInDays"] == settings.log_retention_days
    flow_log = observability.one(FLOW_LOG)
    assert flow_log.inputs["vpcId"] == chain["network-vpc"].outputs["vpcId"]
    assert (flow_log.inputs["trafficType"], flow_log.inputs["logDestinationType"]) == (
        "ALL", "cloud-watch-logs")
    assert flow_log.inputs["logDestination"] == group.state["arn"]
    assert observability.outputs[ObservabilityOutputs.FLOW_LOG_GROUP_NAME] == group.state["name"]


def test_flow_logs_deliver_with_a_role_only_vpc_flow_logs_of_this_account_assumes(chain):
    observability = chain[OBSERVABILITY]
    flow_log = observability.one(FLOW_LOG)
    [role] = [r for r in observability.of_type("aws:iam/role:Role")
              if r.state["arn"] == flow_log.inputs["iamRoleArn"]]
    [trust] = policy_document(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-2:{ACCOUNT_ID}:vpc-flow-log/*"}}
    [policy] = observability.of_type("aws:iam/rolePolicy:RolePolicy")
    group_arn = observability.one(LOG_GROUP).state["arn"]
    assert policy_document(policy.inputs["policy"])["Statement"] == [
        {"Sid": "WriteFlowLogStreams", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": [group_arn, f"{group_arn}:*"]},
        {"Sid": "FindTheLogGroup", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
         "Resource": "*"}]
    assert policy.urn in flow_log.dependencies  # the role can write before the flow log starts
