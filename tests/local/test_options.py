"""``serve``'s options for shorter waits (tests): a function's timeout, the alerts poller's hold,
and notify-team's claims that follow from both."""

import pytest
from common import environment as env

from local_mode.stack import (
    ALERT_HOLD_SECONDS,
    LocalOptions,
    load_settings,
    local_function,
    parse_timeouts,
)
from shared import lambdas
from shared.outputs import DataOutputs
from shared.settings import ConfigError
from tests.harness.model_artifact import SHIPPED

OUTPUTS = {value: "x" for name, value in vars(DataOutputs).items() if name.isupper()}


def test_by_default_alerts_are_hidden_60_s_and_claims_hold_10_s():
    assert LocalOptions().alert_hold() == ALERT_HOLD_SECONDS == 60
    assert lambdas.alert_claim_seconds(ALERT_HOLD_SECONDS) == 10


def test_a_shorter_timeout_and_hold_give_a_claim_of_what_is_left(tmp_path):
    options = LocalOptions(timeouts={"notify-team": 8}, alert_hold_seconds=16)
    assert options.alert_hold() == 16
    spec = options.spec_of(lambdas.NOTIFY_TEAM)
    function = local_function(spec, load_settings({}), OUTPUTS, tmp_path,
                              alerts_hidden_seconds=options.alert_hold())
    try:
        assert function.spec.timeout_seconds == 8
        assert function.environment[env.ALERT_CLAIM_SECONDS] == "3"  # 16 - 5 s window - 8 s
    finally:
        function.close()
    assert LocalOptions(timeouts={"notify-team": 8}).alert_hold() == 5 + 8 + 10


@pytest.mark.parametrize(("options", "message"), [
    (LocalOptions(alert_hold_seconds=50),
     "--alert-hold-seconds 50: a message hidden 50 s leaves no time for a claim after the 5 s "
     "batching window and notify-team's 45 s timeout"),
    (LocalOptions(alert_hold_seconds=0), "--alert-hold-seconds takes 1 to 43200"),
])
def test_a_hold_that_leaves_no_claim_is_refused_saying_why(options, message):
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(")):
        options.alert_hold()


@pytest.mark.parametrize(("pairs", "message"), [
    (["generate-report=5"], "--timeout takes FUNCTION=SECONDS with FUNCTION one of "
                            "process-transaction, detect-fraud, notify-team; got "
                            "'generate-report=5'"),
    (["notify-team=0"], "--timeout notify-team=SECONDS takes SECONDS from 1 to 900; got '0'"),
    (["notify-team=901"], "--timeout notify-team=SECONDS takes SECONDS from 1 to 900; got '901'"),
])
def test_a_bad_timeout_is_refused_naming_it(pairs, message):
    with pytest.raises(ConfigError) as raised:
        parse_timeouts(pairs)
    assert str(raised.value) == message
    assert parse_timeouts(["notify-team=8"]) == {"notify-team": 8}


def test_the_local_mode_serves_an_own_artifact_from_where_it_is(tmp_path):
    settings = load_settings({"fraud:model": "functions/detect_fraud/model.json"})
    function = local_function(lambdas.DETECT_FRAUD, settings, OUTPUTS, tmp_path)
    try:
        assert function.environment[env.MODEL] == str(SHIPPED)  # no archive: its own path
    finally:
        function.close()
    report = local_function(lambdas.GENERATE_REPORT, settings, OUTPUTS, tmp_path)
    try:  # told that a model is in force, not where it is
        assert env.MODEL not in report.environment
        assert report.environment[env.MODEL_IN_FORCE] == "true"
    finally:
        report.close()
    with pytest.raises(ConfigError) as error:
        load_settings({"fraud:model": "ours.json"})
    assert "fraud:model = 'ours.json' is invalid: expected default or none or the path of a " \
           "model artifact" in str(error.value)


@pytest.mark.parametrize(("model", "in_force"), [("none", "false"), ("default", "true")])
def test_the_local_report_knows_whether_a_model_is_in_force(tmp_path, model, in_force):
    function = local_function(lambdas.GENERATE_REPORT, load_settings({"fraud:model": model}),
                              OUTPUTS, tmp_path)
    try:
        assert function.environment[env.MODEL_IN_FORCE] == in_force
    finally:
        function.close()
