"""A seeded synthetic workload: accounts with everyday spending, injected fraud, and labels.

Each account spends in its home country and currency (groceries, restaurants, fuel, transit,
...; amounts log-normal around a personal median, a few minutes apart). The first accounts
end with one scenario each, every scenario once, and about a third of the others with one at
random, labelled with the ground truth (fraud or not) and the rules it is meant to trip:

================  =====  ===========================================  =====================
scenario          fraud  what happens                                 meant to trip
================  =====  ===========================================  =====================
card-testing      yes    six tiny online payments within a minute     VELOCITY (5th, 6th)
account-takeover  yes    a payment abroad minutes after one at home   GEO_JUMP
stolen-card       yes    one 10,000 to 40,000 purchase                HIGH_AMOUNT
cash-out          yes    6 to 9 times the usual, gambling or crypto   AMOUNT_SPIKE + MCC
spend-spike       yes    6 to 9 times the usual, at an electronics    AMOUNT_SPIKE (alone:
                         shop                                         30, not flagged)
big-ticket        no     a genuine 10,000 to 15,000 purchase          HIGH_AMOUNT
cross-border      no     an online purchase from a neighbouring       GEO_JUMP
                         country, minutes after one at home
crypto-purchase   no     a usual amount at a crypto exchange          HIGH_RISK_MCC (25,
                                                                      not flagged)
traveller         no     a payment abroad hours after the last one    nothing
================  =====  ===========================================  =====================

So the rules' precision and recall against the labels are honest figures: some fraud slips
through (the first card tests, the quiet spike) and some genuine spending is flagged. A few
invalid requests (to show rejections) and replays (to show idempotency) are mixed in.
Every account's transactions are in timestamp order; the whole workload spans the hours
before ``now``.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from common import json_codec
from common.rules import AMOUNT_SPIKE, GEO_JUMP, HIGH_AMOUNT, HIGH_RISK_MCC, VELOCITY

CENT = Decimal("0.01")
SPAN_MS = 5 * 3600 * 1000  # the workload's timestamps cover the 5 hours before it starts
MINUTE_MS = 60_000

HOME_COUNTRIES = {"DE": ("EUR", 25), "FR": ("EUR", 15), "GB": ("GBP", 15), "ES": ("EUR", 10),
                  "IT": ("EUR", 10), "NL": ("EUR", 8), "PL": ("PLN", 7), "SE": ("SEK", 5),
                  "US": ("USD", 5)}
NEIGHBOURS = {"DE": "AT", "FR": "BE", "GB": "IE", "ES": "PT", "IT": "CH", "NL": "BE",
              "PL": "CZ", "SE": "DK", "US": "CA"}
FAR_AWAY = ("BR", "NG", "TH", "VN", "PH", "ID", "MX")
# Everyday merchant categories (ISO 18245) and how often they appear.
EVERYDAY_MCCS = {"5411": 30, "5812": 15, "5814": 10, "5541": 10, "4111": 8, "4121": 4,
                 "5912": 5, "5311": 5, "5691": 5, "5732": 3, "5942": 2, "7832": 3}
HIGH_RISK_MCCS = ("7995", "6051")  # gambling, crypto (quasi-cash)
BIG_TICKET_MCCS = ("5511", "5712")  # car dealers, furniture
ATM_MCC = "6011"

SCENARIOS: dict[str, tuple[bool, tuple[str, ...]]] = {  # name → (fraud, rules meant to trip)
    "card-testing": (True, (VELOCITY,)),
    "account-takeover": (True, (GEO_JUMP,)),
    "stolen-card": (True, (HIGH_AMOUNT,)),
    "cash-out": (True, (AMOUNT_SPIKE, HIGH_RISK_MCC)),
    "spend-spike": (True, (AMOUNT_SPIKE,)),
    "big-ticket": (False, (HIGH_AMOUNT,)),
    "cross-border": (False, (GEO_JUMP,)),
    "crypto-purchase": (False, (HIGH_RISK_MCC,)),
    "traveller": (False, ()),
}
EVERYDAY = "everyday"
SCENARIO_SHARE = 0.35  # of accounts that end with a scenario
INVALID_SHARE = 0.03  # of requests that are invalid
REPLAY_SHARE = 0.01  # of transactions posted twice


@dataclass(frozen=True)
class Transaction:
    body: dict[str, Any]  # the POST body, amounts as Decimal
    scenario: str  # EVERYDAY or a key of SCENARIOS
    fraud: bool  # the ground truth
    meant_to_trip: tuple[str, ...] = ()  # rule codes the scenario is built to trigger

    @property
    def id(self) -> str:
        return self.body["transactionId"]

    @property
    def account(self) -> str:
        return self.body["accountId"]


@dataclass(frozen=True)
class Request:
    """One POST of the workload, in sending order within its account."""

    body: str
    expected_status: int  # 201 new, 200 replay, 400 invalid
    transaction: Transaction | None = None  # None for an invalid request
    reason: str = ""  # why an invalid request is invalid


@dataclass
class Workload:
    seed: int
    transactions: list[Transaction] = field(default_factory=list)
    # Each account's requests in the order they must be sent (its timestamps ascending).
    requests_by_account: dict[str, list[Request]] = field(default_factory=dict)

    @property
    def requests(self) -> Iterator[Request]:
        for requests in self.requests_by_account.values():
            yield from requests

    def days(self) -> list[str]:
        """The UTC days the transactions' timestamps fall on."""
        return sorted({datetime.fromtimestamp(t.body["timestamp"] / 1000, UTC).date().isoformat()
                       for t in self.transactions})


