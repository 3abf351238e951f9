"""The replay's time discipline, its window, and what removing a rule changes."""

import random
from datetime import date

import numpy as np
import pytest
from common.features import FEATURE_NAMES
from common.model import FORMAT, forest_from_dict
from common.rules import ENTITY_RULE_CODES, RULE_CODES, RuleConfig, without_rule
from common.scoring import order_key

from backtest.entity_scorer import ModelScorer
from backtest.replay import RulesScorer, Window, replay
from tests.backtest.data import DAY_MS, T0, dataset_of, row

WINDOW = Window(date(2018, 8, 8), date(2018, 8, 14))
DELAY_DAYS = 2


class Recording(RulesScorer):
    """The rules, noting what they had been shown at each verdict."""

    def __init__(self, rules):
        super().__init__(rules)
        self.observed: list[tuple[int, str]] = []
        self.labelled: list[tuple[int, str]] = []
        self.seen: dict[tuple[int, str], tuple[list, list]] = {}  # per transaction scored

    def verdict(self, transaction, rules):
        self.seen[order_key(transaction)] = (list(self.observed), list(self.labelled))
        return super().verdict(transaction, rules)

    def observe(self, transaction):
        self.observed.append(order_key(transaction))
        super().observe(transaction)

    def label(self, transaction, fraud):
        self.labelled.append(order_key(transaction))


def _traffic(seed=7, count=600):
    """Shuffled rows over 16 days around the window, some at equal timestamps."""
    rng = random.Random(seed)
    start = T0 - 8 * DAY_MS
    times = sorted(start + rng.randrange(16 * DAY_MS) for _ in range(count))
    times[10:14] = [times[10]] * 4  # a tie, ordered by id
    rows = [row(n, f"acct-{rng.randrange(20)}", timestamp=t, fraud=int(rng.random() < 0.1),
                amount=f"{rng.randrange(100, 30000) / 100:.2f}",
                country=rng.choice(["DE", "DE", "FR"]))
            for n, t in enumerate(times)]
    rng.shuffle(rows)
    return rows


def test_each_transaction_sees_only_earlier_ones_and_labels_only_after_the_delay(tmp_path):
    dataset = dataset_of(tmp_path, _traffic())
    scorer = Recording(RuleConfig())
    replayed = replay(dataset, RuleConfig(), WINDOW, DELAY_DAYS, scorer=scorer)
    keys = [(int(t), i) for t, i in zip(dataset.timestamps, dataset.ids, strict=True)]
    assert keys == sorted(keys)  # replay order, whatever the file's order
    assert len(scorer.seen) == len(replayed) > 100
    for key, (observed, labelled) in scorer.seen.items():
        now = key[0]
        assert observed == [k for k in keys if k < key]  # every earlier one, nothing later
        # A label arrives once D days have passed, never before, and then at once.
        assert labelled == [k for k in keys if k[0] + DELAY_DAYS * DAY_MS <= now and k < key]


def test_only_the_windows_days_are_scored_from_the_first_to_the_last_millisecond(tmp_path):
    inside = [T0, T0 + 7 * DAY_MS - 1]
    outside = [T0 - 1, T0 + 7 * DAY_MS]
    rows = [row(n, timestamp=t) for n, t in enumerate(inside + outside)]
    dataset = dataset_of(tmp_path, rows)
    replayed = replay(dataset, RuleConfig(), WINDOW, DELAY_DAYS)
    assert sorted(dataset.timestamps[replayed.rows].tolist()) == inside


def test_an_account_is_known_compromised_once_the_label_of_its_fraud_has_arrived(tmp_path):
    delay = DELAY_DAYS * DAY_MS
    fraud_at = T0 - DAY_MS  # in the delay period before the window
    rows = [row(1, "acct-1", timestamp=fraud_at, fraud=1),
            row(2, "acct-1", timestamp=fraud_at + delay - 1),  # its label not yet arrived
            row(3, "acct-1", timestamp=fraud_at + delay),  # arrived
            row(4, "acct-2", timestamp=fraud_at + delay),
            # A fraud older than the week before the delay does not make the card known.
            row(5, "acct-3", timestamp=T0 - delay - 7 * DAY_MS - 1, fraud=1),
            row(6, "acct-3", timestamp=T0 + DAY_MS)]
    dataset = dataset_of(tmp_path, rows)
    replayed = replay(dataset, RuleConfig(), WINDOW, DELAY_DAYS)
    known = dict(zip((dataset.ids[r] for r in replayed.rows), replayed.known_compromised,
                     strict=True))
    assert known == {"tx-00002": False, "tx-00003": True, "tx-00004": False,
                     "tx-00006": False}


@pytest.mark.parametrize("code", RULE_CODES)
def test_the_scores_without_a_rule_are_a_replay_with_its_weight_zero(tmp_path, code):
    rows = _traffic(seed=3)
    rows += [row(1000 + n, "acct-burst", timestamp=T0 + n * 1000, mcc="7995") for n in range(6)]
    rows.append(row(2000, "acct-burst", timestamp=T0 + 3_600_000, amount="15000.00"))
    dataset = dataset_of(tmp_path, rows)
    rules = RuleConfig()
    replayed = replay(dataset, rules, WINDOW, DELAY_DAYS)
    assert replayed.fired(code).any()
    without = replay(dataset, without_rule(rules, code), WINDOW, DELAY_DAYS)
    scores, suspicious = replayed.without[code]
    assert np.array_equal(scores, without.scores)
    assert np.array_equal(suspicious, without.suspicious)
    assert not np.array_equal(scores, replayed.scores)


@pytest.mark.parametrize("code", ENTITY_RULE_CODES)
def test_the_scores_without_an_entity_rule_are_a_replay_with_its_weight_zero(tmp_path, code):
    """A quiet model (probability 0), a terminal with labelled frauds 11 days before the
    window, an account of 25 small purchases that week, then the window's purchases there."""
    quiet = forest_from_dict({
        "format": FORMAT, "modelVersion": "forest-quiet", "labelDelayDays": 7,
        "features": list(FEATURE_NAMES),
        "trees": [{"feature": [0], "threshold": [0], "left": [-1], "right": [-1],
                   "value": [0.0]}]})
    early = T0 - 11 * DAY_MS
    rows = [row(n, f"acct-m{n}", timestamp=early + n * 60_000, fraud=int(n < 10),
                merchantId="term-risky") for n in range(25)]
    rows += [row(100 + n, "acct-spend", timestamp=early + n * 3_600_000, amount="20.00")
             for n in range(25)]
    rows += [row(200 + n, "acct-spend", timestamp=T0 + n * 3_600_000, amount=amount,
                 merchantId=merchant)
             for n, (amount, merchant) in enumerate([("90.00", "term-0"), ("25.00", "term-risky"),
                                                     ("25.00", "term-1")])]
    dataset = dataset_of(tmp_path, rows)
    rules = RuleConfig(merchant_risk_weight=40, spend_deviation_weight=30)  # 0 by default
    replayed = replay(dataset, rules, WINDOW, 7, scorer=ModelScorer(rules, quiet))
    assert replayed.fired(code).any()
    without = replay(dataset, without_rule(rules, code), WINDOW, 7,
                     scorer=ModelScorer(without_rule(rules, code), quiet))
    scores, suspicious = replayed.without[code]
    assert np.array_equal(scores, without.scores)
    assert np.array_equal(suspicious, without.suspicious)
    assert not np.array_equal(scores, replayed.scores)
