"""``make demo``: the local mode under a seeded workload, checked and measured.

1. empty its outbox of an earlier run's digests, reports and logs, and start the local mode
   (``serve --quiet``, on free ports, with that outbox);
2. post the workload (see ``local_mode.workload``) from a few client threads, each account's
   requests in order from one thread, timing every request;
3. wait until the pipeline is drained, by polling what it leaves behind with a deadline: every
   accepted transaction counted in the day's aggregates (or in the analysis DLQ), the alerts
   queue empty, and every flagged transaction in a digest on the topic (or in the alerts DLQ);
4. label what the workload's ground truth knows, as chargebacks and reviews later would: every
   fraud (``CHARGEBACK``) and every flagged genuine transaction (``ANALYST``);
5. build the report of each day the workload covers, and save it locally;
6. check that it all adds up (each response as expected, each verdict the one the rules give
   on the account's history, each alert notified once, the report's totals, its alert
   precision and recall equal to the demo's own), print the
   figures, and exit non-zero, saying what does not add up, if anything does not.
"""

import http.client
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from common import json_codec
from common.clock import now_ms
from common.data_model import STATS_DAY
from common.rules import evaluate, rule_config_from_json
from common.stats import DayTotals
from common.transaction import (
    ANALYZED_AT,
    FRAUD,
    FRAUD_REASONS,
    FRAUD_STATUS,
    GENUINE,
    NOTIFIED_AT,
    PENDING,
    SUSPICIOUS,
    from_item,
)

from local_mode.console import counted, shown
from local_mode.environment import use_emulator
from local_mode.figures import Detection, detection, percentile, ratio
from local_mode.outbox import DIGESTS_DIR, alert_count, read_digests
from local_mode.process import LocalModeError, LocalModeProcess
from local_mode.report import REPORTS_DIR, SavedReport, build_report
from local_mode.stack import CHECKPOINTS_FILE, LOG_DIR, load_settings, read_state
from local_mode.workload import EVERYDAY, SCENARIOS, Request, Workload, describe, generate
from shared.outputs import DataOutputs

CLIENT_THREADS = 2
DRAIN_POLL_SECONDS = 0.5
DRAIN_TIMEOUT_SECONDS = 60
DRAIN_SECONDS_PER_TRANSACTION = 0.1


@dataclass
class Sent:
    request: Request
    status: int
    body: str
    latency_ms: float
    sent_at_ms: int


class Progress:
    """A progress bar on a terminal; otherwise a line per quarter, and the final state."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, max(total, 1)
        self.live = sys.stderr.isatty()
        self._shown = -1
        self._latest = self._printed = ""

    def update(self, done: int, detail: str = "") -> None:
        if self.live:
            filled = 30 * done // self.total
            sys.stderr.write(f"\r{self.label:<10} [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{done}/{self.total} {detail}\033[K")
            sys.stderr.flush()
            return
        self._latest = f"{self.label}: {done}/{self.total} {detail}".rstrip()
        if 4 * done // self.total > self._shown:
            self._shown = 4 * done // self.total
            self._print()

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\n")
        elif self._latest != self._printed:  # the last line must be the state the summary has
            self._print()

    def _print(self) -> None:
        print(self._latest, file=sys.stderr, flush=True)
        self._printed = self._latest


def send_workload(workload: Workload, api_url: str) -> list[Sent]:
    """Post every request; each account's in order, from one of a few client threads."""
    url = urlsplit(api_url)
    accounts = list(workload.requests_by_account.values())
    total = sum(len(requests) for requests in accounts)
    progress = Progress("requests", total)
    sent: list[Sent] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(share: list[list[Request]]) -> None:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            for requests in share:
                for request in requests:
                    sent_at = now_ms()
                    started = time.perf_counter()
                    connection.request("POST", f"{url.path}/transactions", body=request.body,
                                       headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    body = response.read().decode("utf-8")
                    latency = (time.perf_counter() - started) * 1000
                    with lock:
                        sent.append(Sent(request, response.status, body, latency, sent_at))
                        progress.update(len(sent))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(accounts[n::CLIENT_THREADS],))
               for n in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.close()
    if errors:
        raise LocalModeError(f"a client could not reach the API: {errors[0]}")
    return sent


