"""What ``make local`` shows: the banner, digests as they arrive, and a live status line."""

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY

# What the deployed API demands of a caller, per fraud:apiAuth mode; the local API checks neither.
AUTH_IN_AWS = {"iam": "only SigV4-signed requests (execute-api:Invoke)",
               "api-key": "only requests with the stack's API key in x-api-key"}
EXAMPLE_TRANSACTION = ('{"accountId":"acct-42","amount":125.50,"currency":"EUR",'
                       '"merchantId":"m-1","merchantCategory":"5411","country":"DE"}')


def counted(count: int, noun: str) -> str:
    """``1 transaction``, ``2 transactions``: a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is under it (shorter to read)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


class Console:
    """Prints lines above a status line that redraws in place (on a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self._status = ""
        self._printed = ""  # off a terminal: the last status printed as a line
        self._lock = threading.Lock()

    def print(self, text: str) -> None:
        with self._lock:
            self._clear()
            print(text, file=self.stream)
            self._draw()

    def status(self, text: str) -> None:
        with self._lock:
            if not self.live:
                if text != self._printed:  # a line per change, not per tick
                    print(text, file=self.stream, flush=True)
                    self._printed = text
                return
            if text != self._status:
                self._clear()
                self._status = text
                self._draw()

    def close(self) -> None:
        with self._lock:
            if self.live and self._status:
                print(file=self.stream)
            self._status = ""

    def _clear(self) -> None:
        if self.live and self._status:
            self.stream.write("\r\033[2K")

    def _draw(self) -> None:
        if self.live and self._status:
            self.stream.write(self._status)
            self.stream.flush()


def banner(*, api_url: str, emulator_url: str, region: str, outbox: str, tables: list[str],
           log_dir: str, api_auth: str, own_emulator: bool = True, sigv4: bool = False) -> str:
    """What ``make local`` prints once everything listens."""
    today = datetime.now(UTC).date().isoformat()
    credentials = f"AWS_ACCESS_KEY_ID={ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}"
    state = ("in the emulator's memory only: Ctrl-C loses every table, queue and report"
             if own_emulator else
             "in that emulator's memory: kept while it runs, lost when it stops")
    if sigv4:  # serve --sigv4: the local API checks signatures (local_mode.sigv4)
        authorization = (f"SigV4 is checked as API Gateway's IAM authorization does: sign every "
                         f"request with the local\ncredentials for {region} and execute-api; an "
                         "unsigned one gets 403 (make smoke STACK=local).")
        sign = f' --aws-sigv4 "aws:amz:{region}:execute-api" --user {ACCESS_KEY_ID}:' \
               f'{SECRET_ACCESS_KEY}'
    else:
        authorization = (f"Authorization is not checked here: any request is accepted. Deployed "
                         f"with\nfraud:apiAuth={api_auth}, the API accepts "
                         f"{AUTH_IN_AWS[api_auth]}.")
        sign = ""
    return f"""
Fraud detection platform: local mode

  API (REST, from api/openapi.yaml)  {api_url}
      POST /transactions   GET /transactions/{{id}}   PUT /transactions/{{id}}/label
  AWS emulator (moto)                {emulator_url}
      tables {', '.join(tables)}
      state {state}
  Digests, reports, function logs    {outbox}/  ({log_dir}/ holds each function's log)

{authorization}

Try it:
  curl -s{sign} -X POST {api_url}/transactions -H 'Content-Type: application/json' \\
       -d '{EXAMPLE_TRANSACTION}'
  curl -s{sign} {api_url}/transactions/<transactionId>
  curl -s{sign} -X PUT {api_url}/transactions/<transactionId>/label \\
       -H 'Content-Type: application/json' -d '{{"label":"FRAUD","source":"ANALYST"}}'
  make report DAY={today}
  # with the AWS CLI, if you have it (the project does not install it):
  {credentials} aws --region {region} \\
       --endpoint-url {emulator_url} dynamodb scan --table-name {tables[0]} --max-items 5

Ctrl-C stops everything.
"""


class StatusLine(threading.Thread):
    """Redraws ``render()`` every ``interval`` seconds until stopped."""

    def __init__(self, console: Console, render: Callable[[], str], interval: float) -> None:
        super().__init__(name="status-line", daemon=True)
        self.console, self.render, self.interval = console, render, interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.console.status(self.render())
            except Exception as error:  # a status line must never end the local mode
                self.console.status(f"status unavailable: {error}")

    def stop(self) -> None:
        self._stopping.set()
        self.join()
        self.console.close()
