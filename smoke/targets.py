"""Where the smoke scenarios send their requests, and how each target shows a published digest.

Both sign as a real client does: botocore's SigV4 signer (service ``execute-api``), with the
local mode's credentials locally and the standard credential chain (environment, profile, SSO,
instance role) for a deployment; or, with ``fraud:apiAuth=api-key``, the ``x-api-key`` header.
A digest is seen where notify-team logs it ("Digest published" with its transaction ids): the
local mode's log file, or the function's CloudWatch log group.
"""

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
USER_AGENT = "fraud-platform-smoke/1"  # AWS WAF's core rule set blocks requests without one
DIGEST_PUBLISHED = "Digest published"  # notify-team's log message, with "transactionIds"
TIMEOUT_SECONDS = 35  # longer than API Gateway's 29 s integration timeout


@dataclass
class Response:
    status: int
    text: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class HttpTarget:
    """The API at ``api_url`` (``.../v1``), signed with ``credentials`` or the ``api_key``."""

    name = "api"
    enforces_auth = True  # an unsigned request must get 403

    def __init__(self, api_url: str, region: str, credentials: Credentials | None = None,
                 api_key: str | None = None) -> None:
        self.api_url, self.region = api_url.rstrip("/"), region
        self.credentials, self.api_key = credentials, api_key

    def request(self, method: str, path: str, body: Any = None, *,
                signed: bool = True) -> Response:
        url = urlsplit(self.api_url + path)
        data = b"" if body is None else (body if isinstance(body, str)
                                          else json.dumps(body)).encode()
        headers = {"Host": url.netloc, "User-Agent": USER_AGENT}
        if data:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=url.geturl(), data=data, headers=headers)
        if signed and self.api_key:
            request.headers["x-api-key"] = self.api_key
        elif signed and self.credentials is not None:
            SigV4Auth(self.credentials, SERVICE, self.region).add_auth(request)
        connection_type = (http.client.HTTPSConnection if url.scheme == "https"
                           else http.client.HTTPConnection)
        connection = connection_type(url.hostname, url.port, timeout=TIMEOUT_SECONDS)
        try:
            target = url.path + (f"?{url.query}" if url.query else "")
            connection.request(method, target, body=data or None, headers=dict(request.headers))
            response = connection.getresponse()
            return Response(response.status, response.read().decode("utf-8", errors="replace"))
        finally:
            connection.close()

    def published_digests(self) -> Iterator[dict[str, Any]]:
        """notify-team's "Digest published" lines so far."""
        raise NotImplementedError

    def digest_lists(self, transaction_id: str) -> bool:
        return any(transaction_id in line.get("transactionIds", [])
                   for line in self.published_digests())


class LocalTarget(HttpTarget):
    """A running local mode, found by the state file in its outbox."""

    name = "the local mode"

    def __init__(self, outbox: Path) -> None:
        from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY
        from local_mode.stack import LOG_DIR, read_state

        state = read_state(outbox)
        if state is None:
            raise SmokeError(f"no local mode is running (nothing in {outbox}/); start one with "
                             "`make local SIGV4=1` in another terminal")
        if not state.get("sigv4"):
            raise SmokeError("the running local mode does not verify signatures: restart it "
                             "with `make local SIGV4=1`, as the deployed API (fraud:apiAuth=iam) "
                             "refuses unsigned requests")
        super().__init__(state["apiUrl"], state["region"],
                         Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY))
        self.log_file = outbox / LOG_DIR / "lambda-notify-team-local.log"

    def published_digests(self) -> Iterator[dict[str, Any]]:
        if not self.log_file.exists():
            return
        for line in self.log_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("message") == DIGEST_PUBLISHED:
                    yield record


class DeployedTarget(HttpTarget):
    """A deployed stack's API, and notify-team's log group in CloudWatch Logs."""

    def __init__(self, api_url: str, region: str, log_group: str, api_key: str | None) -> None:
        import boto3

        session = boto3.session.Session(region_name=region)
        credentials = session.get_credentials()
        if credentials is None:
            raise SmokeError("no AWS credentials found (AWS_PROFILE, or the AWS_ACCESS_KEY_ID "
                             "pair): the smoke test signs its requests and reads notify-team's "
                             "log group with them")
        super().__init__(api_url, region, credentials.get_frozen_credentials(), api_key)
        self.name = api_url
        self.logs, self.log_group = session.client("logs"), log_group
        self.started_ms = int(time.time() * 1000) - 60_000

    def published_digests(self) -> Iterator[dict[str, Any]]:
        pages = self.logs.get_paginator("filter_log_events").paginate(
            logGroupName=self.log_group, startTime=self.started_ms,
            filterPattern=f'{{ $.message = "{DIGEST_PUBLISHED}" }}')
        for page in pages:
            for event in page["events"]:
                yield json.loads(event["message"])


class SmokeError(RuntimeError):
    """The smoke test cannot start; the message says what to do."""
