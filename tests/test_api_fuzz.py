"""Property-based fuzzing of every API operation from its own OpenAPI document
(schemathesis), valid and invalid requests alike: whatever a client sends, the answer is never
a 500, its status is one the document declares for that operation, and its body matches the
declared schema (the error shape for every error).

Each case is serialised by schemathesis exactly as it would go over the wire (JSON, multipart
with its boundary, query, headers) and sent through Django's test client, as one of four staff
roles in turn, inside the test's transaction on SQLite and PostgreSQL alike. FUZZ_EXAMPLES sets
the examples per operation (default 25: about 40 s of CPU per database)."""

import os
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaintdesk.config.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Sent by the client itself (or computed from the body), never taken from the generated case.
OWN_HEADERS = {"authorization", "content-type", "content-length", "cookie", "host"}


@pytest.fixture
def caller(org, client, token_for, make_ticket):
    ticket = make_ticket()
    # Cases take turns among roles that see the ticket, so the role and scope refusals and
    # each role's own paths through the services are exercised too.
    tokens = [token_for(org["users"][role]) for role in ("supervisor", "dispatcher", "intake_agent", "dept_head")]
    calls = iter(range(10**9))

    def call(case):
        n = next(calls)
        token = tokens[n % len(tokens)]
        # Every other case aims at the existing ticket, so actions reach the services
        # (state and role checks, validation) instead of stopping at "not found".
        if "ticket_id" in (case.path_parameters or {}) and n % 2:
            case.path_parameters["ticket_id"] = ticket.pk
        kwargs = case.as_transport_kwargs(base_url="http://testserver",
                                          headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
        prepared = requests.Request(
            method=kwargs["method"], url=kwargs["url"], headers=kwargs["headers"], params=kwargs.get("params"),
            json=kwargs.get("json"), data=kwargs.get("data"), files=kwargs.get("files"),
        ).prepare()
        url = urlsplit(prepared.url)
        meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in prepared.headers.items()
                if name.lower() not in OWN_HEADERS}
        meta["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        body = prepared.body or b""
        body = body.encode() if isinstance(body, str) else body
        r = client.generic(prepared.method, url.path + ("?" + url.query if url.query else ""), body,
                           content_type=prepared.headers.get("Content-Type", ""), **meta)
        content = b"".join(r.streaming_content) if r.streaming else r.content
        headers = {name.lower(): [value] for name, value in r.items()}
        return Response(status_code=r.status_code, headers=headers, content=content, request=prepared,
                        elapsed=0.0, verify=True)

    return call


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case, caller):
    response = caller(case)
    case.validate_response(response, checks=CHECKS)
