"""The demo's workload: reproducible, in order per account, and built to trip what it says."""

from collections import defaultdict

from common.rules import RuleConfig, evaluate

from local_mode.workload import EVERYDAY, SCENARIOS, generate

NOW = 1_795_000_000_000


def test_the_same_seed_gives_the_same_workload():
    first, second = generate(300, seed=5, now_ms=NOW), generate(300, seed=5, now_ms=NOW)
    assert [r.body for r in first.requests] == [r.body for r in second.requests]
    assert [r.body for r in generate(300, seed=6, now_ms=NOW).requests] != \
        [r.body for r in first.requests]


def test_each_scenario_trips_the_rules_it_is_built_for():
    workload = generate(400, seed=11, now_ms=NOW)
    history = defaultdict(list)
    seen = set()
    for transaction in sorted(workload.transactions, key=lambda t: t.body["timestamp"]):
        verdict = evaluate(transaction.body, history[transaction.account], RuleConfig())
        history[transaction.account].append(transaction.body)
        assert set(transaction.meant_to_trip) <= set(verdict.codes), transaction
        if transaction.scenario == EVERYDAY:
            assert verdict.status == "CLEAR", transaction
        seen.add(transaction.scenario)
    assert seen == {EVERYDAY, *SCENARIOS}


def test_timestamps_are_ordered_per_account_and_never_in_the_future():
    workload = generate(400, seed=2, now_ms=NOW)
    for requests in workload.requests_by_account.values():
        stamps = [r.transaction.body["timestamp"] for r in requests
                  if r.transaction and r.expected_status == 201]
        assert stamps == sorted(stamps)
        assert max(stamps) <= NOW
    invalid = [r for r in workload.requests if r.expected_status == 400]
    assert invalid
    assert all(r.transaction is None for r in invalid)
