"""Fuzzing the local API from the OpenAPI document (schemathesis): valid and invalid requests,
a fixed seed and a bounded number of examples per operation. No 5xx, and every response is one
the document describes (status, content type, headers, body schema); invalid input is refused.
"""

import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis import GenerationMode

from shared.api_document import load_openapi

EXAMPLES_PER_OPERATION = 40
SEED = 20261122

schema = schemathesis.openapi.from_dict(load_openapi())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES_PER_OPERATION, deterministic=True)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]


@schema.parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES_PER_OPERATION, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_only_what_the_document_describes(case, local):
    case.call_and_validate(base_url=local.process.api_url, checks=CHECKS)
