"""The compute layer: four least-privilege functions, their logs, triggers and schedule."""

import importlib.util
import json
import shutil
import sys

import pulumi
import pytest
from common import environment as env

from shared.lambdas import (
    DETECT_FRAUD,
    LAMBDAS,
    OWN_MODEL,
    archive_files,
    function_environment,
    powertools_layer_parameter,
)
from shared.layers import COMPUTE, DATA, NETWORK
from shared.outputs import ComputeOutputs, DataOutputs, NetworkOutputs
from shared.settings import MODEL_PATHS_FROM, parse_settings
from tests.harness.aws_state import ACCOUNT_ID, POWERTOOLS_LAYER_NUMBER, REGION
from tests.harness.chain import DEFAULT, run_chain
from tests.harness.model_artifact import own_artifact
from tests.harness.pulumi_mocks import STACKS_DIR, policy_document, run_layer

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
TIMEOUTS = {"process-transaction": 15, "detect-fraud": 60, "notify-team": 45,
            "generate-report": 300}
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
# The actions EC2 gives no resource-level permission, so "*" is the only resource they take.
STAR_ONLY_ACTIONS = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                     "dynamodb:ListStreams"}


def suffix(configuration) -> str:
    return configuration.settings.environment_suffix


def function_named(run, function_id: str, configuration):
    name = f"lambda-{function_id}-{suffix(configuration)}"
    return next(r for r in run.of_type(FUNCTION) if r.inputs["name"] == name)


def allowed_pairs(policy: dict) -> set[tuple[str, str]]:
    """Every (action, resource) pair an IAM policy allows."""
    pairs = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [
            statement["Resource"]]
        pairs |= {(action, resource) for action in actions for resource in resources}
    return pairs


