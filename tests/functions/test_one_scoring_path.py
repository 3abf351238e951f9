"""detect-fraud and the backtest give the same verdict for the same history: one code path.

One stream of transactions goes through detect-fraud on moto (stored, then analysed in stream
batches of varying size, history from the ``byAccount`` index) and through the backtest's
replay (read from CSV with the API's rules); every verdict is compared field by field.
"""

import random
from datetime import date
from decimal import Decimal

from common.rules import RULE_CODES, RuleConfig
from common.validation import canonical_amount

from backtest.dataset import read_dataset
from backtest.replay import RulesScorer, Window, replay
from tests.backtest.data import T0, row, write_rows
from tests.functions.pipeline import analyse, store, stored


class Verdicts(RulesScorer):
    """The rules as the replay runs them, keeping each transaction's verdict."""

    def __init__(self, rules):
        super().__init__(rules)
        self.rules, self.by_id = rules, {}

    def verdict(self, transaction, rules):
        verdict = super().verdict(transaction, rules)
        if rules is self.rules:  # not a rule's removal
            self.by_id[transaction["transactionId"]] = verdict
        return verdict


def _stream(seed=11):
    """Two hours of eight accounts, with what each rule looks for mixed in."""
    rng = random.Random(seed)
    rows, clock = [], T0 + 3_600_000
    for number in range(300):
        clock += rng.choice([0, 500, 4_000, 20_000, 90_000])  # 0: equal timestamps
        account = f"acct-{rng.randrange(8)}"
        amount = rng.choice(["12.50", "30.00", "45.10", "80.00", "310.00", "15000.00"])
        rows.append(row(number, account, timestamp=clock, amount=amount,
                        country=rng.choice(["DE"] * 5 + ["FR"]),
                        mcc=rng.choice(["5411"] * 8 + ["7995"])))
    rows += [row(400 + n, "acct-burst", timestamp=T0 + 600_000 + n * 5_000) for n in range(7)]
    return rows


def test_detect_fraud_and_the_backtest_give_the_same_verdicts(
        detect_app, context, session, outputs, tmp_path):
    rows = sorted(_stream(), key=lambda r: (r["timestamp"], r["transactionId"]))
    items = [{**{name: value for name, value in r.items() if name != "fraud"},
              "amount": canonical_amount(Decimal(r["amount"])), "fraudStatus": "PENDING"}
             for r in rows]
    rng, sequence, start = random.Random(5), 1, 0
    while start < len(items):  # as the stream delivers them: batches of 1 to 40
        batch = items[start:start + rng.randint(1, 40)]
        store(session, outputs, batch)
        assert analyse(detect_app, context, batch, first_sequence=sequence) == []
        sequence, start = sequence + len(batch), start + len(batch)
    live = stored(session, outputs)

    rules = RuleConfig()
    scorer = Verdicts(rules)
    dataset = read_dataset(write_rows(tmp_path / "stream.csv", rows))
    replay(dataset, rules, Window(date(2018, 8, 8), date(2018, 8, 8)), 7, scorer=scorer)

    assert set(scorer.by_id) == set(live)
    for transaction_id, verdict in scorer.by_id.items():
        item = live[transaction_id]
        assert (item["fraudScore"], item["fraudStatus"], item["fraudReasons"]) == (
            verdict.score, verdict.status, verdict.codes), transaction_id
        assert item["fraudReasonDetails"] == [reason.as_dict() for reason in verdict.reasons]
    fired = {code for verdict in scorer.by_id.values() for code in verdict.codes}
    assert fired == set(RULE_CODES)  # every rule had its say
