"""The metric functions against cases computed by hand, and against their definitions."""

import math
import random

import numpy as np
import pytest

from backtest.metrics import (
    AtThreshold,
    auc_roc,
    average_precision,
    card_precision_at_k,
    precision_recall_curve,
)

FRAUDS = np.array([1, 0, 1, 0, 0], dtype=bool)
SCORES = np.array([90, 80, 40, 40, 10])


def test_auc_counts_a_tie_between_a_fraud_and_a_genuine_as_half():
    # Frauds 90 and 40 against genuine 80, 40, 10: 3 + (0 + 0.5 + 1) of 6 pairs.
    assert auc_roc(FRAUDS, SCORES) == 0.75


def test_average_precision_takes_a_tie_as_one_threshold():
    # score >= 90: P 1, R 0.5; >= 80: P 0.5, R 0.5; >= 40: P 0.5, R 1; >= 10: P 0.4, R 1.
    curve = precision_recall_curve(FRAUDS, SCORES)
    assert curve.thresholds.tolist() == [90, 80, 40, 10]
    assert curve.precision.tolist() == [1, 0.5, 0.5, 0.4]
    assert curve.recall.tolist() == [0.5, 0.5, 1, 1]
    assert average_precision(FRAUDS, SCORES) == 0.5 * 1 + 0.5 * 0.5


def test_one_score_for_everything_ranks_nothing():
    frauds = np.array([1, 0, 0, 0], dtype=bool)
    same = np.full(4, 25)
    assert auc_roc(frauds, same) == 0.5
    assert average_precision(frauds, same) == 0.25


def test_without_both_classes_the_ranking_metrics_are_undefined():
    assert math.isnan(auc_roc(np.zeros(3, dtype=bool), np.arange(3)))
    assert math.isnan(average_precision(np.zeros(3, dtype=bool), np.arange(3)))


def _pairwise_auc(frauds, scores):
    positives = [s for f, s in zip(frauds, scores, strict=True) if f]
    negatives = [s for f, s in zip(frauds, scores, strict=True) if not f]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def _average_precision_by_definition(frauds, scores):
    total, recall_before = 0.0, 0.0
    for threshold in sorted(set(scores), reverse=True):
        flagged = [f for f, s in zip(frauds, scores, strict=True) if s >= threshold]
        recall = sum(flagged) / sum(frauds)
        total += (recall - recall_before) * sum(flagged) / len(flagged)
        recall_before = recall
    return total


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ranking_metrics_match_their_definitions_on_tied_scores(seed):
    rng = random.Random(seed)
    frauds = [rng.random() < 0.2 for _ in range(300)]
    frauds[0], frauds[1] = True, False
    scores = [rng.choice([0, 25, 30, 55, 60, 85, 100]) for _ in frauds]
    labels = np.array(frauds)
    assert auc_roc(labels, np.array(scores)) == pytest.approx(_pairwise_auc(frauds, scores))
    assert average_precision(labels, np.array(scores)) == pytest.approx(
        _average_precision_by_definition(frauds, scores))


def _cards(rows):
    days, accounts, frauds, scores = zip(*rows, strict=True)
    return (np.array(days), np.array(accounts), np.array(frauds, dtype=bool),
            np.array(scores))


def test_card_precision_takes_each_cards_best_score_and_drops_the_cards_already_found():
    a, b, c, d, e = range(5)  # account codes in account-id order
    rows = [
        # day 0: A's best score is 90 and it has a fraud; top 2 = A (fraud), B: 1/2.
        (0, a, False, 90), (0, a, True, 10), (0, b, False, 80), (0, c, True, 70),
        # day 1: A was found and leaves; top 2 = B, then C before D (a tie, by id): 1/2.
        (1, a, True, 95), (1, b, False, 60), (1, d, False, 50), (1, c, True, 50),
        # day 2: C was found too; E alone, genuine: 0.
        (2, c, True, 99), (2, e, False, 10),
    ]
    result = card_precision_at_k(*_cards(rows), k=2)
    assert result.days == [0, 1, 2]
    assert result.per_day == [0.5, 0.5, 0.0]
    assert result.mean == pytest.approx(1 / 3)


def test_card_precision_breaks_a_tie_by_account_order():
    # The same day as day 1 above, with D before C in account order: D takes the last place.
    rows = [(1, 0, False, 60), (1, 1, False, 50), (1, 2, True, 50)]
    assert card_precision_at_k(*_cards(rows), k=2).per_day == [0.0]


def test_card_precision_divides_by_k_even_when_fewer_cards_transact():
    rows = [(0, 0, True, 10), (0, 1, False, 5), (0, 2, False, 0)]
    assert card_precision_at_k(*_cards(rows), k=100).per_day == [0.01]


def test_precision_recall_and_f1_of_the_suspicious_status():
    frauds = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    suspicious = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    at = AtThreshold.of(frauds, suspicious)
    assert (at.flagged, at.true_positives, at.false_positives, at.false_negatives) == (
        3, 2, 1, 1)
    assert (at.precision, at.recall) == (2 / 3, 2 / 3)
    assert at.f1 == pytest.approx(2 / 3)
    nothing = AtThreshold.of(frauds, np.zeros(6, dtype=bool))
    assert math.isnan(nothing.precision)
    assert (nothing.recall, nothing.f1) == (0.0, 0.0)