def expected_permissions(function_id: str, data: dict, network: dict,
                         log_group_arn: str) -> set:
    """What each function may do, written out independently of the stack's permission table."""
    table = data[DataOutputs.TRANSACTIONS_TABLE_ARN]
    stats = data[DataOutputs.STATS_TABLE_ARN]
    features = data[DataOutputs.FEATURES_TABLE_ARN]
    key = data[DataOutputs.KMS_KEY_ARN]
    pairs = {("logs:CreateLogStream", f"{log_group_arn}:*"),
             ("logs:PutLogEvents", f"{log_group_arn}:*")}
    interfaces = f"{EC2}:network-interface/*"
    pairs |= {("ec2:CreateNetworkInterface", arn) for arn in (
        *(f"{EC2}:subnet/{subnet}" for subnet in network[NetworkOutputs.PRIVATE_SUBNET_IDS]),
        f"{EC2}:security-group/{network[NetworkOutputs.LAMBDA_SECURITY_GROUP_ID]}", interfaces)}
    pairs |= {(action, interfaces) for action in (
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses")}
    pairs |= {("ec2:DescribeNetworkInterfaces", "*"), ("ec2:DescribeSubnets", "*")}
    by_function = {
        "process-transaction": {
            ("dynamodb:PutItem", table), ("dynamodb:Query", table),
            ("dynamodb:UpdateItem", table), ("dynamodb:UpdateItem", features),
            ("kms:Decrypt", key)},
        "detect-fraud": {
            ("dynamodb:DescribeStream", data[DataOutputs.TRANSACTIONS_STREAM_ARN]),
            ("dynamodb:GetRecords", data[DataOutputs.TRANSACTIONS_STREAM_ARN]),
            ("dynamodb:GetShardIterator", data[DataOutputs.TRANSACTIONS_STREAM_ARN]),
            ("dynamodb:ListStreams", "*"),
            ("dynamodb:Query", f"{table}/index/{data[DataOutputs.BY_ACCOUNT_INDEX_NAME]}"),
            ("dynamodb:UpdateItem", table), ("dynamodb:UpdateItem", stats),
            ("dynamodb:UpdateItem", features), ("dynamodb:Query", features),
            ("sqs:SendMessage", data[DataOutputs.ALERTS_QUEUE_ARN]),
            ("sqs:SendMessage", data[DataOutputs.ANALYSIS_DLQ_ARN]),
            ("kms:Decrypt", key), ("kms:GenerateDataKey", key)},
        "notify-team": {
            ("sqs:ReceiveMessage", data[DataOutputs.ALERTS_QUEUE_ARN]),
            ("sqs:DeleteMessage", data[DataOutputs.ALERTS_QUEUE_ARN]),
            ("sqs:GetQueueAttributes", data[DataOutputs.ALERTS_QUEUE_ARN]),
            ("dynamodb:UpdateItem", table),
            ("sns:Publish", data[DataOutputs.NOTIFICATIONS_TOPIC_ARN]),
            ("kms:Decrypt", key), ("kms:GenerateDataKey", key)},
        "generate-report": {
            ("dynamodb:Query", stats),
            ("dynamodb:Query", f"{table}/index/{data[DataOutputs.BY_FLAGGED_DAY_INDEX_NAME]}"),
            ("dynamodb:Query",
             f"{table}/index/{data[DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME]}"),
            ("s3:PutObject", f"{data[DataOutputs.REPORTS_BUCKET_ARN]}/reports/*"),
            ("kms:Decrypt", key), ("kms:GenerateDataKey", key)},
    }
    return pairs | by_function[function_id]


# ---- functions ----

def test_four_functions_named_by_convention(chain, configuration):
    names = sorted(r.inputs["name"] for r in chain[COMPUTE].of_type(FUNCTION))
    assert names == sorted(f"lambda-{spec.id}-{suffix(configuration)}" for spec in LAMBDAS)


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_function_runtime_sizing_and_code(chain, configuration, spec):
    function = function_named(chain[COMPUTE], spec.id, configuration).inputs
    runtime = configuration.settings.lambda_runtime
    assert function["runtime"] == runtime
    assert function["handler"] == f"{spec.package}.app.lambda_handler"
    assert function["architectures"] == ["x86_64"]
    assert function["memorySize"] == configuration.settings.lambda_memory_mb
    reserved = configuration.settings.reserved_concurrency[spec.id]
    assert function["reservedConcurrentExecutions"] == (-1 if reserved is None else reserved)
    assert function["timeout"] == TIMEOUTS[spec.id]
    assert function["layers"] == [
        f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-"
        f"{runtime.replace('.', '')}-x86_64:{POWERTOOLS_LAYER_NUMBER}"]
    assert function["sourceCodeHash"]


def test_api_function_fits_the_api_gateway_timeout(chain, configuration):
    function = function_named(chain[COMPUTE], "process-transaction", configuration)
    assert function.inputs["timeout"] < 29


def test_notify_timeout_is_at_most_a_sixth_of_the_queue_visibility(chain, configuration):
    from shared.data_layer import ALERTS
    function = function_named(chain[COMPUTE], "notify-team", configuration)
    assert function.inputs["timeout"] * 6 <= ALERTS.visibility_timeout_seconds


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_function_is_encrypted_private_and_reads_its_settings(chain, configuration, spec):
    data = chain[DATA].outputs
    network = chain[NETWORK].outputs
    function = function_named(chain[COMPUTE], spec.id, configuration).inputs
    assert function["kmsKeyArn"] == data[DataOutputs.KMS_KEY_ARN]
    assert function["vpcConfig"]["subnetIds"] == network[NetworkOutputs.PRIVATE_SUBNET_IDS]
    assert function["vpcConfig"]["securityGroupIds"] == [
        network[NetworkOutputs.LAMBDA_SECURITY_GROUP_ID]]
    assert function["replaceSecurityGroupsOnDestroy"] is True
    variables = function["environment"]["variables"]
    assert function_environment(spec, data).items() <= variables.items()
    assert variables["POWERTOOLS_SERVICE_NAME"] == spec.id


def test_the_rule_overrides_reach_the_functions_that_apply_or_print_them(chain, configuration):
    run = chain[COMPUTE]
    for spec in LAMBDAS:
        variables = function_named(run, spec.id, configuration).inputs["environment"]["variables"]
        assert (env.RULE_OVERRIDES in variables) is (spec.id in ("detect-fraud",
                                                                 "generate-report"))
    detect = function_named(run, "detect-fraud", configuration).inputs["environment"]
    assert detect["variables"][env.RULE_OVERRIDES] == "{}"


def test_only_notify_team_reads_its_claim_expiry_from_the_alerts_queue_s_visibility(
        chain, configuration):
    """300 s visibility - 5 s batching window - 45 s timeout: a claim expires before SQS hands
    a crashed invocation's messages out again, and outlives any invocation."""
    run = chain[COMPUTE]
    for spec in LAMBDAS:
        variables = function_named(run, spec.id, configuration).inputs["environment"]["variables"]
        assert variables.get(env.ALERT_CLAIM_SECONDS) == (
            "250" if spec.id == "notify-team" else None)


def test_the_report_masks_account_ids_unless_configured_not_to(chain, configuration):
    report = function_named(chain[COMPUTE], "generate-report", configuration)
    assert report.inputs["environment"]["variables"][env.REPORT_ACCOUNT_IDS] == (
        configuration.settings.report_account_ids)
    assert configuration.settings.report_account_ids == (
        "masked" if configuration.stack == "dev" else "full")


def test_rule_overrides_reach_detect_fraud_canonicalised():
    run = run_layer(COMPUTE, config={"fraud:ruleOverrides": '{"velocityWeight":40}'},
                    upstream=run_chain(DEFAULT).upstream_of(COMPUTE))
    detect = next(r for r in run.of_type(FUNCTION)
                  if r.inputs["name"] == "lambda-detect-fraud-dev")
    variables = detect.inputs["environment"]["variables"]
    assert variables[env.RULE_OVERRIDES] == '{"velocityWeight": 40}'


def test_the_reference_currency_reaches_detect_fraud_and_the_report_the_rates_detect_fraud():
    run = run_layer(COMPUTE, config={"fraud:referenceCurrency": "USD",
                                     "fraud:exchangeRates": '{"USD":1,"JPY":150.5}'},
                    upstream=run_chain(DEFAULT).upstream_of(COMPUTE))
    for function in run.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        detect = function.inputs["name"] == "lambda-detect-fraud-dev"
        report = function.inputs["name"] == "lambda-generate-report-dev"
        assert (env.EXCHANGE_RATES in variables) is detect
        assert variables.get(env.REFERENCE_CURRENCY) == ("USD" if detect or report else None)
        if detect:
            assert variables[env.EXCHANGE_RATES] == '{"JPY": 150.5, "USD": 1}'


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_each_function_logs_json_to_its_own_encrypted_log_group(chain, configuration, spec):
    run = chain[COMPUTE]
    function = function_named(run, spec.id, configuration)
    name = f"/aws/lambda/lambda-{spec.id}-{suffix(configuration)}"
    log_group = next(r for r in run.of_type(LOG_GROUP) if r.inputs["name"] == name)
    assert log_group.inputs["retentionInDays"] == configuration.settings.log_retention_days
    assert log_group.inputs["kmsKeyId"] == chain[DATA].outputs[DataOutputs.KMS_KEY_ARN]
    assert function.inputs["loggingConfig"]["logFormat"] == "JSON"
    assert function.inputs["loggingConfig"]["logGroup"] == name
    assert log_group.urn in function.dependencies  # created before the function


# ---- IAM ----

def test_one_role_per_function_trusting_only_lambda(chain):
    roles = chain[COMPUTE].of_type(ROLE)
    assert len(roles) == len(LAMBDAS)
    for role in roles:
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"] == [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                       "Principal": {"Service": "lambda.amazonaws.com"}}]


def test_no_managed_policy_is_attached_to_a_function_role(chain):
    types = {r.type for r in chain[COMPUTE].resources}
    assert "aws:iam/rolePolicyAttachment:RolePolicyAttachment" not in types
    assert "aws:iam/policy:Policy" not in types


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_each_role_allows_exactly_what_its_function_uses(chain, configuration, spec):
    run = chain[COMPUTE]
    function = function_named(run, spec.id, configuration)
    role = next(r for r in run.of_type(ROLE) if r.state["arn"] == function.inputs["role"])
    policies = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["name"]]
    assert len(policies) == 1
    log_group = next(r for r in run.of_type(LOG_GROUP)
                     if r.inputs["name"] == function.inputs["loggingConfig"]["logGroup"])
    assert allowed_pairs(policy_document(policies[0].inputs["policy"])) == expected_permissions(
        spec.id, chain[DATA].outputs, chain[NETWORK].outputs, log_group.state["arn"])
    assert policies[0].urn in function.dependencies


def test_no_wildcard_action_and_star_resource_only_where_aws_takes_nothing_else(chain):
    for policy in chain[COMPUTE].of_type(ROLE_POLICY):
        for action, resource in allowed_pairs(policy_document(policy.inputs["policy"])):
            assert "*" not in action
            assert resource != "*" or action in STAR_ONLY_ACTIONS


def test_network_interfaces_are_managed_only_in_the_platforms_vpc(chain):
    vpc = f"{EC2}:vpc/{chain[NETWORK].outputs[NetworkOutputs.VPC_ID]}"
    for policy in chain[COMPUTE].of_type(ROLE_POLICY):
        for statement in policy_document(policy.inputs["policy"])["Statement"]:
            if any(action.startswith("ec2:") and not action.startswith("ec2:Describe")
                   for action in statement["Action"]):
                assert statement["Condition"] == {"ArnEquals": {"ec2:Vpc": vpc}}


def test_the_layer_is_the_published_one_of_the_pinned_powertools(chain, configuration):
    pinned = next(line for line in (STACKS_DIR.parent / "pyproject.toml").read_text().splitlines()
                  if '"aws-lambda-powertools[' in line)
    version = pinned.split("==")[1].split('"')[0]
    runtime = configuration.settings.lambda_runtime
    assert ("aws:ssm/getParameter:getParameter",
            {"name": f"/aws/service/powertools/python/x86_64/{runtime}/{version}"}) in [
        (token, {key: args[key] for key in ("name",)}) for token, args in chain[COMPUTE].invokes
        if token.startswith("aws:ssm/")]
    assert powertools_layer_parameter(runtime).endswith(f"/{version}")


def test_a_configured_layer_overrides_the_published_one():
    layer = "arn:aws:lambda:us-east-2:111122223333:layer:powertools-copy:4"
    run = run_layer(COMPUTE, config={"fraud:powertoolsLayerArn": layer},
                    upstream=run_chain(DEFAULT).upstream_of(COMPUTE))
    assert {tuple(r.inputs["layers"]) for r in run.of_type(FUNCTION)} == {(layer,)}
    assert not [token for token, _ in run.invokes if token.startswith("aws:ssm/")]


def test_lambda_keeps_its_start_and_report_lines(chain):
    for function in chain[COMPUTE].of_type(FUNCTION):
        assert function.inputs["loggingConfig"]["systemLogLevel"] == "INFO"
        # Powertools prints its EMF metrics at INFO: a higher level would drop them.
        assert function.inputs["loggingConfig"]["applicationLogLevel"] == "INFO"


def test_the_api_function_cannot_touch_queues_topics_or_buckets(chain, configuration):
    run = chain[COMPUTE]
    function = function_named(run, "process-transaction", configuration)
    role = next(r for r in run.of_type(ROLE) if r.state["arn"] == function.inputs["role"])
    policy = next(p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["name"])
    services = {action.split(":")[0] for action, _ in
                allowed_pairs(policy_document(policy.inputs["policy"]))}
    assert services.isdisjoint({"sqs", "sns", "s3"})


# ---- triggers ----

def test_stream_mapping_feeds_detect_fraud_new_transactions_only(chain, configuration):
    run = chain[COMPUTE]
    data = chain[DATA].outputs
    mapping = next(m for m in run.of_type(MAPPING)
                   if m.inputs["eventSourceArn"] == data[DataOutputs.TRANSACTIONS_STREAM_ARN])
    inputs = mapping.inputs
    assert inputs["functionName"] == function_named(run, "detect-fraud", configuration).state[
        "arn"]
    assert inputs["startingPosition"] == "TRIM_HORIZON"
    assert inputs["batchSize"] == configuration.settings.stream_batch_size
    assert inputs["maximumBatchingWindowInSeconds"] == (
        configuration.settings.stream_batch_window_seconds)
    # New items only, and of those not the id guards (sort key 0) written beside client ids.
    assert [json.loads(f["pattern"]) for f in inputs["filterCriteria"]["filters"]] == [
        {"eventName": ["INSERT"],
         "dynamodb": {"Keys": {"timestamp": {"N": [{"anything-but": ["0"]}]}}}}]
    assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert inputs["bisectBatchOnFunctionError"] is True
    assert inputs["maximumRetryAttempts"] == 3
    assert inputs["maximumRecordAgeInSeconds"] == 3600
    assert inputs["destinationConfig"]["onFailure"]["destinationArn"] == data[
        DataOutputs.ANALYSIS_DLQ_ARN]


def test_alerts_mapping_feeds_notify_team_in_batches_of_ten(chain, configuration):
    run = chain[COMPUTE]
    mapping = next(m for m in run.of_type(MAPPING) if m.inputs["eventSourceArn"] == chain[
        DATA].outputs[DataOutputs.ALERTS_QUEUE_ARN])
    inputs = mapping.inputs
    assert inputs["functionName"] == function_named(run, "notify-team", configuration).state[
        "arn"]
    assert inputs["batchSize"] == 10
    assert inputs["maximumBatchingWindowInSeconds"] == 5
    assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    maximum = inputs["scalingConfig"]["maximumConcurrency"]
    assert maximum == 2 <= (configuration.settings.reserved_concurrency["notify-team"] or 2)


def test_only_two_mappings_exist(chain):
    assert len(chain[COMPUTE].of_type(MAPPING)) == 2


def test_daily_schedule_invokes_generate_report_at_one_utc(chain, configuration):
    run = chain[COMPUTE]
    report = function_named(run, "generate-report", configuration)
    rule = run.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "cron(0 1 * * ? *)"
    assert rule.inputs["name"] == f"cw-daily-fraud-report-{suffix(configuration)}"
    target = run.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == report.state["arn"]
    assert target.inputs["rule"] == rule.inputs["name"]
    permission = run.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["function"] == report.inputs["name"]
    assert permission.inputs["sourceArn"] == rule.state["arn"]


# ---- exports ----

def test_exports_name_every_function(chain, configuration):
    run = chain[COMPUTE]
    exported = run.outputs[ComputeOutputs.FUNCTIONS]
    assert set(exported) == {spec.id for spec in LAMBDAS}
    for spec in LAMBDAS:
        function = function_named(run, spec.id, configuration)
        assert exported[spec.id] == {
            ComputeOutputs.NAME: function.state["name"],
            ComputeOutputs.ARN: function.state["arn"],
            ComputeOutputs.INVOKE_ARN: function.state["invokeArn"],
            ComputeOutputs.LOG_GROUP_NAME: function.inputs["loggingConfig"]["logGroup"],
        }


# ---- packaging ----

@pytest.fixture
def code_archive(tmp_path, monkeypatch):
    """The stack's packaging module, pointed at a copy of functions/ the test may edit."""
    functions = tmp_path / "functions"
    shutil.copytree(STACKS_DIR.parent / "functions", functions,
                    ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location(
        "code_archive_under_test", STACKS_DIR / COMPUTE / "code_archive.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "FUNCTIONS_DIR", functions)
    yield module, functions
    del sys.modules[spec.name]


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda spec: spec.id)
def test_archive_holds_the_package_and_common_only(code_archive, spec):
    module, _ = code_archive
    names = set(module.code_package(spec).archive.assets)
    assert {name.split("/")[0] for name in names} == {spec.package, "common"}
    assert f"{spec.package}/app.py" in names
    assert "common/transaction.schema.json" in names


def test_code_hash_changes_with_the_code_and_only_with_it(code_archive):
    module, functions = code_archive
    spec = LAMBDAS[0]
    first = module.code_package(spec).source_hash
    cache = functions / spec.package / "__pycache__"
    cache.mkdir()
    (cache / "app.cpython-311.pyc").write_bytes(b"compiled")
    assert module.code_package(spec).source_hash == first
    with (functions / "common" / "data_model.py").open("a") as source:
        source.write("\n# changed\n")
    assert module.code_package(spec).source_hash != first


# ---- bad configuration ----

@pytest.mark.parametrize(("key", "value"), [
    ("fraud:reservedConcurrency", "0"),
    ("fraud:lambdaRuntime", "python3.9"),
    ("fraud:lambdaMemoryMb", "100000"),
])
def test_bad_config_fails_naming_the_key(key, value):
    with pytest.raises(pulumi.RunError, match=f"{key} = '{value}' is invalid"):
        run_layer(COMPUTE, config={key: value})


def test_an_unreadable_model_artifact_stops_the_deployment_naming_fraud_model():
    missing = MODEL_PATHS_FROM / "models" / "ours.json"
    with pytest.raises(pulumi.RunError) as error:
        run_layer(COMPUTE, config={"fraud:model": "models/ours.json"})
    assert str(error.value) == (
        "invalid configuration:\n  fraud:model = 'models/ours.json' is invalid: expected "
        "default or none or the path of a model artifact (`python -m backtest train` writes "
        f"one): {missing}: cannot read a model artifact ([Errno 2] No such file or directory: "
        f"'{missing}')")


def test_an_own_model_artifact_travels_in_detect_fraud_s_package_alone(tmp_path):
    """detect-fraud is told which model to serve; generate-report only whether one is in
    force (it prints the rules that can fire), and its package stays the same."""
    ours = own_artifact(tmp_path)
    upstream = run_chain(DEFAULT).upstream_of(COMPUTE)
    runs = [run_layer(COMPUTE, config={"fraud:model": model}, upstream=upstream)
            for model in ("none", "default", str(ours))]
    none, shipped, own = ({r.inputs["name"]: r.inputs for r in run.of_type(FUNCTION)}
                          for run in runs)
    for functions, model, in_force in ((none, "none", "false"), (shipped, "default", "true"),
                                       (own, OWN_MODEL, "true")):
        for name, function in functions.items():
            variables = function["environment"]["variables"]
            detect = name == "lambda-detect-fraud-dev"
            report = name == "lambda-generate-report-dev"
            assert variables.get(env.MODEL) == (model if detect else None), name
            assert variables.get(env.MODEL_IN_FORCE) == (in_force if report else None), name
    for name, function in own.items():
        detect = name == "lambda-detect-fraud-dev"
        assert (function["sourceCodeHash"] != shipped[name]["sourceCodeHash"]) is detect, name
    settings = parse_settings({"model": str(ours)}, stack="dev")
    for spec in LAMBDAS:  # what the stack zips (code_archive.code_package)
        packaged = dict(archive_files(spec, settings=settings))
        assert (packaged.get(f"{spec.package}/{OWN_MODEL}") == ours) is (spec is DETECT_FRAUD)
