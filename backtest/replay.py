"""The replay: past traffic in time order through the scoring path detect-fraud runs.

Time discipline, kept by the replay (and checked by tests):

- transactions go by in ``common.scoring.order_key`` order; each is scored from what the
  scorer has been shown so far, all of it earlier;
- a transaction's label (``fraud``) reaches the scorer only once ``label_delay_days`` have
  passed since it: when the first transaction at least that much later comes by. Labels arrive
  late in real life (chargebacks, analysts), and a backtest that saw them early would promise
  a detection no one can run.

Only the transactions of the window (UTC days ``first_day`` to ``last_day``) get a verdict;
those before it build the history, those after it cannot change it and are not read.

An account is *known compromised* once the label of a fraud of its, made in the week before
the label delay that precedes the window or later, has arrived. The Handbook leaves such cards
out of its test sets (a bank blocks them; chapter 3.4, ``get_train_test_set``: the frauds of
the training week and, day by day, of the delay period), and so do the metrics. Without that
horizon almost every card would count: over months, most customers meet a compromised terminal.

Per rule, the replay also scores the window without that rule (its weight 0) wherever the
rule fired: elsewhere the verdict is the same. That is what "removing the rule" would change.
"""

from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
from common.rules import ENTITY_RULE_CODES, RULE_CODES, RuleConfig, Verdict, without_rule
from common.scoring import score
from common.transaction import SUSPICIOUS

from backtest.dataset import MS_PER_DAY, Dataset

Transaction = Mapping[str, Any]
KNOWN_COMPROMISED_WEEK_DAYS = 7  # the Handbook's training week, before the delay period


class Scorer(Protocol):
    """What the replay drives: a verdict now, then the transaction as history, later its label."""

    def verdict(self, transaction: Transaction, rules: RuleConfig) -> Verdict: ...

    def observe(self, transaction: Transaction) -> None: ...

    def label(self, transaction: Transaction, fraud: bool) -> None: ...


class RulesScorer:
    """The rules, fed as detect-fraud feeds them: the account's latest transactions."""

    def __init__(self, rules: RuleConfig) -> None:
        self.history: defaultdict[str, deque[Transaction]] = defaultdict(
            lambda: deque(maxlen=rules.history_needed))

    def verdict(self, transaction: Transaction, rules: RuleConfig) -> Verdict:
        return score(transaction, self.history[transaction["accountId"]], rules)

    def observe(self, transaction: Transaction) -> None:
        self.history[transaction["accountId"]].append(transaction)

    def label(self, transaction: Transaction, fraud: bool) -> None:
        """The rules learn nothing from labels (a trained model will)."""


@dataclass(frozen=True)
class Window:
    """UTC days, both included."""

    first_day: date
    last_day: date

    @property
    def start_ms(self) -> int:
        return (self.first_day - date(1970, 1, 1)).days * MS_PER_DAY

    @property
    def end_ms(self) -> int:  # exclusive
        return ((self.last_day - date(1970, 1, 1)).days + 1) * MS_PER_DAY


@dataclass
class Replayed:
    """The window's verdicts, one entry per scored transaction, in replay order."""

    rows: np.ndarray  # the dataset's rows
    scores: np.ndarray
    suspicious: np.ndarray  # bool
    reason_sets: list[tuple[str, ...]]  # each distinct list of reason codes, once
    reasons: np.ndarray  # per transaction: an index into reason_sets
    known_compromised: np.ndarray  # bool: its account was known compromised (see above)
    # Per rule: the scores and statuses had the rule added nothing (its weight 0).
    without: dict[str, tuple[np.ndarray, np.ndarray]]

    def __len__(self) -> int:
        return len(self.rows)

    def fired(self, code: str) -> np.ndarray:
        """Where rule ``code`` is among the reasons."""
        sets = np.array([code in codes for codes in self.reason_sets] or [False])
        return sets[self.reasons]


def _rows_in(dataset: Dataset, window: Window) -> tuple[int, int]:
    return (int(np.searchsorted(dataset.timestamps, window.start_ms)),
            int(np.searchsorted(dataset.timestamps, window.end_ms)))


def replay(dataset: Dataset, rules: RuleConfig, window: Window, label_delay_days: int,
           scorer: Scorer | None = None,
           progress: Callable[[int, int], None] = lambda _done, _total: None) -> Replayed:
    """Replay ``dataset`` up to the end of ``window``; the window's verdicts."""
    scorer = scorer or RulesScorer(rules)
    delay_ms = label_delay_days * MS_PER_DAY
    first, stop = _rows_in(dataset, window)
    ablations = {code: without_rule(rules, code) for code in RULE_CODES + ENTITY_RULE_CODES}
    pending: deque[tuple[Transaction, bool]] = deque()  # observed, label not yet arrived
    known_from_ms = window.start_ms - (label_delay_days + KNOWN_COMPROMISED_WEEK_DAYS) * MS_PER_DAY
    compromised: set[str] = set()
    frauds = dataset.fraud[:stop].tolist()
    scores, suspicious, reasons, known = array("B"), array("b"), array("i"), array("b")
    reason_index: dict[tuple[str, ...], int] = {}
    without: dict[str, tuple[array, array]] = {code: (array("B"), array("b"))
                                                 for code in ablations}
    progress(0, stop)
    for row, transaction in enumerate(dataset.transactions(0, stop)):
        now = transaction["timestamp"]
        while pending and pending[0][0]["timestamp"] + delay_ms <= now:
            labelled, fraud = pending.popleft()
            scorer.label(labelled, fraud)
            if fraud and labelled["timestamp"] >= known_from_ms:
                compromised.add(labelled["accountId"])
        if row >= first:
            verdict = scorer.verdict(transaction, rules)
            scores.append(verdict.score)
            suspicious.append(verdict.status == SUSPICIOUS)
            codes = tuple(verdict.codes)
            reasons.append(reason_index.setdefault(codes, len(reason_index)))
            known.append(transaction["accountId"] in compromised)
            for code, (ablated_scores, ablated_suspicious) in without.items():
                ablated = (scorer.verdict(transaction, ablations[code]) if code in codes
                           else verdict)
                ablated_scores.append(ablated.score)
                ablated_suspicious.append(ablated.status == SUSPICIOUS)
        scorer.observe(transaction)
        pending.append((transaction, frauds[row]))
        if row % 10_000 == 0:
            progress(row, stop)
    progress(stop, stop)
    return Replayed(
        rows=np.arange(first, stop), scores=np.frombuffer(scores, dtype=np.uint8).copy(),
        suspicious=np.frombuffer(suspicious, dtype=np.int8).astype(bool),
        reason_sets=list(reason_index), reasons=np.frombuffer(reasons, dtype=np.int32).copy(),
        known_compromised=np.frombuffer(known, dtype=np.int8).astype(bool),
        without={code: (np.frombuffer(s, dtype=np.uint8).copy(),
                        np.frombuffer(f, dtype=np.int8).astype(bool))
                 for code, (s, f) in without.items()})
