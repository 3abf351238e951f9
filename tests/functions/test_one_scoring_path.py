"""detect-fraud and the backtest give the same verdict for the same history: one code path.

One stream of transactions goes through detect-fraud on moto (stored, then analysed in stream
batches of varying size, history from the ``byAccount`` index) and through the backtest's
replay (read from CSV with the API's rules); every verdict is compared field by field. With a
model, the entity days too (features table live, the replay's own in the backtest), labels
included, so the entity rules fire on both paths; and with the shipped model on entity days
that are the handlers' own writes (POSTed through process-transaction, counted by
detect-fraud's verdicts, labelled through the label route).
"""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from common import environment as env
from common import json_codec
from common.entity_days import entities_of, label_counters, update_action
from common.features import FEATURE_NAMES
from common.model import FORMAT, forest_from_dict, load_forest
from common.rules import ENTITY_RULE_CODES, RULE_CODES, RuleConfig, rule_config
from common.scoring import MODEL, order_key
from common.transaction import FRAUD, FRAUD_MODEL_VERSION
from common.validation import canonical_amount

from backtest.dataset import read_dataset
from backtest.entity_scorer import ModelScorer
from backtest.replay import RulesScorer, Window, replay
from shared.outputs import DataOutputs
from tests.backtest.data import DAY_MS, T0, row, write_rows
from tests.functions.conftest import started_with
from tests.functions.events import api_event
from tests.functions.pipeline import analyse, store, stored


class Recording:
    """Keeps each transaction's verdict as the replay scores it (not a rule's removal)."""

    def verdict(self, transaction, rules):
        verdict = super().verdict(transaction, rules)
        if rules is self.rules:
            self.by_id[transaction["transactionId"]] = verdict
        return verdict


class Verdicts(Recording, RulesScorer):
    """The rules as the replay runs them, keeping each transaction's verdict."""

    def __init__(self, rules):
        super().__init__(rules)
        self.rules, self.by_id = rules, {}


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


class ModelVerdicts(Recording, ModelScorer):
    def __init__(self, rules, forest):
        super().__init__(rules, forest)
        self.rules, self.by_id = rules, {}


QUIET_FOREST = forest_from_dict({  # fraud probability 0 for all: the entity rules have their say
    "format": FORMAT, "modelVersion": "forest-quiet", "labelDelayDays": 7,
    "features": list(FEATURE_NAMES),
    "trees": [{"feature": [0], "threshold": [0], "left": [-1], "right": [-1], "value": [0.0]}]})
# Weights for the entity rules (0 by default): both paths must add them alike.
WEIGHED = rule_config({"merchantRiskWeight": 40, "spendDeviationWeight": 30})
# Half a fraud above 4 times the account's baseline (its mean over the delayed 30 days): both
# paths must build it alike from their own entity days.
BASELINE_FOREST = forest_from_dict({
    "format": FORMAT, "modelVersion": "forest-baseline", "labelDelayDays": 7,
    "features": ["accountAmountOverBaseline"],
    "trees": [{"feature": [0, 0, 0], "threshold": [4, 0, 0], "left": [1, -1, -1],
               "right": [2, -1, -1], "value": [0.0, 0.0, 0.5]}]})
EARLY = T0 - 11 * DAY_MS  # 2018-07-28: its labels are in 7 days later, within the 30-day window


def _entity_stream():
    """A terminal with 10 frauds among 25 on one day, an account of 25 purchases of 20.00 that
    week; 11 days later, purchases there and of 90.00 (4.5 times its mean: no AMOUNT_SPIKE)."""
    rows = [row(n, f"acct-m{n}", timestamp=EARLY + n * 60_000, fraud=int(n < 10),
                merchantId="term-risky") for n in range(25)]
    rows += [row(100 + n, "acct-spend", timestamp=EARLY + n * 3_600_000, amount="20.00",
                 merchantId=f"term-{n % 3}") for n in range(25)]
    rows += [row(200, "acct-spend", timestamp=T0 + 60_000, amount="90.00",
                 merchantId="term-risky"),
             row(201, "acct-new", timestamp=T0 + 120_000, merchantId="term-risky"),
             row(202, "acct-spend", timestamp=T0 + 180_000, amount="25.00",
                 merchantId="term-1")]
    return sorted(rows, key=lambda r: (r["timestamp"], r["transactionId"]))


