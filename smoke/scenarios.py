"""The smoke scenarios: what a client of the platform must see, end to end.

Each scenario posts transactions of its own (ids and accounts unique to the run, so a run never
meets an earlier one's history) and returns what it checked. Waiting is bounded: a verdict or a
digest not seen within its deadline fails the scenario, saying what was last seen.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smoke.targets import HttpTarget, Response

VERDICT_DEADLINE_SECONDS = 60  # a verdict arrives within a second or two; cold starts add more
DIGEST_DEADLINE_SECONDS = 120  # the alerts mapping's 5 s window, one digest per batch
POLL_SECONDS = 0.5
# Over any sane HIGH_AMOUNT threshold, at a high-risk merchant category: flagged under the
# default rules and most overrides.
SUSPICIOUS = {"amount": 999_999.99, "merchantCategory": "7995"}


class ScenarioFailed(AssertionError):
    """A scenario saw something a client must not; the message says what."""


@dataclass
class Run:
    """One run's transactions, shared by the scenarios that follow each other."""

    target: HttpTarget
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    flagged_id: str | None = None

    def body(self, name: str, **changes: Any) -> dict[str, Any]:
        return {"transactionId": f"smoke-{self.run_id}-{name}",
                "accountId": f"smoke-{self.run_id}-{name}", "amount": 12.5, "currency": "EUR",
                "merchantId": "smoke-merchant", "merchantCategory": "5411", "country": "DE",
                "channel": "online", "timestamp": int(time.time() * 1000)} | changes


def expect(response: Response, status: int, what: str) -> Any:
    if response.status != status:
        raise ScenarioFailed(f"{what}: expected {status}, got {response.status} {response.text}")
    return response.json


def wait_for(condition: Callable[[], Any], deadline_seconds: float, what: str) -> Any:
    deadline = time.monotonic() + deadline_seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"no {what} within {deadline_seconds:g} s")
        time.sleep(POLL_SECONDS)


def unsigned_requests_are_refused(run: Run) -> str:
    response = run.target.request("GET", f"/transactions/smoke-{run.run_id}-any", signed=False)
    expect(response, 403, "an unsigned GET")
    posted = run.target.request("POST", "/transactions", run.body("unsigned"), signed=False)
    expect(posted, 403, "an unsigned POST")
    expect(run.target.request("GET", f"/transactions/smoke-{run.run_id}-unsigned"), 404,
           "the unsigned POST's transaction")
    return "unsigned GET and POST: 403, nothing stored"


def _verdict(run: Run, transaction_id: str) -> dict[str, Any]:
    def analysed() -> dict[str, Any] | None:
        item = expect(run.target.request("GET", f"/transactions/{transaction_id}"), 200,
                      f"GET {transaction_id}")
        return item if item.get("fraudStatus") != "PENDING" else None

    return wait_for(analysed, VERDICT_DEADLINE_SECONDS, f"verdict for {transaction_id}")


def valid_transactions_reach_their_verdicts(run: Run) -> str:
    clear, flagged = run.body("clear"), run.body("flagged", **SUSPICIOUS)
    started = time.monotonic()
    for body in (clear, flagged):
        created = expect(run.target.request("POST", "/transactions", body), 201, "a valid POST")
        if created.get("fraudStatus") != "PENDING":
            raise ScenarioFailed(f"a new transaction is PENDING, not {created.get('fraudStatus')}")
    clear_verdict = _verdict(run, clear["transactionId"])
    flagged_verdict = _verdict(run, flagged["transactionId"])
    seconds = time.monotonic() - started
    if clear_verdict["fraudStatus"] != "CLEAR":
        raise ScenarioFailed(f"an everyday payment was judged {clear_verdict}")
    if flagged_verdict["fraudStatus"] != "SUSPICIOUS" or \
            "HIGH_AMOUNT" not in flagged_verdict["fraudReasons"]:
        raise ScenarioFailed(f"a {SUSPICIOUS['amount']:,} payment was judged {flagged_verdict}")
    run.flagged_id = flagged["transactionId"]
    return (f"CLEAR (score {clear_verdict['fraudScore']}) and SUSPICIOUS (score "
            f"{flagged_verdict['fraudScore']}, {', '.join(flagged_verdict['fraudReasons'])}) "
            f"within {seconds:.1f} s")


def bad_input_is_400_and_nothing_is_stored(run: Run) -> str:
    body = run.body("bad", amount=1.005, cardholder="J. Doe")
    answer = expect(run.target.request("POST", "/transactions", body), 400, "a bad POST")
    named = {error.get("field") for error in answer.get("errors", [])}
    if not named & {"amount", "cardholder", "body"}:
        raise ScenarioFailed(f"the 400 names no bad field: {answer}")
    expect(run.target.request("GET", f"/transactions/{body['transactionId']}"), 404,
           "the bad POST's transaction")
    return f"400 naming {', '.join(sorted(str(field) for field in named))}; GET: 404"


def replays_are_idempotent(run: Run) -> str:
    body = run.body("replay")
    first = expect(run.target.request("POST", "/transactions", body), 201, "the first POST")
    again = expect(run.target.request("POST", "/transactions", body), 200, "the same POST")
    if again.get("transactionId") != first.get("transactionId"):
        raise ScenarioFailed(f"the replay answered another transaction: {again}")
    conflict = run.target.request("POST", "/transactions", body | {"amount": 99.99})
    expect(conflict, 409, "the same id with another amount")
    return "the same POST again: 200 with the stored transaction; another amount: 409"


def a_digest_is_published(run: Run) -> str:
    if run.flagged_id is None:
        raise ScenarioFailed("no flagged transaction to look for (the verdict scenario failed)")
    started = time.monotonic()
    wait_for(lambda: run.target.digest_lists(run.flagged_id), DIGEST_DEADLINE_SECONDS,
             f"digest listing {run.flagged_id}")
    return f"notify-team published a digest listing it after {time.monotonic() - started:.1f} s"


SCENARIOS: list[tuple[str, Callable[[Run], str]]] = [
    ("unsigned requests are refused", unsigned_requests_are_refused),
    ("valid transactions reach their verdicts", valid_transactions_reach_their_verdicts),
    ("bad input is 400 and nothing is stored", bad_input_is_400_and_nothing_is_stored),
    ("replays are idempotent", replays_are_idempotent),
    ("a digest is published", a_digest_is_published),
]


@dataclass(frozen=True)
class Outcome:
    scenario: str
    passed: bool
    detail: str


def run_scenarios(target: HttpTarget, report: Callable[[Outcome], None] = lambda _: None,
                  ) -> list[Outcome]:
    """Every scenario in order against ``target``; ``report`` hears each outcome as it comes."""
    run, outcomes = Run(target), []
    for name, scenario in SCENARIOS:
        if name == SCENARIOS[0][0] and not target.enforces_auth:
            continue
        try:
            outcome = Outcome(name, True, scenario(run))
        except (ScenarioFailed, OSError) as error:
            outcome = Outcome(name, False, str(error))
        outcomes.append(outcome)
        report(outcome)
    return outcomes
