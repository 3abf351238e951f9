"""Count the AWS API calls a piece of code makes, through botocore's ``before-call`` event.

The figures the benchmarks promise (one write per POST, one read per GET, ...) are counted,
not estimated: register on the clients a handler module created, run the handler, read the
tally. Works the same against moto, the local emulator or AWS.
"""

from collections import Counter
from typing import Any


class AwsCalls:
    """A tally of ``Service.Operation`` calls made through ``clients`` while it is active.

    >>> with AwsCalls(app.dynamodb) as calls:
    ...     app.lambda_handler(event, context)
    >>> calls["DynamoDB.PutItem"]
    1
    """

    def __init__(self, *clients: Any) -> None:
        self.clients = clients
        self.counts: Counter[str] = Counter()

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[f"{model.service_model.service_id.replace(' ', '')}.{model.name}"] += 1

    def __enter__(self) -> "AwsCalls":
        for client in self.clients:
            client.meta.events.register("before-call", self._count, unique_id=f"count-{id(self)}")
        return self

    def __exit__(self, *_: Any) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-call", unique_id=f"count-{id(self)}")

    def __getitem__(self, operation: str) -> int:
        return self.counts[operation]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, service: str) -> int:
        """Calls to one service, e.g. ``calls.of("SQS")``."""
        return sum(n for name, n in self.counts.items() if name.startswith(service + "."))