# A scenario's payment: (amount, mcc, "home" | "neighbour" | "far", timestamp, channel, whether
# it is one of the payments meant to trip the scenario's rules).
_Event = tuple[Decimal, str, str, int, str, bool]


def _amount(value: float) -> Decimal:
    return max(CENT, Decimal(str(value)).quantize(CENT))


class _Generator:
    def __init__(self, seed: int, now_ms: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 - a reproducible workload, not secrets
        self.seed = seed
        self.now_ms = now_ms
        self.start_ms = now_ms - SPAN_MS
        self.end_ms = now_ms - MINUTE_MS
        self.count = 0
        self._scenarios = list(SCENARIOS)
        self.random.shuffle(self._scenarios)
        self._accounts = 0

    def _next_scenario(self) -> str | None:
        """Every scenario once in the first accounts, in a seeded order; then at random."""
        self._accounts += 1
        if self._accounts <= len(self._scenarios):
            return self._scenarios[self._accounts - 1]
        return self.random.choice(self._scenarios) if self.random.random() < SCENARIO_SHARE \
            else None

    def _id(self) -> str:
        self.count += 1
        return f"demo-{self.seed}-{self.count:06d}"

    def _body(self, account: str, amount: Decimal, currency: str, mcc: str, country: str,
              timestamp: int, channel: str) -> dict[str, Any]:
        return {"transactionId": self._id(), "accountId": account, "amount": amount,
                "currency": currency, "merchantId": f"m-{mcc}-{self.random.randrange(40):03d}",
                "merchantCategory": mcc, "timestamp": timestamp, "country": country,
                "channel": channel}

    def account(self, number: int) -> list[Transaction]:
        pick = self.random
        account = f"acct-{self.seed}-{number:05d}"
        home = pick.choices(list(HOME_COUNTRIES), [w for _, w in HOME_COUNTRIES.values()])[0]
        currency = HOME_COUNTRIES[home][0]
        median = pick.uniform(15, 80)
        scenario = self._next_scenario()
        everyday_count = pick.randint(4, 10)
        # At most 45 + 10 x 8 minutes of everyday spending, then at most 120 for the longest
        # scenario (a trip abroad): within the span, so no timestamp is in the future.
        timestamp = pick.randint(self.start_ms, self.start_ms + 45 * MINUTE_MS)
        history: list[Transaction] = []
        for _ in range(everyday_count):
            timestamp += pick.randint(2 * MINUTE_MS, 8 * MINUTE_MS)
            channel = pick.choices(("pos", "online", "atm"), (70, 25, 5))[0]
            mcc = ATM_MCC if channel == "atm" else pick.choices(
                list(EVERYDAY_MCCS), list(EVERYDAY_MCCS.values()))[0]
            amount = _amount(min(pick.lognormvariate(0, 0.6) * median, 900))
            history.append(Transaction(
                self._body(account, amount, currency, mcc, home, timestamp, channel),
                EVERYDAY, fraud=False))
        if scenario is None:
            return history
        mean = sum(t.body["amount"] for t in history[-20:]) / len(history[-20:])
        fraud, meant = SCENARIOS[scenario]
        events = self._scenario(scenario, mean, timestamp)
        return history + [Transaction(self._body(account, amount, currency, mcc, country, at,
                                                 channel), scenario, fraud, rules)
                          for amount, mcc, country, at, channel, rules in self._place(
                              events, home, meant)]

    def _scenario(self, name: str, mean: Decimal, last_ms: int) -> list[_Event]:
        """The scenario's payments after the everyday one at ``last_ms``."""
        pick = self.random
        spike = _amount(float(mean) * pick.uniform(6, 9))
        if name == "card-testing":
            at = last_ms + pick.randint(3 * MINUTE_MS, 20 * MINUTE_MS)
            events = []
            for number in range(6):
                at += pick.randint(5_000, 9_000)
                events.append((_amount(pick.uniform(0.5, 4.99)), "5999", "home", at, "online",
                               number >= 4))
            return events
        later = last_ms + pick.randint(5 * MINUTE_MS, 45 * MINUTE_MS)
        return {
            "account-takeover": [(_amount(float(mean) * pick.uniform(1.5, 3)), "5732", "far",
                                  later, "pos", True)],
            "stolen-card": [(_amount(pick.uniform(10_000, 40_000)), "5944", "home", later, "pos",
                             True)],
            "cash-out": [(min(spike, Decimal("9999.00")), pick.choice(HIGH_RISK_MCCS), "home",
                          later, "online", True)],
            "spend-spike": [(min(spike, Decimal("9999.00")), "5732", "home", later, "pos", True)],
            "big-ticket": [(_amount(pick.uniform(10_000, 15_000)), pick.choice(BIG_TICKET_MCCS),
                            "home", later, "pos", True)],
            "cross-border": [(_amount(float(mean)), "5691", "neighbour", later, "online", True)],
            "crypto-purchase": [(_amount(float(mean)), "6051", "home", later, "online", True)],
            "traveller": [(_amount(float(mean) * pick.uniform(0.5, 2)), "7011", "far",
                           last_ms + pick.randint(90 * MINUTE_MS, 120 * MINUTE_MS), "pos",
                           False)],
        }[name]

    def _place(self, events: list[_Event], home: str, meant: tuple[str, ...],
               ) -> Iterator[tuple[Decimal, str, str, int, str, tuple[str, ...]]]:
        """Each event with its country (home, a neighbour, or far away) and the rules it trips."""
        places = {"home": home, "neighbour": NEIGHBOURS[home],
                  "far": self.random.choice(FAR_AWAY)}
        for amount, mcc, where, at, channel, trips in events:
            yield amount, mcc, places[where], at, channel, meant if trips else ()

    def invalid(self, valid: dict[str, Any]) -> Request:
        """An invalid variant of ``valid`` (a transaction body), as clients get them wrong."""
        body = {key: value for key, value in valid.items() if key != "transactionId"}
        kind = self.random.choice(("malformed JSON", "amount as text", "unknown field",
                                   "card number as account", "timestamp in the future",
                                   "lower-case currency", "missing country",
                                   "control character"))
        match kind:
            case "malformed JSON":
                return Request(json_codec.dumps(body)[:-1], 400, reason=kind)
            case "amount as text":
                body["amount"] = str(body["amount"])
            case "unknown field":
                body["cardholderName"] = "J. Doe"
            case "card number as account":
                body["accountId"] = "4111111111111111"
            case "timestamp in the future":
                body["timestamp"] = self.now_ms + 24 * 60 * MINUTE_MS
            case "lower-case currency":
                body["currency"] = body["currency"].lower()
            case "missing country":
                del body["country"]
            case "control character":
                body["merchantId"] = "m-\u0007-bell"
        return Request(json_codec.dumps(body), 400, reason=kind)


def generate(transactions: int, seed: int, now_ms: int) -> Workload:
    """About ``transactions`` transactions (whole accounts), plus invalid requests and replays."""
    generator = _Generator(seed, now_ms)
    workload = Workload(seed=seed)
    number = 0
    while len(workload.transactions) < transactions:
        number += 1
        account = generator.account(number)
        workload.transactions += account
        requests: list[Request] = []
        for transaction in account:
            body = json_codec.dumps(transaction.body)
            requests.append(Request(body, 201, transaction))
            if generator.random.random() < INVALID_SHARE:
                requests.append(generator.invalid(transaction.body))
            if generator.random.random() < REPLAY_SHARE:
                requests.append(Request(body, 200, transaction))
        workload.requests_by_account[account[0].account] = requests
    return workload


def labels(workload: Workload) -> dict[str, Transaction]:
    """Every transaction of ``workload`` by id."""
    return {transaction.id: transaction for transaction in workload.transactions}


def describe(request: Request) -> str:
    """A short description of a request, for error messages."""
    if request.transaction is None:
        return f"invalid request ({request.reason})"
    return f"{request.transaction.id} ({request.transaction.scenario})"

