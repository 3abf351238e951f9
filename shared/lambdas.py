"""The four functions: ids, code packages, timeouts, and the environment each one reads.

The compute stack deploys from this catalog, the observability stack alarms on it and the
local mode runs it, so a function is declared once.
"""

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from common import environment as env
from common.data_model import ID_GUARD_TIMESTAMP, TIMESTAMP

from shared.data_layer import ALERTS
from shared.outputs import DataOutputs

if TYPE_CHECKING:  # shared.settings reads this catalog (function ids, the API's budget)
    from shared.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class LambdaSpec:
    id: str  # the purpose part of every name: lambda-{id}-{suffix}
    package: str  # folder under functions/, packaged with functions/common
    timeout_seconds: int
    description: str
    # Environment variable → the data layer output that fills it.
    environment: tuple[tuple[str, str], ...]
    # Environment variable → the Settings attribute that fills it.
    settings_environment: tuple[tuple[str, str], ...] = ()
    # Environment variables told how long a claim on an alert holds (alert_claim_seconds).
    alert_claim_environment: tuple[str, ...] = ()
    # Environment variables told which model to serve (fraud:model; see model_variable).
    model_environment: tuple[str, ...] = ()
    # Environment variables told whether a model is in force (true or false), not which: the
    # artifact stays in detect-fraud's archive alone (archive_files reads model_environment).
    model_in_force_environment: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return f"{self.package}.app.lambda_handler"


PROCESS_TRANSACTION = LambdaSpec(
    id="process-transaction",
    package="process_transaction",
    timeout_seconds=15,  # well under API Gateway's 29 s integration limit
    description="Validates and stores transactions and their labels (/transactions)",
    environment=((env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
                 (env.FEATURES_TABLE, DataOutputs.FEATURES_TABLE_NAME)),
)
# The mean duration process-transaction is sized for: one or two DynamoDB calls of about 10 ms
# in-region and a few ms of its own work (bench/results.md), with room for cold starts. By
# Little's law the stage may admit at most (its concurrency / this budget) requests per second:
# beyond that Lambda throttles, and API Gateway's proxy integration answers 500, not 429.
API_DURATION_BUDGET_SECONDS = 0.1
DETECT_FRAUD = LambdaSpec(
    id="detect-fraud",
    package="detect_fraud",
    timeout_seconds=60,
    description="Scores new transactions from the table's stream and queues suspicious ones",
    environment=(
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.BY_ACCOUNT_INDEX, DataOutputs.BY_ACCOUNT_INDEX_NAME),
        (env.STATS_TABLE, DataOutputs.STATS_TABLE_NAME),
        (env.FEATURES_TABLE, DataOutputs.FEATURES_TABLE_NAME),
        (env.ALERTS_QUEUE_URL, DataOutputs.ALERTS_QUEUE_URL),
    ),
    # Validated at start (shared.settings), read by the rules engine and the model.
    settings_environment=((env.RULE_OVERRIDES, "rule_overrides"),
                          (env.REFERENCE_CURRENCY, "reference_currency"),
                          (env.EXCHANGE_RATES, "exchange_rates")),
    model_environment=(env.MODEL,),
)
NOTIFY_TEAM = LambdaSpec(
    id="notify-team",
    package="notify_team",
    timeout_seconds=45,  # at most a sixth of the alerts queue's 300 s visibility timeout
    description="Sends one SNS digest per batch of fraud alerts",
    environment=(
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.NOTIFICATIONS_TOPIC_ARN, DataOutputs.NOTIFICATIONS_TOPIC_ARN),
    ),
    alert_claim_environment=(env.ALERT_CLAIM_SECONDS,),
)
GENERATE_REPORT = LambdaSpec(
    id="generate-report",
    package="generate_report",
    timeout_seconds=300,
    description="Writes the daily fraud report (JSON and HTML) to S3",
    environment=(
        (env.BY_FLAGGED_DAY_INDEX, DataOutputs.BY_FLAGGED_DAY_INDEX_NAME),
        (env.BY_LABELLED_FRAUD_DAY_INDEX, DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME),
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.STATS_TABLE, DataOutputs.STATS_TABLE_NAME),
        (env.REPORTS_BUCKET, DataOutputs.REPORTS_BUCKET_NAME),
        (env.KMS_KEY_ARN, DataOutputs.KMS_KEY_ARN),
    ),
    # The report prints the rules in force (amounts in the reference currency), and masks
    # account ids unless told otherwise.
    settings_environment=((env.RULE_OVERRIDES, "rule_overrides"),
                          (env.REFERENCE_CURRENCY, "reference_currency"),
                          (env.REPORT_ACCOUNT_IDS, "report_account_ids")),
    # The model's and the entity rules' rows are among those rules only with a model in force.
    model_in_force_environment=(env.MODEL_IN_FORCE,),
)

