"""The benchmark generator: the Handbook's profiles, its three fraud scenarios, determinism."""

import numpy as np
import pytest

from backtest.dataset import read_dataset
from backtest.generator import (
    COUNTRY,
    MERCHANT_CATEGORIES,
    MIN_CENTS,
    SCENARIO_2_DAYS,
    SCENARIO_3_DAYS,
    SECONDS_PER_DAY,
    Simulation,
    generate,
    write_csv,
)

SMALL = Simulation(customers=400, terminals=800, days=60, seed=5)


@pytest.fixture(scope="module")
def small():
    return generate(SMALL)


def test_the_same_seed_gives_the_same_dataset_and_another_seed_another(small):
    again = generate(SMALL)
    for name in ("seconds", "customer", "terminal", "cents", "fraud", "scenario"):
        assert np.array_equal(getattr(small, name), getattr(again, name)), name
    other = generate(Simulation(customers=400, terminals=800, days=60, seed=6))
    assert not np.array_equal(small.cents[:100], other.cents[:100])


def test_transactions_follow_the_customer_profiles(small):
    assert np.all(np.diff(small.seconds) >= 0)  # time order
    time_of_day = small.seconds % SECONDS_PER_DAY
    assert time_of_day.min() > 0
    assert abs(time_of_day.mean() - SECONDS_PER_DAY / 2) < 600  # around noon
    assert small.day.min() == 0
    assert small.day.max() == SMALL.days - 1
    # Uniform(0, 4) a day, less the draws outside the day (about 3 %).
    assert 1.8 < len(small) / (SMALL.customers * SMALL.days) < 2.1
    distance = np.hypot(*(small.customer_xy[small.customer] - small.terminal_xy[small.terminal]).T)
    assert distance.max() < SMALL.radius
    assert small.cents.min() >= MIN_CENTS


def test_scenario_1_every_amount_over_220_is_fraud(small):
    over = small.cents > 22_000
    assert small.fraud[over].all()
    first = small.scenario == 1
    assert first.any()
    assert (small.cents[first] > 22_000).all()


def test_scenario_2_compromised_terminals_defraud_the_next_28_days(small):
    assert small.compromised_terminals.shape == (SMALL.days, 2)
    in_window = np.zeros(len(small), dtype=bool)
    for start, terminals in enumerate(small.compromised_terminals):
        in_window |= (np.isin(small.terminal, terminals) & (small.day >= start)
                      & (small.day < start + SCENARIO_2_DAYS))
    assert small.fraud[in_window].all()
    assert in_window[small.scenario == 2].all()
    assert (small.scenario[in_window] >= 2).all()  # scenario 3 may rewrite one later


def test_scenario_3_a_third_of_a_compromised_customers_next_14_days_costs_5_times(small):
    assert small.compromised_customers.shape == (SMALL.days, 3)
    in_window = np.zeros(len(small), dtype=bool)
    for start, customers in enumerate(small.compromised_customers):
        in_window |= (np.isin(small.customer, customers) & (small.day >= start)
                      & (small.day < start + SCENARIO_3_DAYS))
    third = small.scenario == 3
    assert in_window[third].all()
    # A third of each compromise's transactions; compromises of one customer can overlap.
    assert 0.3 < third.sum() / in_window.sum() < 0.45
    assert (small.cents[third] % 5 == 0).all()  # multiplied by 5
    genuine = ~small.fraud
    ratios = [small.cents[third & (small.customer == c)].mean()
              / small.cents[genuine & (small.customer == c)].mean()
              for c in np.unique(small.customer[third])]
    assert 3.5 < np.median(ratios) < 7


def test_the_default_dataset_has_the_handbooks_size_and_fraud_rate():
    # The Handbook's figures for these parameters: 1,754,155 transactions, 14,681 fraud (0.84 %).
    transactions = generate(Simulation())
    assert 1_700_000 < len(transactions) < 1_810_000
    assert 0.0075 < transactions.fraud.mean() < 0.0095
    first, second, third = np.bincount(transactions.scenario, minlength=4)[1:]
    assert first < third < second  # compromised terminals make most of the frauds


def test_the_csv_holds_the_apis_fields_and_reads_back_valid(tmp_path):
    small = generate(Simulation(customers=100, terminals=200, days=30, seed=2))
    path = tmp_path / "data.csv"
    write_csv(small, path)
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    assert header == ("transactionId,accountId,amount,currency,merchantId,merchantCategory,"
                      "timestamp,country,channel,fraud")
    assert first.startswith("tx-0000,cust-")
    dataset = read_dataset(path)
    assert len(dataset) == len(small)
    assert dataset.ids[0] == "tx-0000"
    assert dataset.fraud.sum() == small.fraud.sum()
    assert dataset.cents.tolist() == small.cents.tolist()
    assert set(dataset.texts["currency"]) == {"EUR"}
    assert set(dataset.texts["channel"]) == {"pos"}
    assert set(dataset.texts["country"]) == {COUNTRY}
    assert set(dataset.texts["merchantCategory"]) <= {mcc for mcc, _ in MERCHANT_CATEGORIES}
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]  # no temporary file left
