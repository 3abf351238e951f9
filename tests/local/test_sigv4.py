"""The local API's SigV4 check on its own: botocore signs as a client does, the verifier agrees
or refuses as API Gateway's IAM authorization would."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from local_mode.sigv4 import Caller, Refusal, SigV4Verifier
from local_mode.stack import LocalOptions, LocalStack, StartError

HOST = "127.0.0.1:3000"
BODY = b'{"accountId": "acct-42"}'


def signed(method="POST", path="/v1/transactions", body=BODY, key=ACCESS_KEY_ID,
           secret=SECRET_ACCESS_KEY, region="us-east-2", service="execute-api"):
    """The request as a client sends it: (method, target, header pairs, body)."""
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body,
                         headers={"Host": HOST, "Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return method, path, list(request.headers.items()), body


VERIFIER = SigV4Verifier(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "us-east-2")


def test_a_request_signed_with_the_local_credentials_passes():
    assert VERIFIER.check(*signed()) == Caller(ACCESS_KEY_ID)
    assert VERIFIER.check(*signed("GET", "/v1/transactions/abc?x=1", b"")) == Caller(ACCESS_KEY_ID)


def _refusal(method, target, headers, body, **kwargs):
    found = VERIFIER.check(method, target, headers, body, **kwargs)
    assert isinstance(found, Refusal), found
    return found


@pytest.mark.parametrize(("change", "response_type", "message"), [
    ("unsigned", "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"),
    ("other key", "INVALID_SIGNATURE", "The security token included in the request is invalid."),
    ("other secret", "INVALID_SIGNATURE", "The request signature we calculated does not match"),
    ("other region", "INVALID_SIGNATURE", "Credential should be scoped to region 'us-east-2'"),
    ("other service", "INVALID_SIGNATURE", "and service 'execute-api'"),
    ("body changed", "INVALID_SIGNATURE", "The request signature we calculated does not match"),
    ("path changed", "INVALID_SIGNATURE", "The request signature we calculated does not match"),
    ("garbled", "INCOMPLETE_SIGNATURE", "Authorization header requires 'Credential'"),
])
def test_what_api_gateway_refuses_is_refused_with_its_403(change, response_type, message):
    method, target, headers, body = {
        "unsigned": lambda: ("POST", "/v1/transactions", [("Host", HOST)], BODY),
        "other key": lambda: signed(key="AKIAOTHER"),
        "other secret": lambda: signed(secret="not-the-secret"),
        "other region": lambda: signed(region="eu-west-1"),
        "other service": lambda: signed(service="lambda"),
        "body changed": lambda: (*signed()[:3], BODY + b" "),
        "path changed": lambda: ("POST", "/v1/transactions/x", *signed()[2:]),
        "garbled": lambda: ("POST", "/v1/transactions", [
            (name, "AWS4-HMAC-SHA256 Credential=x" if name == "Authorization" else value)
            for name, value in signed()[2]], BODY),
    }[change]()
    refusal = _refusal(method, target, headers, body)
    assert refusal.response_type == response_type
    assert message in refusal.message


def test_a_signature_older_than_five_minutes_has_expired():
    later = datetime.now(UTC) + timedelta(minutes=6)
    refusal = _refusal(*signed(), now=later)
    assert refusal.message.startswith("Signature expired")
    assert VERIFIER.check(*signed(), now=datetime.now(UTC) + timedelta(minutes=4)) == Caller(
        ACCESS_KEY_ID)


def test_sigv4_checks_only_what_fraud_api_auth_iam_asks_for(tmp_path):
    stack = LocalStack(LocalOptions(outbox=tmp_path, sigv4=True,
                                    config={"fraud:apiAuth": "api-key"}), on_message=print)
    with pytest.raises(StartError, match="fraud:apiAuth=api-key is not emulated"):
        stack._verifier()
