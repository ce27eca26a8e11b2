"""The OpenAPI document declares the error responses (issue 13 §8): every operation of every
router lists the error statuses it can answer, each with the one error schema, so a client
generated from the document knows the shape of every refusal. (tests/test_api_fuzz.py checks
that the answers keep to it.)"""

import pytest
from ninja import Router

from complaintdesk.core.api_errors import ErrorDeclaringAPI

COMMON = {"400", "401", "403", "422", "429"}


@pytest.fixture
def doc(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def _operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_declares_its_error_responses_with_the_error_schema(doc):
    operations = list(_operations(doc))
    assert len(operations) > 30  # tickets, ledger and notifications routers alike
    assert {p for p, _, _ in operations} >= {"/api/v1/tickets", "/api/v1/ledger", "/api/v1/notifications"}
    for path, method, operation in operations:
        expected = set(COMMON)
        if "{" in path:
            expected.add("404")
        if method in ("post", "put", "patch", "delete"):
            expected |= {"409", "413"}
        responses = operation["responses"]
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert responses[status]["description"]
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ApiError"}, (method, path, status)


def test_the_error_schema_is_the_common_error_shape(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["ApiError"]["required"] == ["error"]
    detail = schemas["ApiErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "fields"}
    assert detail["additionalProperties"] is True  # e.g. a conflict's current state and version
    assert detail["properties"]["fields"]["items"] == {"$ref": "#/components/schemas/ApiFieldError"}
    assert set(schemas["ApiFieldError"]["required"]) == {"field", "reason", "code"}


def test_a_route_added_later_gets_the_error_responses_without_declaring_them():
    router = Router()

    @router.get("/things/{thing_id}", response=dict)
    def thing(request, thing_id: int):
        return {}

    @router.post("/things", response={201: dict, 409: dict})
    def add_thing(request):
        return {}

    api = ErrorDeclaringAPI(urls_namespace="test-later")
    api.add_router("/", router)
    doc = api.get_openapi_schema(path_prefix="")
    get = {str(k): v for k, v in doc["paths"]["/things/{thing_id}"]["get"]["responses"].items()}
    assert set(get) == {"200", "400", "401", "403", "404", "422", "429"}
    post = {str(k): v for k, v in doc["paths"]["/things"]["post"]["responses"].items()}
    assert set(post) == {"201", "400", "401", "403", "409", "413", "422", "429"}
    assert post["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiError"}
    # A status the route declares itself keeps the route's own schema.
    assert post["409"]["content"]["application/json"]["schema"] != {"$ref": "#/components/schemas/ApiError"}
