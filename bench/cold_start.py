"""2. Cold start: a fresh interpreter importing a handler and serving its first event.

Against a fresh interpreter that imports boto3 and creates one client. See :data:`METHOD`
(also written into the results) for how each program runs and what it stands for.
"""

import compileall
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from common.alerts import Alert
from common.transaction import to_item

from bench.emulators import AMBIENT_AWS_SETTINGS
from bench.stats import Summary, ratios
from local_mode.emulator import Emulator
from local_mode.environment import emulator_environment, patched_environ
from local_mode.process import free_port
from shared.lambdas import (
    DETECT_FRAUD,
    LAMBDAS,
    PROCESS_TRANSACTION,
    LambdaSpec,
    archive_files,
    function_environment,
    runtime_environment,
    write_archive_layout,
)
from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer
from shared.settings import DEFAULT_REGION, parse_settings
from tests.functions.events import api_event, sqs_event, stream_event

GOAL = 1.5
CHILD_TIMEOUT_SECONDS = 60
ROUNDS_PER_RUN = 3  # a fresh process is the noisiest thing measured here: thrice the rounds
T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z: the day the first events write and report
DAY = "2024-05-01"
PHASES = ("startup", "boto3", "clients", "imports", "first_event", "waiting", "gc")
METHOD = (
    "Each program is a fresh `python -S` interpreter. A handler runs from its deployment "
    "archive's layout (only its package and `common/`, no `__pycache__`: its modules compile "
    "at start, as in Lambda's read-only `/var/task`), with the function's own environment, "
    "throwaway credentials and this virtualenv's site-packages standing in for the runtime's "
    "boto3 and the Powertools layer (`-S`: the dev install's `.pth` hooks, which Lambda does "
    "not have, run on neither side); its first event makes real HTTP calls to a moto server "
    "on 127.0.0.1 (the local mode's emulator: moto's server with its slow DynamoDB paths "
    "corrected). The baseline imports boto3 and creates one DynamoDB client under the same "
    "settings; \"baseline + PutItem\" also makes one call, to show what a first call costs "
    "by itself. The experiment row runs process-transaction from an archive that also holds "
    "its bytecode (not how the compute stack packages it today). Each round runs every "
    "program once, in a rotating order; ratios compare programs of the same round. This "
    "machine gives each process a full core; a 512 MB function gets under a third of a vCPU, "
    "so Lambda's cold starts are longer in proportion.")

# Runs in the fresh interpreter. Phases: boto3's import, boto3's session and clients (timed by
# wrapping Session's constructor and Session.client), the rest of the import (the handler's
# own modules, Powertools, the schema), the first event; and, overlapping them, the garbage
# collector's pauses (gc.callbacks) and the time spent waiting for the emulator's answers
# (botocore's HTTP send). Times are CLOCK_MONOTONIC readings, which the parent shares, so the
# total runs from spawn to the first event's answer; the child then leaves at once: Lambda
# never pays for an interpreter's exit (about 0.1 s here).
_CHILD = """
import time
started = time.monotonic()
import gc
collecting = {"seconds": 0.0, "since": 0.0}
def _collector(phase, info):
    if phase == "start":
        collecting["since"] = time.monotonic()
    else:
        collecting["seconds"] += time.monotonic() - collecting["since"]
gc.callbacks.append(_collector)
import json, os, sys
import boto3
boto3_imported = time.monotonic()
import botocore.httpsession
spent = {"clients": 0.0, "client_count": 0, "waiting": 0.0}
def _timed(function, key, counted=0):
    def timed(*args, **kwargs):
        began = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.monotonic() - began
            spent["client_count"] += counted
    return timed
boto3.session.Session.__init__ = _timed(boto3.session.Session.__init__, "clients")
boto3.session.Session.client = _timed(boto3.session.Session.client, "clients", 1)
_http = botocore.httpsession.URLLib3Session
_http.send = _timed(_http.send, "waiting")
mode, target, event_path, report_path = sys.argv[1:5]
if mode == "handler":
    import importlib
    module = importlib.import_module(target)
    imported = time.monotonic()
    class Context:
        function_name = "lambda-bench"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:lambda-bench"
        aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    with open(event_path) as source:
        event = json.load(source)
    result = module.lambda_handler(event, Context())
else:
    dynamodb = boto3.client("dynamodb")
    imported = time.monotonic()
    result = None
    if mode == "baseline-call":
        with open(event_path) as source:
            request = json.load(source)
        result = dynamodb.put_item(**request)["ResponseMetadata"]["HTTPStatusCode"]
served = time.monotonic()
with open(report_path, "w") as report:
    json.dump({"started": started, "served": served, "boto3": boto3_imported - started,
               "clients": spent["clients"], "client_count": spent["client_count"],
               "imports": imported - boto3_imported - spent["clients"],
               "first_event": served - imported, "gc": collecting["seconds"],
               "waiting": spent["waiting"],
               "result": result}, report, default=str)
sys.stdout.flush()
os._exit(0)
"""


