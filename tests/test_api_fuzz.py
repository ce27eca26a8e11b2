"""Property-based fuzzing of every API operation from its own OpenAPI document
(schemathesis): whatever a client sends, the answer is never a 500 and always has the
error shape."""

import json
import os
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from complaintdesk.config.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def caller(org, client, token_for, make_ticket):
    make_ticket()  # ticket 1 exists, so paths with an id reach the services
    token = token_for(org["users"]["supervisor"])

    def call(case):
        path = case.formatted_path
        if case.query:
            path += "?" + urlencode(case.query, doseq=True)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
        for name, value in (case.headers or {}).items():
            if name.lower() not in ("authorization", "content-type", "content-length"):
                headers["HTTP_" + name.upper().replace("-", "_")] = str(value)
        if case.media_type == "multipart/form-data":
            return client.generic(case.method, path, b"", content_type="multipart/form-data; boundary=x", **headers)
        body = b"" if case.body is None else json.dumps(case.body, default=str).encode()
        return client.generic(case.method, path, body, content_type="application/json", **headers)

    return call


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_500(case, caller):
    response = caller(case)
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body, response.content[:500])
    if response.status_code >= 400 and response.get("Content-Type", "").startswith("application/json"):
        error = response.json()["error"]
        assert error["code"] and error["message"] and isinstance(error["fields"], list)