@pytest.mark.parametrize(("forest", "rules", "spend_codes", "spend_score"), [
    (QUIET_FOREST, WEIGHED, list(ENTITY_RULE_CODES), 70),
    (BASELINE_FOREST, RuleConfig(), [*ENTITY_RULE_CODES, MODEL], 50)])  # 90.00 over 20.00
def test_with_a_model_both_paths_read_the_same_entity_days_and_fire_the_entity_rules(
        detect_app, context, session, outputs, monkeypatch, tmp_path, forest, rules,
        spend_codes, spend_score):
    monkeypatch.setattr(detect_app, "FOREST", forest)
    monkeypatch.setattr(detect_app, "RULES", rules)
    rows = _entity_stream()
    items = {r["transactionId"]: {**{name: value for name, value in r.items() if name != "fraud"},
                                  "amount": canonical_amount(Decimal(r["amount"])),
                                  "fraudStatus": "PENDING"} for r in rows}
    early = [items[r["transactionId"]] for r in rows if r["timestamp"] < T0]
    store(session, outputs, early)
    assert analyse(detect_app, context, early) == []
    # The labels, as the label route counts them in the features table.
    dynamodb, features_table = session.client("dynamodb"), outputs[DataOutputs.FEATURES_TABLE_NAME]
    for r in rows:
        if r["fraud"]:
            dynamodb.transact_write_items(TransactItems=[
                update_action(features_table, entity, "2018-07-28", label_counters(None, FRAUD))
                for entity in entities_of(r)])
    window = [items[r["transactionId"]] for r in rows if r["timestamp"] >= T0]
    store(session, outputs, window)
    assert analyse(detect_app, context, window, first_sequence=500) == []
    live = stored(session, outputs)

    scorer = ModelVerdicts(rules, forest)
    dataset = read_dataset(write_rows(tmp_path / "stream.csv", rows))
    replay(dataset, rules, Window(date(2018, 8, 8), date(2018, 8, 8)), 7, scorer=scorer)

    assert set(scorer.by_id) == {item["transactionId"] for item in window}
    for transaction_id, verdict in scorer.by_id.items():
        item = live[transaction_id]
        assert (item["fraudScore"], item["fraudStatus"], item["fraudReasons"]) == (
            verdict.score, verdict.status, verdict.codes), transaction_id
        assert item["fraudReasonDetails"] == [reason.as_dict() for reason in verdict.reasons]
    assert {transaction_id: verdict.codes for transaction_id, verdict in scorer.by_id.items()} == {
        "tx-00200": spend_codes, "tx-00201": ["MERCHANT_RISK"], "tx-00202": []}
    assert live["tx-00200"]["fraudScore"] == spend_score


DEFAULT_MODEL = "default"  # fraud:model, said explicitly: the stacks' default may change


def _labelled_stream(first_day, seed=23):
    """A compromised merchant and a safe one: three days of history, all labelled, then two
    days of purchases past the label delay (the label route counts only days still kept:
    recent ones)."""
    rng = random.Random(seed)
    start = int(datetime.combine(first_day, datetime.min.time(), UTC).timestamp() * 1000)
    rows = []
    for number in range(36):
        merchant = rng.choice(["term-risky", "term-safe"])
        rows.append(row(500 + number, f"acct-h{rng.randrange(12)}", merchantId=merchant,
                        timestamp=start + rng.randrange(3 * DAY_MS),
                        amount=rng.choice(["18.00", "42.50", "75.00"]),
                        fraud=int(merchant == "term-risky" and rng.random() < 0.8)))
    for number in range(24):
        rows.append(row(600 + number, f"acct-n{rng.randrange(12)}",
                        merchantId=rng.choice(["term-risky", "term-safe"]),
                        timestamp=start + 10 * DAY_MS + rng.randrange(2 * DAY_MS),
                        amount=rng.choice(["18.00", "42.50", "75.00"])))
    return sorted(rows, key=lambda r: (r["timestamp"], r["transactionId"]))


