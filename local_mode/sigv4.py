"""SigV4 verification for the local API (``serve --sigv4``, with ``fraud:apiAuth=iam``), as API
Gateway's AWS_IAM authorization checks a request before the function runs.

A request must carry an ``Authorization`` header signed with the local mode's credentials
(local_mode.environment) for the region and ``execute-api``; botocore recomputes the signature
from the headers the client signed (the one implementation both sides share: the smoke client
signs with botocore too). What API Gateway answers, and so does this:

- no ``Authorization`` header: 403 ``Missing Authentication Token``;
- another access key: 403 ``The security token included in the request is invalid.``;
- a scope for another region or service, a malformed header, a time more than 5 minutes away:
  403 with the reason;
- a signature that does not match: 403 ``The request signature we calculated does not match the
  signature you provided...``.

Not emulated: IAM policies (any holder of the local credentials may call every route), session
tokens (accepted as a signed header, not checked).
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    rf"{ALGORITHM} Credential=(?P<key>[^/,\s]+)/(?P<date>\d{{8}})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})")


@dataclass(frozen=True)
class Refusal:
    response_type: str  # the gateway response API Gateway answers with
    message: str


@dataclass(frozen=True)
class Caller:
    access_key: str


class SigV4Verifier:
    """Checks requests against one set of credentials in one region."""

    def __init__(self, access_key: str, secret_key: str, region: str) -> None:
        self.credentials = Credentials(access_key, secret_key)
        self.region = region

    def check(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
              now: datetime | None = None) -> Caller | Refusal:
        """The caller, or why API Gateway would refuse the request."""
        given: dict[str, list[str]] = {}
        for name, value in headers:
            given.setdefault(name.lower(), []).append(value)
        authorization = given.get("authorization")
        if not authorization:
            return Refusal("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        match = _AUTHORIZATION.fullmatch(authorization[-1].strip())
        if match is None:
            return Refusal("INCOMPLETE_SIGNATURE", "Authorization header requires 'Credential', "
                           "'Signature' and 'SignedHeaders' parameters (AWS4-HMAC-SHA256)")
        if match["key"] != self.credentials.access_key:
            return Refusal("INVALID_SIGNATURE",
                           "The security token included in the request is invalid.")
        if (match["region"], match["service"]) != (self.region, SERVICE):
            return Refusal("INVALID_SIGNATURE", f"Credential should be scoped to region "
                           f"'{self.region}' and service '{SERVICE}', not '{match['region']}' "
                           f"and '{match['service']}'.")
        signed = match["headers"].split(";")
        stamp = (given.get("x-amz-date") or [""])[-1]
        try:
            signed_at = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return Refusal("INCOMPLETE_SIGNATURE", "the request carries no valid X-Amz-Date "
                           "(yyyyMMddTHHmmssZ)")
        if "x-amz-date" not in signed or "host" not in signed or stamp[:8] != match["date"]:
            return Refusal("INCOMPLETE_SIGNATURE", "the signature must cover the host and "
                           "x-amz-date headers, and its scope the request's date")
        if abs((now or datetime.now(UTC)) - signed_at) > MAX_CLOCK_SKEW:
            return Refusal("INVALID_SIGNATURE", f"Signature expired: {stamp} is more than "
                           f"{MAX_CLOCK_SKEW.seconds // 60} minutes from now.")
        if any(name not in given for name in signed):
            return Refusal("INVALID_SIGNATURE", "a signed header is missing from the request")
        host = given["host"][-1]
        request = AWSRequest(method=method, url=f"http://{host}{target}", data=body,
                             headers={name: ",".join(given[name]) for name in signed})
        request.context["timestamp"] = stamp
        auth = SigV4Auth(self.credentials, SERVICE, self.region)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)),
                                  request)
        if not hmac.compare_digest(expected, match["signature"]):
            return Refusal("INVALID_SIGNATURE", "The request signature we calculated does not "
                           "match the signature you provided. Check your AWS Secret Access Key "
                           "and signing method.")
        return Caller(match["key"])