@dataclass(frozen=True)
class Program:
    """One of the programs the rounds run: a baseline, a handler, or an experiment."""

    name: str
    mode: str  # handler | baseline | baseline-call
    first_event_calls: str  # the AWS calls its first event makes, for the table
    spec: LambdaSpec | None = None
    bytecode: bool = False  # the archive ships compiled modules (an experiment)
    model: str | None = None  # fraud:model for detect-fraud (its import loads the artifact)

    @property
    def target(self) -> str:
        return self.spec.handler.rpartition(".")[0] if self.spec else ""

    @property
    def event(self) -> str:
        return self.spec.id if self.spec else self.mode


BASELINE = Program("baseline", "baseline", "none")
BASELINE_WITH_CALL = Program("baseline + PutItem", "baseline-call", "1 PutItem")
_FIRST_EVENT_CALLS = {
    "process-transaction": "1 PutItem (a POST without id)",
    "detect-fraud": "1 Query, 1 TransactWriteItems, 1 SendMessageBatch (1 suspicious record)",
    "notify-team": "1 UpdateItem, 1 Publish (1 alert)",
    "generate-report": "2 Query, 2 PutObject",
}
BYTECODE_EXPERIMENT = Program(
    f"{PROCESS_TRANSACTION.id}, bytecode shipped (experiment)", "handler",
    _FIRST_EVENT_CALLS[PROCESS_TRANSACTION.id], PROCESS_TRANSACTION, bytecode=True)
# detect-fraud with each fraud:model, said explicitly (the stacks' default may change): with
# the model its import also reads the artifact, and its first event queries the entity days.
MODEL_OFF, MODEL_ON = "none", "default"
_DETECT_CALLS = {
    MODEL_OFF: _FIRST_EVENT_CALLS[DETECT_FRAUD.id],
    MODEL_ON: "3 Query (history, the account's and the merchant's entity days), "
              "1 TransactWriteItems, 1 SendMessageBatch (1 suspicious record)",
}


def detect_program(model: str) -> Program:
    return Program(f"{DETECT_FRAUD.id}, fraud:model={model}", "handler", _DETECT_CALLS[model],
                   DETECT_FRAUD, model=model)


def programs() -> list[Program]:
    handlers = [Program(spec.id, "handler", _FIRST_EVENT_CALLS[spec.id], spec)
                if spec is not DETECT_FRAUD else detect_program(MODEL_OFF) for spec in LAMBDAS]
    return [BASELINE, BASELINE_WITH_CALL, *handlers, detect_program(MODEL_ON),
            BYTECODE_EXPERIMENT]