def _post_and_analyse(process_app, detect_app, context, session, outputs, rows, sequence):
    """POST each row (process-transaction), then detect-fraud on their stream records in
    batches of 1 to 10; the next sequence number."""
    for entry in rows:
        body = {name: value for name, value in entry.items() if name != "fraud"}
        body["amount"] = Decimal(body["amount"])
        response = process_app.lambda_handler(
            api_event("POST", "/transactions", json_codec.dumps(body)), context)
        assert response["statusCode"] == 201, response["body"]
    ids = {entry["transactionId"] for entry in rows}
    items = sorted((item for i, item in stored(session, outputs).items() if i in ids),
                   key=order_key)
    rng, start = random.Random(sequence), 0
    while start < len(items):
        batch = items[start:start + rng.randint(1, 10)]
        assert analyse(detect_app, context, batch, first_sequence=sequence) == []
        sequence, start = sequence + len(batch), start + len(batch)
    return sequence


def test_with_the_model_detect_fraud_on_its_own_writes_and_the_backtest_agree(
        process_app, detect_app, context, session, outputs, monkeypatch, tmp_path):
    first_day = datetime.now(UTC).date() - timedelta(days=20)
    rows = _labelled_stream(first_day)
    history = [r for r in rows if r["transactionId"] < "tx-00600"]
    later = [r for r in rows if r["transactionId"] >= "tx-00600"]
    with started_with(detect_app, monkeypatch, {env.MODEL: DEFAULT_MODEL}) as detect:
        sequence = _post_and_analyse(process_app, detect, context, session, outputs, history, 1)
        for entry in history:  # every label in, as the replay has them by the later days
            label = {"label": "FRAUD" if entry["fraud"] else "GENUINE", "source": "CHARGEBACK"}
            response = process_app.lambda_handler(api_event(
                "PUT", f"/transactions/{entry['transactionId']}/label", json_codec.dumps(label),
                path_parameters={"id": entry["transactionId"]},
                resource="/transactions/{id}/label"), context)
            assert response["statusCode"] == 200, response["body"]
        _post_and_analyse(process_app, detect, context, session, outputs, later, sequence)
        forest = detect.FOREST
    live = stored(session, outputs)

    rules = RuleConfig()
    scorer = ModelVerdicts(rules, forest)
    dataset = read_dataset(write_rows(tmp_path / "labelled.csv", rows))
    replay(dataset, rules, Window(first_day, first_day + timedelta(days=12)),
           forest.label_delay_days, scorer=scorer)

    assert set(scorer.by_id) == set(live) == {r["transactionId"] for r in rows}
    for transaction_id, verdict in scorer.by_id.items():
        item = live[transaction_id]
        assert (item["fraudScore"], item["fraudStatus"], item["fraudReasons"]) == (
            verdict.score, verdict.status, verdict.codes), transaction_id
        assert item["fraudReasonDetails"] == [reason.as_dict() for reason in verdict.reasons]
        assert item[FRAUD_MODEL_VERSION] == verdict.model_version == forest.version
    risky = [live[r["transactionId"]] for r in later if r["merchantId"] == "term-risky"]
    safe = [live[r["transactionId"]] for r in later if r["merchantId"] == "term-safe"]
    assert risky
    assert safe
    # The labels moved the model: the compromised merchant's later purchases outscore the
    # safe one's on average, with MODEL reasons naming its risk.
    mean = [sum(i["fraudScore"] for i in items) / len(items) for items in (risky, safe)]
    assert mean[0] > mean[1]
    details = [r["detail"] for i in risky for r in i["fraudReasonDetails"] if r["code"] == MODEL]
    assert any("merchantRisk" in detail for detail in details), details
    assert forest.version == load_forest(detect.DEFAULT_MODEL).version
