"""The functions' instances, with a function of the test's own: timeouts, errors, throttling,
module state per instance, the JSON at the process boundary."""

import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_mode.functions import FunctionError, LocalFunction, Throttled
from shared.lambdas import LambdaSpec
from tests.local.conftest import wait_for

HANDLER = '''
import threading
from decimal import Decimal

invocations = 0  # module state: one count per instance
released = threading.Event()


def lambda_handler(event, context):
    global invocations
    invocations += 1
    if event.get("hang"):
        print("hanging", flush=True)  # to the function's log
        threading.Event().wait()  # never returns: the instance must be stopped
    if event.get("raise"):
        raise ValueError("no good")
    if event.get("unserialisable"):
        return {"value": object()}
    return {"invocations": invocations, "amount": Decimal("12.50"),
            "remaining": context.get_remaining_time_in_millis() > 0}
'''


@pytest.fixture
def function(tmp_path):
    package = tmp_path / "code" / "probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(textwrap.dedent(HANDLER))
    spec = LambdaSpec(id="probe", package="probe", timeout_seconds=1, description="a probe",
                      environment=())
    probe = LocalFunction(spec, name="lambda-probe-test", arn="arn:aws:lambda:::function:probe",
                          environment={"PYTHONPATH": str(tmp_path / "code")}, memory_mb=128,
                          log_dir=tmp_path / "logs", instances=2)
    yield probe
    probe.close()


def test_results_cross_as_lambda_writes_them_and_state_stays_in_its_instance(function):
    first, second = function.invoke({}), function.invoke({})
    assert first == {"invocations": 1, "amount": 12.5, "remaining": True}
    assert second["invocations"] == 2  # the same warm instance served both


def test_an_error_or_an_unserialisable_result_fails_the_invocation_not_the_instance(function):
    with pytest.raises(FunctionError, match="ValueError: no good"):
        function.invoke({"raise": True})
    with pytest.raises(FunctionError, match="not JSON serializable"):
        function.invoke({"unserialisable": True})
    assert function.invoke({})["invocations"] == 3
    assert "[ERROR] ValueError: no good" in function.log_path.read_text()


def test_a_function_past_its_timeout_is_stopped_and_replaced(function):
    with pytest.raises(FunctionError, match=r"Task timed out after 1\.00 seconds"):
        function.invoke({"hang": True})
    assert "Task timed out after 1.00 seconds" in function.log_path.read_text()
    assert function.invoke({})["invocations"] == 1  # a fresh instance: a cold start


def test_beyond_its_instances_a_caller_is_throttled_or_waits(function):
    with ThreadPoolExecutor(max_workers=2) as pool:
        hung = [pool.submit(function.invoke, {"hang": True}) for _ in range(2)]
        wait_for(lambda: function.log_path.read_text().count("hanging") == 2,
                 "both instances in the handler")
        with pytest.raises(Throttled):
            function.invoke({}, wait=False)
        waited = function.invoke({})  # waits until a timed-out instance is replaced
        for call in hung:
            with pytest.raises(FunctionError, match="timed out"):
                call.result()
    assert waited["invocations"] == 1
