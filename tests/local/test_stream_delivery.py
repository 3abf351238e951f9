"""The stream mapping's delivery rules, with a scripted function in place of detect-fraud:
what gets checkpointed, retried, split and dead-lettered."""

from local_mode.functions import FunctionError
from local_mode.stream_poller import BatchDelivery, StreamMapping, first_failure

RETRIES = 3


def _records(count: int) -> list[dict]:
    return [{"dynamodb": {"SequenceNumber": str(100 + n)}} for n in range(count)]


def _sequence(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


class Script:
    """A function that fails on the records in ``poison``: reports them, or raises."""

    def __init__(self, poison: set[str], *, raises: bool = False, transient: int = 0) -> None:
        self.poison, self.raises, self.transient = poison, raises, transient
        self.calls: list[list[str]] = []
        self.completed: list[str] = []
        self.discarded: list[tuple[list[str], int, bool]] = []

    def invoke(self, records: list[dict]) -> dict:
        self.calls.append([_sequence(r) for r in records])
        if self.transient:
            self.transient -= 1
            raise FunctionError("throttled")
        failed = [_sequence(r) for r in records if _sequence(r) in self.poison]
        if failed and self.raises:
            raise FunctionError("cannot parse")
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    def deliver(self, records: list[dict]) -> None:
        BatchDelivery(
            invoke=self.invoke,
            completed=lambda record: self.completed.append(_sequence(record)),
            discard=lambda records, count, error: self.discarded.append(
                ([_sequence(r) for r in records], count, error)),
            maximum_retry_attempts=RETRIES, bisect_on_error=True,
        ).deliver(records)


def test_a_batch_that_succeeds_is_checkpointed_at_its_last_record():
    script = Script(poison=set())
    script.deliver(_records(5))
    assert script.calls == [["100", "101", "102", "103", "104"]]
    assert script.completed == ["104"]
    assert script.discarded == []


def test_a_reported_failure_is_isolated_retried_then_discarded_alone():
    script = Script(poison={"102"})
    script.deliver(_records(6))
    assert script.calls[0] == ["100", "101", "102", "103", "104", "105"]
    assert script.calls.count(["102"]) == 1 + RETRIES
    assert script.discarded == [(["102"], 1 + RETRIES, False)]
    # Checkpoints only move forward, and reach the end of the batch.
    assert script.completed == sorted(script.completed, key=int)
    assert script.completed[-1] == "105"
    # Every other record was delivered in a batch that succeeded.
    assert {s for call in script.calls for s in call if s != "102"} == {
        "100", "101", "103", "104", "105"}


def test_a_function_error_splits_the_batch_until_the_record_is_alone():
    script = Script(poison={"103"}, raises=True)
    script.deliver(_records(8))
    assert script.calls[:3] == [[str(n) for n in range(100, 108)],
                                ["100", "101", "102", "103"], ["100", "101"]]
    assert script.discarded == [(["103"], 1 + RETRIES, True)]
    assert script.completed[-1] == "107"


def test_a_transient_error_is_retried_without_losing_anything():
    script = Script(poison=set(), transient=1)
    script.deliver(_records(2))
    assert script.discarded == []
    assert script.completed[-1] == "101"


def test_failures_naming_no_record_of_the_batch_fail_all_of_it():
    records = _records(3)
    assert first_failure(records, {"batchItemFailures": []}) is None
    assert first_failure(records, None) is None
    assert first_failure(records, {"batchItemFailures": [{"itemIdentifier": "102"},
                                                         {"itemIdentifier": "101"}]}) == 1
    assert first_failure(records, {"batchItemFailures": [{"itemIdentifier": "999"}]}) == 0
    assert first_failure(records, {"batchItemFailures": [{"itemIdentifier": ""}]}) == 0


def test_the_filter_passes_new_transactions_only():
    mapping = StreamMapping(batch_size=100, batch_window_seconds=1)

    def record(event_name: str, timestamp: str) -> dict:
        keys = {"transactionId": {"S": "t-1"}, "timestamp": {"N": timestamp}}
        return {"eventName": event_name, "dynamodb": {"Keys": keys, "NewImage": keys}}

    assert mapping.filter_pattern.matches_event(record("INSERT", "1714564800000"))
    assert not mapping.filter_pattern.matches_event(record("MODIFY", "1714564800000"))
    assert not mapping.filter_pattern.matches_event(record("INSERT", "0"))  # an id guard
