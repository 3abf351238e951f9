"""What `make local` shows: the banner, and a status line that does not flood a log."""

import io

import pytest

from local_mode.console import AUTH_IN_AWS, Console, banner, counted
from shared.settings import API_AUTH_MODES


def _banner(api_auth: str = "iam", own_emulator: bool = True) -> str:
    return banner(api_url="http://127.0.0.1:3000/v1", emulator_url="http://127.0.0.1:4566",
                  region="us-east-2", outbox="local-outbox", tables=["dynamodb-transactions-local"],
                  log_dir="local-outbox/logs", api_auth=api_auth, own_emulator=own_emulator)


def test_the_banner_says_where_everything_is_how_to_try_it_and_that_state_is_in_memory():
    text = _banner()
    assert "http://127.0.0.1:3000/v1" in text
    assert "curl -s -X POST http://127.0.0.1:3000/v1/transactions" in text
    assert "curl -s http://127.0.0.1:3000/v1/transactions/<transactionId>" in text
    assert "make report DAY=" in text
    assert "aws --region us-east-2 \\\n       --endpoint-url http://127.0.0.1:4566" in text
    assert "the AWS CLI, if you have it (the project does not install it)" in text
    assert "Ctrl-C" in text
    assert "state in the emulator's memory only: Ctrl-C loses every table" in text
    kept = _banner(own_emulator=False)
    assert "state in that emulator's memory: kept while it runs" in kept


@pytest.mark.parametrize("api_auth", API_AUTH_MODES)
def test_the_banner_warns_that_authorization_is_not_checked_locally(api_auth):
    text = _banner(api_auth)
    assert "Authorization is not checked here: any request is accepted." in text
    assert f"fraud:apiAuth={api_auth}, the API accepts {AUTH_IN_AWS[api_auth]}." in text
    assert set(AUTH_IN_AWS) == set(API_AUTH_MODES)


@pytest.mark.parametrize(("count", "text"), [(0, "0 transactions"), (1, "1 transaction"),
                                             (2, "2 transactions")])
def test_counts_take_the_right_number(count, text):
    assert counted(count, "transaction") == text


def test_off_a_terminal_the_status_is_a_line_per_change():
    stream = io.StringIO()
    console = Console(stream)
    for status in ("accepted 0", "accepted 0", "accepted 1"):
        console.status(status)
    console.print("a digest")
    console.status("accepted 1")
    assert stream.getvalue().splitlines() == ["accepted 0", "accepted 1", "a digest"]
