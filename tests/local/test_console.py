"""What `make local` shows: the banner, and a status line that does not flood a log."""

import io

from local_mode.console import Console, banner


def test_the_banner_says_where_everything_is_how_to_try_it_and_that_state_is_in_memory():
    text = banner(api_url="http://127.0.0.1:3000/v1", emulator_url="http://127.0.0.1:4566",
                  region="us-east-2", outbox="local-outbox", tables=["dynamodb-transactions-local"],
                  log_dir="local-outbox/logs")
    assert "http://127.0.0.1:3000/v1" in text
    assert "curl -s -X POST http://127.0.0.1:3000/v1/transactions" in text
    assert "curl -s http://127.0.0.1:3000/v1/transactions/<transactionId>" in text
    assert "make report DAY=" in text
    assert "aws --region us-east-2 \\\n       --endpoint-url http://127.0.0.1:4566" in text
    assert "Ctrl-C" in text
    assert "state in the emulator's memory only: Ctrl-C loses every table" in text
    kept = banner(api_url="http://127.0.0.1:3000/v1", emulator_url="http://127.0.0.1:4566",
                  region="us-east-2", outbox="local-outbox", tables=["dynamodb-transactions-local"],
                  log_dir="local-outbox/logs", own_emulator=False)
    assert "state in that emulator's memory: kept while it runs" in kept


def test_off_a_terminal_the_status_is_a_line_per_change():
    stream = io.StringIO()
    console = Console(stream)
    for status in ("accepted 0", "accepted 0", "accepted 1"):
        console.status(status)
    console.print("a digest")
    console.status("accepted 1")
    assert stream.getvalue().splitlines() == ["accepted 0", "accepted 1", "a digest"]
