"""The smoke scenarios fail, saying what, when the API answers what a client must not see."""

from smoke.scenarios import SCENARIOS, run_scenarios
from smoke.targets import HttpTarget, Response


class LenientApi(HttpTarget):
    """An API that takes unsigned requests and bad bodies, and never analyses anything."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9/v1", "us-east-2")
        self.stored: dict[str, dict] = {}

    def request(self, method, path, body=None, *, signed=True):
        if method == "POST":
            if body["transactionId"] in self.stored:
                return Response(200, "{}")
            self.stored[body["transactionId"]] = body | {"fraudStatus": "PENDING"}
            return Response(201, '{"fraudStatus": "PENDING"}')
        item = self.stored.get(path.rsplit("/", 1)[-1])
        return Response(404, "{}") if item is None else Response(200, "{}")

    def published_digests(self):
        return iter(())


def test_each_scenario_names_what_the_api_got_wrong(monkeypatch):
    monkeypatch.setattr("smoke.scenarios.VERDICT_DEADLINE_SECONDS", 0.1)
    outcomes = {o.scenario: o for o in run_scenarios(LenientApi())}
    assert set(outcomes) == {name for name, _ in SCENARIOS}
    assert not any(o.passed for o in outcomes.values())
    assert outcomes["unsigned requests are refused"].detail.startswith(
        "an unsigned GET: expected 403, got 404")
    assert outcomes["bad input is 400 and nothing is stored"].detail.startswith(
        "a bad POST: expected 400, got 201")
    assert "no verdict for smoke-" in outcomes["valid transactions reach their verdicts"].detail
    assert "no flagged transaction" in outcomes["a digest is published"].detail