LAMBDAS: tuple[LambdaSpec, ...] = (PROCESS_TRANSACTION, DETECT_FRAUD, NOTIFY_TEAM, GENERATE_REPORT)

ARCHITECTURE = "x86_64"
# aws-lambda-powertools as pinned in pyproject.toml: the functions run on the AWS-published layer
# of exactly this version, found through its public SSM parameter (compute-lambdas).
POWERTOOLS_VERSION = "3.37.0"


def powertools_layer_parameter(runtime: str, architecture: str = ARCHITECTURE) -> str:
    """The public SSM parameter holding the Powertools layer ARN of POWERTOOLS_VERSION."""
    return f"/aws/service/powertools/python/{architecture}/{runtime}/{POWERTOOLS_VERSION}"

# How the event source mappings feed detect-fraud and notify-team: the compute stack creates
# the mappings with these values and the local mode's pollers follow them.
STREAM_STARTING_POSITION = "TRIM_HORIZON"
# The mapping's filter (Lambda's event filtering, free): new transactions only, so neither the
# verdicts written back (MODIFY) nor the id guards written beside client ids reach detect-fraud.
STREAM_FILTER_PATTERN = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {TIMESTAMP.name: {"N": [{"anything-but": [str(ID_GUARD_TIMESTAMP)]}]}}},
}
# Lambda's own ceiling for the stream mapping; past it the record goes to the dead-letter queue.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 3
STREAM_MAXIMUM_RECORD_AGE_SECONDS = 3600
STREAM_BISECT_BATCH_ON_FUNCTION_ERROR = True
ALERTS_BATCH_SIZE = 10
ALERTS_BATCH_WINDOW_SECONDS = 5
# An SQS mapping's maximum concurrency is at least 2; each notify-team invocation publishes
# one email digest, and SNS suspends email endpoints that receive over 10 messages a second.
ALERTS_MAXIMUM_CONCURRENCY = 2


def alert_claim_seconds(hidden_seconds: int,
                        timeout_seconds: int = NOTIFY_TEAM.timeout_seconds) -> int:
    """How long notify-team's claim on an alert holds, given how long the alerts queue hides a
    message it handed out (``hidden_seconds``: the queue's visibility timeout in AWS, the local
    mode's shorter hold) and notify-team's timeout: a crashed invocation claimed within the
    batching window after the receive and was gone by its timeout, so the claim has expired
    when its message is back and the redelivery publishes the alert again; in AWS it also
    outlives any invocation."""
    claim = hidden_seconds - ALERTS_BATCH_WINDOW_SECONDS - timeout_seconds
    if claim <= 0:
        raise ValueError(f"a message hidden {hidden_seconds} s leaves no time for a claim after "
                         f"the {ALERTS_BATCH_WINDOW_SECONDS} s batching window and "
                         f"{NOTIFY_TEAM.id}'s {timeout_seconds} s timeout")
    return claim


def alert_claim_environment(spec: LambdaSpec,
                            hidden_seconds: int = ALERTS.visibility_timeout_seconds,
                            ) -> dict[str, str]:
    """``spec``'s claim-expiry variables for a queue that hides messages ``hidden_seconds``
    (with ``spec``'s timeout: the local mode may shorten it)."""
    return {variable: str(alert_claim_seconds(hidden_seconds, spec.timeout_seconds))
            for variable in spec.alert_claim_environment}