def label_ground_truth(workload: Workload, stored: dict[str, dict[str, Any]],
                       api_url: str) -> tuple[dict[str, int], list[str]]:
    """PUT the labels the ground truth gives: each fraud as a chargeback would, each flagged
    genuine transaction as an analyst's review would. The labels sent by value, and the
    problems (a label not answered 200)."""
    url = urlsplit(api_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    sent: dict[str, int] = defaultdict(int)
    problems = []
    try:
        for transaction in workload.transactions:
            flagged = stored.get(transaction.id, {}).get(FRAUD_STATUS) == SUSPICIOUS
            if not (transaction.fraud or flagged):
                continue
            label = FRAUD if transaction.fraud else GENUINE
            body = {"label": label, "source": "CHARGEBACK" if transaction.fraud else "ANALYST"}
            connection.request("PUT", f"{url.path}/transactions/{transaction.id}/label",
                               body=json_codec.dumps(body),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read().decode("utf-8")
            if response.status != 200:
                problems.append(f"labelling {transaction.id} {label}: expected HTTP 200, got "
                                f"{response.status} {answer[:200]}")
            sent[label] += 1
    finally:
        connection.close()
    return dict(sent), problems


def _quality_sums(reports: list[SavedReport]) -> Counter[str]:
    """The reports' alert-quality counts, summed over the days."""
    sums: Counter[str] = Counter()
    for report in reports:
        quality = json_codec.loads(report.json.read_text(encoding="utf-8"))["alertQuality"]
        sums.update({key: quality[key] for key in ("labelledFraud", "labelledGenuine",
                                                   "missedFraud")})
    return sums


def report_precision(reports: list[SavedReport]) -> float | None:
    """The alert precision the reports give: labelled fraud among the labelled flagged."""
    sums = _quality_sums(reports)
    labelled = sums["labelledFraud"] + sums["labelledGenuine"]
    return sums["labelledFraud"] / labelled if labelled else None


def report_recall(reports: list[SavedReport]) -> float | None:
    """The recall the reports give: the labelled frauds flagged, among all labelled frauds
    (flagged, or the CLEAR ones the reports list as missed)."""
    sums = _quality_sums(reports)
    frauds = sums["labelledFraud"] + sums["missedFraud"]
    return sums["labelledFraud"] / frauds if frauds else None


@dataclass
class Pipeline:
    """Reads what the pipeline has done so far, from the emulator."""

    outputs: dict[str, str]
    outbox: Path
    days: list[str]

    def __post_init__(self) -> None:
        self.dynamodb, self.sqs = boto3.client("dynamodb"), boto3.client("sqs")

    def totals(self) -> DayTotals:
        items = []
        for day in self.days:
            pages = self.dynamodb.get_paginator("query").paginate(
                TableName=self.outputs[DataOutputs.STATS_TABLE_NAME],
                KeyConditionExpression="#day = :day",
                ExpressionAttributeNames={"#day": STATS_DAY.name},
                ExpressionAttributeValues={":day": {"S": day}})
            items += [from_item(item) for page in pages for item in page["Items"]]
        return DayTotals.from_items(items)

    def queue_depth(self, output: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.outputs[output],
            AttributeNames=["ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(value) for value in attributes.values())

    def notified(self) -> tuple[int, int]:
        """(digests on the topic, alerts they hold)."""
        digests = read_digests(self.outbox)
        return len(digests), sum(alert_count(digest) for digest in digests)

    def transactions(self) -> dict[str, dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME])
        return {item["transactionId"]: item
                for page in pages for item in map(from_item, page["Items"])}


def wait_until_drained(pipeline: Pipeline, accepted: int) -> list[str]:
    """Poll until everything accepted is analysed and notified; what is missing at the deadline."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS + accepted * DRAIN_SECONDS_PER_TRANSACTION
    progress = Progress("pipeline", accepted)
    problems: list[str] = []
    while True:
        totals = pipeline.totals()
        dead_lettered = pipeline.queue_depth(DataOutputs.ANALYSIS_DLQ_URL)
        alerts_waiting = pipeline.queue_depth(DataOutputs.ALERTS_QUEUE_URL)
        alerts_dead = pipeline.queue_depth(DataOutputs.ALERTS_DLQ_URL)
        _, notified = pipeline.notified()
        progress.update(min(accepted, totals.transactions + dead_lettered),
                        f"analysed · {notified}/{totals.flagged} flagged notified")
        problems = []
        unanalysed = accepted - totals.transactions - dead_lettered
        if unanalysed > 0:
            problems.append(f"{counted(unanalysed, 'accepted transaction')} never analysed (nor "
                            "sent to the analysis DLQ)")
        unnotified = totals.flagged - notified - alerts_dead
        if alerts_waiting or unnotified > 0:
            problems.append(f"{counted(unnotified, 'flagged transaction')} never notified "
                            f"({counted(alerts_waiting, 'alert')} still queued)")
        if not problems or time.monotonic() > deadline:
            progress.close()
            return problems
        time.sleep(DRAIN_POLL_SECONDS)


def expected_verdicts(workload: Workload) -> dict[str, tuple[str, list[str]]]:
    """Each transaction's (status, rule codes), from the rules on its account's history."""
    rules = rule_config_from_json(load_settings({}).rule_overrides)
    expected = {}
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for transaction in sorted(workload.transactions,
                              key=lambda t: (t.body["timestamp"], t.id)):
        earlier = history[transaction.account]
        verdict = evaluate(transaction.body, earlier[-rules.history_needed:], rules)
        expected[transaction.id] = (verdict.status, verdict.codes)
        earlier.append(transaction.body)
    return expected


def _demo_detection(workload: Workload, stored: dict[str, dict[str, Any]]) -> Detection:
    return detection((transaction.fraud,
                      stored.get(transaction.id, {}).get(FRAUD_STATUS) == SUSPICIOUS)
                     for transaction in workload.transactions)


def demo_precision(workload: Workload, stored: dict[str, dict[str, Any]]) -> float | None:
    """The demo's own precision: fraud among the flagged, by the ground truth."""
    return _demo_detection(workload, stored).precision


def demo_recall(workload: Workload, stored: dict[str, dict[str, Any]]) -> float | None:
    """The demo's own recall: the frauds flagged, among all frauds, by the ground truth."""
    return _demo_detection(workload, stored).recall


def check(workload: Workload, sent: list[Sent], stored: dict[str, dict[str, Any]],
          notified_alerts: int, reports: list[SavedReport]) -> list[str]:
    """Everything that does not add up, worded for the person running the demo."""
    problems = []
    reported, own = report_precision(reports), demo_precision(workload, stored)
    if reported != own:
        problems.append(f"the reports' alert precision is {ratio(reported)}, the demo's own "
                        f"{ratio(own)} (every flagged transaction is labelled)")
    reported, own = report_recall(reports), demo_recall(workload, stored)
    if reported != own:
        problems.append(f"the reports' recall is {ratio(reported)}, the demo's own "
                        f"{ratio(own)} (every fraud is labelled)")
    for result in sent:
        if result.status != result.request.expected_status:
            problems.append(f"{describe(result.request)}: expected HTTP "
                            f"{result.request.expected_status}, got {result.status} "
                            f"{result.body[:200]}")
    for transaction_id, (status, codes) in expected_verdicts(workload).items():
        item = stored.get(transaction_id)
        if item is None:
            problems.append(f"{transaction_id} is not in the table")
        elif item[FRAUD_STATUS] == PENDING:
            problems.append(f"{transaction_id} was never analysed")
        elif (item[FRAUD_STATUS], list(item.get(FRAUD_REASONS, []))) != (status, codes):
            problems.append(f"{transaction_id}: verdict {item[FRAUD_STATUS]} "
                            f"{list(item.get(FRAUD_REASONS, []))}, the rules give {status} {codes}")
    flagged = [item for item in stored.values() if item.get(FRAUD_STATUS) == SUSPICIOUS]
    unnotified = [item["transactionId"] for item in flagged if NOTIFIED_AT not in item]
    if unnotified:
        problems.append(f"{counted(len(unnotified), 'flagged transaction')} never notified: "
                        f"{', '.join(unnotified[:5])}")
    if notified_alerts != len(flagged):
        problems.append(f"the digests hold {counted(notified_alerts, 'alert')} for "
                        f"{counted(len(flagged), 'flagged transaction')} (each must be notified "
                        "exactly once)")
    reported = sum(report.transactions for report in reports)
    if reported != len(stored) or sum(report.flagged for report in reports) != len(flagged):
        problems.append(f"the reports count {counted(reported, 'transaction')} and "
                        f"{sum(report.flagged for report in reports)} flagged; the table holds "
                        f"{len(stored)} and {len(flagged)}")
    return problems


def _latency_ms(sent: Sent, item: dict[str, Any]) -> float:
    analysed = datetime.fromisoformat(item[ANALYZED_AT].replace("Z", "+00:00"))
    return analysed.timestamp() * 1000 - sent.sent_at_ms


def figures(workload: Workload, sent: list[Sent], stored: dict[str, dict[str, Any]],
            digests: tuple[int, int], dead_lettered: int, reports: list[SavedReport],
            labels: dict[str, int], elapsed: float, show: Callable[[str], None]) -> None:
    statuses = defaultdict(int)
    for result in sent:
        statuses[result.status] += 1
    latencies = [result.latency_ms for result in sent]
    first_posts = {result.request.transaction.id: result for result in sent
                   if result.status == 201 and result.request.transaction}
    verdict_ms = [_latency_ms(result, stored[transaction_id])
                  for transaction_id, result in first_posts.items()
                  if ANALYZED_AT in stored.get(transaction_id, {})]
    flagged = sum(item.get(FRAUD_STATUS) == SUSPICIOUS for item in stored.values())
    show(f"\nDemo: seed {workload.seed}, {counted(len(sent), 'request')} in {elapsed:.1f} s")
    show(f"  accepted {statuses[201]} (201) · replayed {statuses[200]} (200) · "
         f"rejected {sum(n for status, n in statuses.items() if status >= 400)} (4xx)")
    show(f"  API latency        p50 {percentile(latencies, 50):.0f} ms · "
         f"p95 {percentile(latencies, 95):.0f} ms · p99 {percentile(latencies, 99):.0f} ms")
    if verdict_ms:
        show(f"  POST → verdict     p50 {percentile(verdict_ms, 50) / 1000:.2f} s · "
             f"p95 {percentile(verdict_ms, 95) / 1000:.2f} s")
    show(f"  verdicts           {len(stored)} analysed · {flagged} flagged · "
         f"{dead_lettered} in the analysis DLQ")
    show(f"  digests sent       {digests[0]} ({counted(digests[1], 'alert')})")
    show(f"  labels sent        {labels.get(FRAUD, 0)} FRAUD (chargebacks) · "
         f"{labels.get(GENUINE, 0)} GENUINE (analysts, of the flagged)")
    show(f"  alert precision    report {ratio(report_precision(reports))} · "
         f"demo {ratio(demo_precision(workload, stored))}")
    show(f"  recall (labelled)  report {ratio(report_recall(reports))} · "
         f"demo {ratio(demo_recall(workload, stored))}")
    show("\n  Detection against the ground-truth labels")
    show(f"  {'scenario':<17}{'label':<7}{'txns':>6}{'flagged':>9}{'TP':>5}{'FP':>5}{'FN':>5}"
         f"{'precision':>11}{'recall':>8}{'F1':>6}")
    by_scenario = defaultdict(list)
    for transaction in workload.transactions:
        by_scenario[transaction.scenario].append(
            (transaction.fraud, stored[transaction.id].get(FRAUD_STATUS) == SUSPICIOUS))
    for scenario in (EVERYDAY, *SCENARIOS):
        if scenario in by_scenario:
            counts = detection(by_scenario[scenario])
            label = "fraud" if SCENARIOS.get(scenario, (False,))[0] else "clean"
            show(f"  {scenario:<17}{label:<7}{counts.total:>6}{counts.flagged:>9}"
                 f"{counts.true_positives:>5}{counts.false_positives:>5}"
                 f"{counts.false_negatives:>5}{ratio(counts.precision):>11}"
                 f"{ratio(counts.recall):>8}{ratio(counts.f1):>6}")
    overall = detection(outcome for outcomes in by_scenario.values() for outcome in outcomes)
    show(f"  {'overall':<24}{overall.total:>6}{overall.flagged:>9}{overall.true_positives:>5}"
         f"{overall.false_positives:>5}{overall.false_negatives:>5}"
         f"{ratio(overall.precision):>11}{ratio(overall.recall):>8}{ratio(overall.f1):>6}")
    for report in reports:
        show(f"\n  report {report.day}: {shown(report.html)}")


def empty_outbox(outbox: Path) -> None:
    """Remove what an earlier run left in ``outbox``: the demo counts the digests it finds there,
    so they must all be this run's. Only what the local mode writes is removed."""
    if read_state(outbox) is not None:
        raise LocalModeError(f"a local mode is running with the outbox {shown(outbox)}/; stop it "
                             "or give the demo another --outbox")
    for folder in (DIGESTS_DIR, REPORTS_DIR, LOG_DIR):
        shutil.rmtree(outbox / folder, ignore_errors=True)
    (outbox / CHECKPOINTS_FILE).unlink(missing_ok=True)


def run_demo(*, transactions: int, seed: int, outbox: Path) -> int:
    if transactions < 1:
        print("error: --transactions must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    workload = generate(transactions, seed, now_ms())
    print(f"Starting the local mode (outbox {shown(outbox)}/, emptied first) ...", file=sys.stderr)
    try:
        empty_outbox(outbox)
        with LocalModeProcess(outbox) as local:
            use_emulator(local.state["emulatorEndpoint"], local.state["region"])
            sent = send_workload(workload, local.api_url)
            accepted = sum(result.status == 201 for result in sent)
            pipeline = Pipeline(local.state["outputs"], outbox, workload.days())
            problems = wait_until_drained(pipeline, accepted)
            labels, label_problems = label_ground_truth(workload, pipeline.transactions(),
                                                        local.api_url)
            problems += label_problems
            reports = [build_report(day, local.state, outbox) for day in workload.days()]
            stored = pipeline.transactions()
            digests = pipeline.notified()
            dead_lettered = pipeline.queue_depth(DataOutputs.ANALYSIS_DLQ_URL)
    except LocalModeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems += check(workload, sent, stored, digests[1], reports)
    figures(workload, sent, stored, digests, dead_lettered, reports, labels,
            time.monotonic() - started, print)
    if problems:
        print(f"\nThe demo does not add up ({counted(len(problems), 'problem')}):",
              file=sys.stderr)
        for problem in problems[:20]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("\nEverything adds up: every accepted transaction analysed with the verdict its "
          "history gives, every flagged one notified once, the report's totals, alert "
          "precision and recall equal.")
    return 0