class FirstEvents:
    """Writes each program's first event, seeding what the event refers to beforehand."""

    def __init__(self, outputs: dict[str, str], folder: Path) -> None:
        self.outputs = outputs
        self.folder = folder
        self.dynamodb = boto3.client("dynamodb")
        self.table = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
        self.serial = 0

    def write(self, program: Program) -> Path:
        self.serial += 1
        builder = {
            "baseline": dict,
            "baseline-call": self._put_request,
            "process-transaction": self._post,
            "detect-fraud": self._stream_batch,
            "notify-team": self._alerts,
            "generate-report": lambda: {"day": DAY},
        }[program.event]
        path = self.folder / f"event-{self.serial}.json"
        path.write_text(json.dumps(builder(), default=str), encoding="utf-8")
        return path

    def _transaction(self, **extra: Any) -> dict[str, Any]:
        return {"transactionId": f"cold-{self.serial:04d}-{uuid.uuid4().hex[:8]}",
                "accountId": f"acct-cold-{self.serial:04d}", "amount": Decimal("42.50"),
                "currency": "EUR", "merchantId": "m-1", "merchantCategory": "5411",
                "country": "DE", "timestamp": T0 + self.serial * 1000, "fraudStatus": "PENDING",
                **extra}

    def _put_request(self) -> dict[str, Any]:
        return {"TableName": self.table, "Item": to_item(self._transaction()),
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": {"#id": "transactionId"}}

    @staticmethod
    def _post() -> dict[str, Any]:
        body = json.dumps({"accountId": "acc-000123", "amount": 125.4, "currency": "EUR",
                           "merchantId": "merchant-42", "merchantCategory": "5411",
                           "country": "DE"})
        return api_event("POST", "/transactions", body)

    def _stream_batch(self) -> dict[str, Any]:
        item = self._transaction(amount=Decimal("25000.00"))  # HIGH_AMOUNT: suspicious
        self.dynamodb.put_item(TableName=self.table, Item=to_item(item))
        return stream_event([item], first_sequence=self.serial * 1000)

    def _alerts(self) -> dict[str, Any]:
        item = self._transaction(
            amount=Decimal("25000.00"), fraudStatus="SUSPICIOUS", fraudScore=60,
            fraudReasons=["HIGH_AMOUNT"], analyzedAt="2024-05-01T12:00:01.000Z")
        self.dynamodb.put_item(TableName=self.table, Item=to_item(item))
        return sqs_event([Alert.from_item(item).to_message()],
                         self.outputs[DataOutputs.ALERTS_QUEUE_ARN])


def archive_layout(program: Program, root: Path) -> Path:
    """``<package>/`` and ``common/`` at the root, as the compute stack packages them."""
    assert program.spec is not None
    write_archive_layout(program.spec, root)
    if program.bytecode:
        # Unchecked hashes: a zip keeps mtimes to 2 s only, so timestamp checks could miss.
        compileall.compile_dir(root, quiet=1, invalidation_mode=(
            compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH))
    return root


DEFAULTS = parse_settings({}, stack="bench")  # the deployed functions' default settings


def child_environment(program: Program, endpoint_url: str, archive: Path | None,
                      outputs: dict[str, str]) -> dict[str, str]:
    """Only what Lambda would set: the function's variables, region, credentials, endpoint."""
    python_path = [str(archive)] if archive else []
    python_path.append(sysconfig.get_paths()["purelib"])
    spec = program.spec
    settings = DEFAULTS if program.model is None else parse_settings(
        {"model": program.model}, stack="bench")
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(python_path),
        "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's /var/task is read-only
        **emulator_environment(endpoint_url, DEFAULT_REGION),
        **({**function_environment(spec, outputs), **runtime_environment(spec, settings)}
           if spec else {}),
    }


def run_child(program: Program, environment: dict[str, str], event: Path,
              folder: Path) -> dict[str, Any]:
    """Run one fresh interpreter: its phases, and the time from spawn to the first answer."""
    report = folder / f"report-{uuid.uuid4().hex}.json"
    spawned = time.monotonic()
    completed = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-S", "-c", _CHILD, program.mode, program.target, str(event),
         str(report)],
        env=environment, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=CHILD_TIMEOUT_SECONDS, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{program.name} failed to start:\n{completed.stderr.decode()}")
    phases = json.loads(report.read_text(encoding="utf-8"))
    _check_result(program, phases["result"])
    return {**phases, "total": phases["served"] - spawned,
            "startup": phases["started"] - spawned}