# fraud:model's own artifact (a path) travels in detect-fraud's archive under this name, beside
# its app.py; detect-fraud reads a MODEL that is neither default nor none as a path from there.
OWN_MODEL = "own-model.json"


def model_variable(settings: "Settings", packaged: bool = True) -> str:
    """What ``MODEL`` tells detect-fraud: ``default``, ``none``, or where its own artifact is:
    :data:`OWN_MODEL` in the archive (``packaged``), else the artifact's own path (the local
    mode runs the source tree)."""
    artifact = settings.model_artifact
    if artifact is None:
        return settings.model
    return OWN_MODEL if packaged else str(artifact)


def runtime_environment(spec: LambdaSpec, settings: "Settings",
                        alerts_hidden_seconds: int = ALERTS.visibility_timeout_seconds,
                        packaged: bool = True) -> dict[str, str]:
    """What a function's environment holds besides its data-layer settings: Powertools' own,
    the configuration values the function reads (its ``settings_environment``), the model it
    serves (from its archive when ``packaged``) or whether one is in force, and how long
    notify-team's claims hold (from how long the alerts queue hides a received message)."""
    return {"POWERTOOLS_SERVICE_NAME": spec.id, "POWERTOOLS_LOG_LEVEL": "INFO",
            **{variable: getattr(settings, attribute)
               for variable, attribute in spec.settings_environment},
            **{variable: model_variable(settings, packaged)
               for variable in spec.model_environment},
            **dict.fromkeys(spec.model_in_force_environment,
                            "true" if settings.model_in_force else "false"),
            **alert_claim_environment(spec, alerts_hidden_seconds)}


def function_environment(spec: LambdaSpec, data_outputs: Mapping[str, T]) -> dict[str, T]:
    """The environment variables of ``spec``, filled from the data layer's outputs.

    ``data_outputs`` maps :class:`~shared.outputs.DataOutputs` names to values: Pulumi outputs
    in the compute stack, plain strings in the local mode.
    """
    return {variable: data_outputs[output] for variable, output in spec.environment}


# ---- the deployment archive: the function's package plus common/, nothing else ----

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
COMMON_PACKAGE = "common"
_PACKAGED_SUFFIXES = (".py", ".json")


def _package_files(package: str, functions_dir: Path) -> list[tuple[str, Path]]:
    root = functions_dir / package
    if not (root / "__init__.py").is_file():
        raise FileNotFoundError(f"no Python package at {root}")
    return [(f"{package}/{path.relative_to(root).as_posix()}", path)
            for path in root.rglob("*")
            if path.is_file() and path.suffix in _PACKAGED_SUFFIXES
            and "__pycache__" not in path.parts]


def archive_files(spec: LambdaSpec, functions_dir: Path = FUNCTIONS_DIR,
                  settings: "Settings | None" = None) -> list[tuple[str, Path]]:
    """What ``spec``'s deployment archive holds, as (path in the archive, source file), sorted:
    its package, ``common/`` and, when ``settings`` name an own model artifact and ``spec``
    serves it, that artifact as :data:`OWN_MODEL`.

    The compute stack zips exactly these; tests and the bench lay them out on disk to run a
    handler as Lambda does (no ``__pycache__``, no editor droppings, nothing else importable).
    """
    files = _package_files(spec.package, functions_dir) + _package_files(COMMON_PACKAGE,
                                                                          functions_dir)
    artifact = settings.model_artifact if settings and spec.model_environment else None
    if artifact is not None:
        files.append((f"{spec.package}/{OWN_MODEL}", artifact))
    return sorted(files)


def write_archive_layout(spec: LambdaSpec, root: Path,
                         settings: "Settings | None" = None) -> Path:
    """Copy :func:`archive_files` under ``root``, as Lambda unpacks them in /var/task."""
    for archive_path, source in archive_files(spec, settings=settings):
        target = root / archive_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root
