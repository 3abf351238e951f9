"""The figures of a replay: the metrics on the window, and what each rule contributes.

The evaluated transactions are the window's, less those of accounts already known to be
compromised when they happened (a fraud label of theirs had arrived): as in the Handbook's
test sets (chapter 3.4, ``get_train_test_set``), since a bank blocks a card it knows is stolen.
"""

from dataclasses import dataclass

import numpy as np
from common.rules import ENTITY_RULE_CODES, RULE_CODES

from backtest.dataset import Dataset
from backtest.metrics import (
    AtThreshold,
    CardPrecision,
    Curve,
    auc_roc,
    average_precision,
    card_precision_at_k,
    precision_recall_curve,
)
from backtest.replay import Replayed


@dataclass(frozen=True)
class Figures:
    auc_roc: float
    average_precision: float
    card_precision: CardPrecision
    at_threshold: AtThreshold


@dataclass(frozen=True)
class RuleEffect:
    code: str
    hits: int
    fraud_hits: int
    without: Figures  # the figures with the rule adding nothing


@dataclass(frozen=True)
class Evaluation:
    scored: int  # the window's transactions
    left_out: int  # of accounts known compromised
    frauds: np.ndarray  # of the evaluated transactions, as the arrays below
    scores: np.ndarray
    figures: Figures
    curve: Curve
    rules: list[RuleEffect]

    @property
    def evaluated(self) -> int:
        return len(self.frauds)


class _Evaluated:
    """The evaluated transactions' labels, days and accounts, to score any set of verdicts."""

    def __init__(self, dataset: Dataset, replayed: Replayed) -> None:
        self.keep = ~replayed.known_compromised
        rows = replayed.rows[self.keep]
        self.frauds = dataset.fraud[rows]
        self.days = dataset.days[rows]
        accounts = dataset.texts["accountId"]
        rank = np.empty(len(accounts), dtype=np.int64)
        rank[sorted(range(len(accounts)), key=accounts.__getitem__)] = np.arange(len(accounts))
        self.accounts = rank[dataset.codes["accountId"][rows]]  # in account-id order

    def figures(self, scores: np.ndarray, suspicious: np.ndarray) -> Figures:
        scores, suspicious = scores[self.keep], suspicious[self.keep]
        return Figures(
            auc_roc=auc_roc(self.frauds, scores),
            average_precision=average_precision(self.frauds, scores),
            card_precision=card_precision_at_k(self.days, self.accounts, self.frauds, scores),
            at_threshold=AtThreshold.of(self.frauds, suspicious))


def evaluate(dataset: Dataset, replayed: Replayed) -> Evaluation:
    evaluated = _Evaluated(dataset, replayed)
    scores = replayed.scores[evaluated.keep]
    effects = []
    for code in RULE_CODES + ENTITY_RULE_CODES:
        fired = replayed.fired(code)[evaluated.keep]
        effects.append(RuleEffect(
            code=code, hits=int(fired.sum()), fraud_hits=int((fired & evaluated.frauds).sum()),
            without=evaluated.figures(*replayed.without[code])))
    return Evaluation(
        scored=len(replayed), left_out=int(replayed.known_compromised.sum()),
        frauds=evaluated.frauds, scores=scores,
        figures=evaluated.figures(replayed.scores, replayed.suspicious),
        curve=precision_recall_curve(evaluated.frauds, scores), rules=effects)