def _check_result(program: Program, result: Any) -> None:
    """A cold start that ended in an error path would time the wrong thing: refuse it."""
    expected: dict[str, Callable[[Any], bool]] = {
        "baseline": lambda r: r is None,
        "baseline-call": lambda r: r == 200,
        "process-transaction": lambda r: r["statusCode"] == 201,
        "detect-fraud": lambda r: r["batchItemFailures"] == [],
        "notify-team": lambda r: r["batchItemFailures"] == [],
        "generate-report": lambda r: r["day"] == DAY,
    }
    if not expected[program.event](result):
        raise RuntimeError(f"{program.name}'s first event did not succeed: {result!r}")


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    every = programs()
    rounds = runs * ROUNDS_PER_RUN
    samples: dict[str, list[dict[str, Any]]] = {program.name: [] for program in every}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        folder = Path(scratch)
        emulator = Emulator("127.0.0.1", free_port(), folder / "emulator.log")
        emulator.start()
        try:
            with patched_environ(emulator_environment(emulator.endpoint, DEFAULT_REGION),
                                 remove=AMBIENT_AWS_SETTINGS):
                outputs = provision_data_layer("bench-cold")
                events = FirstEvents(outputs, folder)
                environments = {
                    program.name: child_environment(
                        program, emulator.endpoint,
                        archive_layout(program, folder / f"archive-{number}")
                        if program.spec else None, outputs)
                    for number, program in enumerate(every)}
                for round_number in range(rounds):
                    progress(f"round {round_number + 1}/{rounds}: "
                             f"{len(every)} fresh interpreters")
                    shift = round_number % len(every)
                    for program in every[shift:] + every[:shift]:
                        samples[program.name].append(run_child(
                            program, environments[program.name], events.write(program),
                            folder))
        finally:
            emulator.stop()
    return summarise(every, samples, rounds)


def compile_ms(spec: LambdaSpec, runs: int) -> Summary:
    """Compiling the handler's own modules from source, as each cold start does."""
    sources = [path for _, path in archive_files(spec) if path.suffix == ".py"]
    texts = [(path.read_text(encoding="utf-8"), str(path)) for path in sources]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        for text, name in texts:
            compile(text, name, "exec")
        samples.append((time.perf_counter() - started) * 1000)
    return Summary.of(samples)


def summarise(every: list[Program], samples: dict[str, list[dict[str, Any]]],
              rounds: int) -> dict[str, Any]:
    baseline = [sample["total"] for sample in samples[BASELINE.name]]
    rows = []
    for program in every:
        runs_of = samples[program.name]
        rows.append({
            "program": program.name,
            "function": program.spec.id if program.spec else None,
            "experiment": program.bytecode,
            "model": program.model,
            "first_event_calls": program.first_event_calls,
            "total_ms": Summary.of([s["total"] for s in runs_of]).scaled(1000).as_dict(),
            "ratio": ratios([s["total"] for s in runs_of], baseline).as_dict(),
            "ratio_without_waiting": ratios([s["total"] - s["waiting"] for s in runs_of],
                                            baseline).as_dict(),
            "phases_ms": {phase: Summary.of([s[phase] for s in runs_of]).scaled(1000).as_dict()
                          for phase in PHASES},
            "clients": runs_of[0]["client_count"],
            **({"compile_own_modules_ms": compile_ms(program.spec, rounds).as_dict()}
               if program.spec and not program.bytecode else {}),
        })
    on, off = (samples[detect_program(model).name] for model in (MODEL_ON, MODEL_OFF))
    model = {  # the model's share of detect-fraud's cold start, round by round
        "ratio": ratios([s["total"] for s in on], [s["total"] for s in off]).as_dict(),
        "imports_ratio": ratios([s["imports"] for s in on], [s["imports"] for s in off]).as_dict(),
    }
    return {"goal": GOAL, "runs": rounds, "method": METHOD, "rows": rows, "model": model,
            "findings": findings(rows, GOAL, model)}


def findings(rows: list[dict[str, Any]], goal: float, model: dict[str, Any]) -> list[str]:
    """Where each handler's extra time goes, and what would close a missed goal."""
    def phase(row: dict[str, Any], name: str) -> float:
        return row["phases_ms"][name]["median"]

    def total(row: dict[str, Any]) -> float:
        return row["total_ms"]["median"]

    base = rows[0]
    handlers = [row for row in rows if row["function"] and not row["experiment"]]
    [experiment] = [row for row in rows if row["experiment"]]
    [plain] = [row for row in handlers if row["function"] == experiment["function"]]
    extra_client = [(phase(row, "clients") - phase(base, "clients")) / (row["clients"] - 1)
                    for row in handlers if row["clients"] > 1]
    lines = ["Where each handler's time goes beyond the baseline (medians):", ""]
    for row in handlers:
        lines.append(
            f"- **{row['program']}** (+{total(row) - total(base):.0f} ms): boto3's session and "
            f"{row['clients']} client(s) {phase(row, 'clients') - phase(base, 'clients'):+.0f} "
            f"ms; other imports {phase(row, 'imports'):.0f} ms (Powertools, the schema, its own "
            f"modules; compiling those from source alone takes "
            f"{row['compile_own_modules_ms']['median']:.0f} ms); first event "
            f"{phase(row, 'first_event'):.0f} ms ({row['first_event_calls']}), of which "
            f"{phase(row, 'waiting'):.0f} ms waiting for the emulator; garbage "
            f"collection {phase(row, 'gc'):.0f} ms across all phases (baseline "
            f"{phase(base, 'gc'):.0f} ms).")
    missed = [row["program"] for row in handlers if row["ratio"]["median"] > goal]
    lines += ["", (f"The ≤ {goal}x goal is missed by {', '.join(missed)}." if missed
                   else f"Every handler is within {goal}x of the baseline."),
              "Without the time spent waiting for the emulator (which DynamoDB, SQS, SNS and S3 "
              "would answer in a few milliseconds each), the ratios are: " + ", ".join(
                  f"{row['program']} {row['ratio_without_waiting']['median']:.2f}x"
                  for row in handlers) + "."]
    if extra_client:
        lines.append(
            f"A second client costs about {sum(extra_client) / len(extra_client):.0f} ms here "
            "(its service model and endpoint rules are loaded and its class built): "
            "detect-fraud (SQS), notify-team (SNS) and generate-report (S3, the largest model) "
            "each need one for their first event, which also makes more calls than one PutItem. "
            "The collector's full passes walk every object already loaded, boto3's models "
            "first, so whatever a handler imports after boto3 pays more for collection than "
            "the baseline's smaller heap does.")
    on, off = (next(row for row in handlers if row["model"] == which)
               for which in (MODEL_ON, MODEL_OFF))
    lines += ["", (
        f"The model's share: detect-fraud with `fraud:model` `{MODEL_ON}` takes "
        f"{total(on):.0f} ms to its first answer against {total(off):.0f} ms with `{MODEL_OFF}` "
        f"({model['ratio']['median']:.2f}x round by round); its other imports, which now "
        f"read and check the artifact, {phase(on, 'imports'):.0f} ms against "
        f"{phase(off, 'imports'):.0f} ms ({model['imports_ratio']['median']:.2f}x); its first "
        f"event {phase(on, 'first_event'):.0f} ms against {phase(off, 'first_event'):.0f} ms "
        "(two entity-day queries more).")]
    lines += [
        "",
        f"Shipping bytecode in the archive (the experiment row): {total(experiment):.0f} ms "
        f"({ratio_text(experiment)}) against {total(plain):.0f} ms ({ratio_text(plain)}) for "
        f"{plain['program']} as packaged today; the compiling it saves takes "
        f"{plain['compile_own_modules_ms']['median']:.0f} ms, small against this machine's "
        "run-to-run spread.",
        "",
        "What would close the gap, cheapest first: (1) nothing for generate-report, which "
        "runs once a day off the request path; (2) bytecode in the archive, compiled by the "
        "runtime's Python version with unchecked hashes (the compute stack's packaging would "
        "then depend on `fraud:lambdaRuntime`); (3) Lambda SnapStart, offered for python3.12 "
        "and later (`fraud:lambdaRuntime`), which resumes from a snapshot taken after the "
        "imports and client creation, billed per snapshot cached and restored; "
        "(4) provisioned concurrency for process-transaction, the one function a client waits "
        "on, at a fixed hourly price. Replacing Powertools' resolver and batch utilities "
        "(each imports its whole package) with hand-written code would save tens of "
        "milliseconds at the price of the house style: not done.",
    ]
    return lines


def ratio_text(row: dict[str, Any]) -> str:
    return f"{row['ratio']['median']:.2f}x"
