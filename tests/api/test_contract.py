"""One contract over every resource: a 201 says where the new object is, a GET with an ETag answers 304.

Walked from the OpenAPI schema over the demo data (2026 in application, 2027 pledging), so that a create
route or an ETag added tomorrow is checked without being listed here by hand.
"""

import pytest
from rest_framework.test import APIClient

from compliance.models import ActionPlan, Benchmark
from pledges.implementation.models import Activation
from pledges.negotiation.models import ForumMeeting, Topic
from pledges.pledging.models import Pledge
from tests.api.conftest import openapi_document

pytestmark = pytest.mark.django_db

# Who creates what in the demo data, and a body that succeeds there where the schema's example does not.
CREATORS = {
    "/api/v1/cycles/": ("coordinator", None),
    "/api/v1/designations/": ("coordinator", None),
    "/api/v1/scenarios/": ("negotiator", None),
    "/api/v1/pledges/": ("official", {"cycle": 2027, "kind": "relocation", "quantity": 15, "reason": "Test"}),
    "/api/v1/activations/": ("coordinator", None),
    "/api/v1/fulfilments/": ("official", None),
    "/api/v1/deduction-requests/": (
        "official",
        {"cycle": 2027, "article": "62", "scope": "full", "grounds": "A significant situation", "reason": "Test"},
    ),
    "/api/v1/offsets/": ("official", None),
    "/api/v1/forum-meetings/": ("coordinator", None),
    "/api/v1/topics/": ("coordinator", {"cycle": 2026, "title": "A topic of its own", "reason": "Test"}),
    "/api/v1/positions/": ("negotiator", None),
    "/api/v1/positions/bulk/": ("negotiator", None),
    "/api/v1/dublin-performance/": ("compliance_officer", None),
    "/api/v1/secondary-movements/": ("compliance_officer", None),
    "/api/v1/action-plans/": ("compliance_officer", None),
    "/api/v1/benchmarks/": ("compliance_officer", None),
    "/api/v1/measurements/": ("compliance_officer", None),
    "/api/v1/findings/": ("compliance_officer", None),
}


BENCHMARK = {
    "indicator": "Case workers",
    "unit": "persons",
    "baseline": "10",
    "baseline_date": "2026-01-01",
    "target": "20",
    "due_date": "2026-12-31",
    "direction": "higher",
    "reason": "Test",
}


@pytest.fixture(scope="module")
def openapi():
    return openapi_document()


def _creates(openapi):
    for path, item in openapi["paths"].items():
        if "post" in item and "201" in item["post"]["responses"]:
            yield path, item["post"]


def _client(tokens, role) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {tokens[role]}")


def _prepare(path, tokens) -> dict:
    """What a create needs beyond the demo data: a designation for a deduction, a benchmark measured by hand."""
    if path == "/api/v1/deduction-requests/":
        designation = {"cycle": 2027, "member_state": "BE", "kind": "significant_situation", "reason": "Test"}
        assert (
            _client(tokens, "coordinator").post("/api/v1/designations/", designation, format="json").status_code == 201
        )
    if path == "/api/v1/measurements/":
        benchmark = Benchmark.objects.order_by("pk").first()
        by_hand = {**BENCHMARK, "action_plan": benchmark.action_plan_id}
        created = _client(tokens, "compliance_officer").post("/api/v1/benchmarks/", by_hand, format="json")
        assert created.status_code == 201, created.json()
        return {
            "benchmark": created.json()["id"],
            "date": "2026-06-30",
            "value": "5",
            "source": "Count",
            "reason": "Test",
        }
    return {}


def _demo_references() -> dict:
    """Ids of the demo data a create may name, chosen so that the create succeeds (the examples say 1 or 2)."""
    pledge = Pledge.objects.filter(status="recorded", cycle__status="in_application", kind="financial")
    accepted = Activation.objects.filter(status="accepted", pledge__member_state="BE", pledge__kind="financial")
    meeting = ForumMeeting.objects.order_by("pk").first()
    return {
        "pledge": pledge.exclude(member_state="EL").order_by("pk").first().pk,
        "activation": accepted.order_by("pk").first().pk,
        "meeting": meeting.pk,
        "topic": Topic.objects.filter(cycle=meeting.cycle).order_by("pk").first().pk,
        "action_plan": ActionPlan.objects.order_by("pk").first().pk,
    }


def _with_demo_references(body, references: dict):
    if isinstance(body, list):
        return [_with_demo_references(item, references) for item in body]
    if not isinstance(body, dict):
        return body
    return {
        key: references[key] if key in references else _with_demo_references(value, references)
        for key, value in body.items()
    }


def _example(operation) -> dict:
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return next(iter(examples.values()))["value"]


def test_every_create_route_is_walked(openapi):
    assert {path for path, _ in _creates(openapi)} == set(CREATORS)


def _create(openapi, tokens, path):
    role, body = CREATORS[path]
    body = _prepare(path, tokens) or body or _example(dict(_creates(openapi))[path])
    body = _with_demo_references(body, _demo_references())
    if path in ("/api/v1/activations/", "/api/v1/fulfilments/"):
        body["amount"] = "1.00"  # within what remains of any pledge or activation
    response = _client(tokens, role).post(path, body, format="json")
    assert response.status_code == 201, response.json()
    return response


@pytest.mark.parametrize("path", sorted(CREATORS))
def test_a_201_names_where_the_new_object_is_read(openapi, demo_api_tokens, path):
    client = _client(demo_api_tokens, CREATORS[path][0])
    response = _create(openapi, demo_api_tokens, path)
    location = response["Location"]
    read = client.get(location)
    assert read.status_code == 200, location
    created = response.json()
    if "id" in created:
        assert read.json()["id"] == created["id"]


# --- Conditional GET ----------------------------------------------------------------------------------------


def _details(openapi):
    """Each GET on one object (`/api/v1/<resource>/{id}/`), with its list's path."""
    for path, item in openapi["paths"].items():
        parts = path.strip("/").split("/")
        if "get" in item and len(parts) == 4 and parts[3].startswith("{"):
            yield path, item["get"], "/" + "/".join(parts[:3]) + "/"


def _an_object_url(openapi, tokens, path, list_path) -> str:
    """The URL of the first object of the list, created first where the demo data has none."""
    body = _client(tokens, "auditor").get(list_path).json()
    rows = body["results"] if isinstance(body, dict) else body
    row = rows[0] if rows else _create(openapi, tokens, list_path).json()
    name = path.rsplit("{", 1)[1].split("}")[0]
    return path.replace("{" + name + "}", str(row[name]))


def test_every_get_that_sends_an_etag_answers_if_none_match_with_304(openapi, demo_api_tokens):
    auditor = _client(demo_api_tokens, "auditor")
    checked, undocumented = [], []
    for path, operation, list_path in _details(openapi):
        url = _an_object_url(openapi, demo_api_tokens, path, list_path)
        response = auditor.get(url)
        assert response.status_code == 200, url
        documented = "304" in operation["responses"]
        if response.has_header("ETag") != documented:
            undocumented.append(path)
            continue
        if not documented:
            continue
        etag = response["ETag"]
        assert any(p["name"] == "If-None-Match" for p in operation["parameters"]), path
        for if_none_match in (etag, f"W/{etag}", f'"0", {etag}', "*"):
            unchanged = auditor.get(url, HTTP_IF_NONE_MATCH=if_none_match)
            assert unchanged.status_code == 304, (url, if_none_match)
            assert unchanged.content == b""
            assert unchanged["ETag"] == etag
        assert auditor.get(url, HTTP_IF_NONE_MATCH='"0", W/"999"').status_code == 200
        checked.append(path)
    assert undocumented == []
    assert len(checked) >= 15


# --- Lists ------------------------------------------------------------------------------------------------------


def _paged_lists(openapi):
    for path, item in openapi["paths"].items():
        if "get" in item and any(p["name"] == "page" for p in item["get"].get("parameters", [])):
            yield path, item["get"]


def test_every_paged_list_has_the_one_shape_a_link_header_and_strict_parameters(openapi, demo_api_tokens):
    auditor = _client(demo_api_tokens, "auditor")
    checked = []
    for path, operation in _paged_lists(openapi):
        if "{" in path:
            path = _an_object_url(openapi, demo_api_tokens, path, path.split("{")[0])
        response = auditor.get(path, {"page_size": 1})
        assert response.status_code == 200, path
        assert list(response.json()) == ["count", "next", "previous", "results"], path
        assert 'rel="first"' in response["Link"] and 'rel="last"' in response["Link"], path
        assert "Link" in operation["responses"]["200"]["headers"], path
        for query in ({"page": 0}, {"page_size": -1}, {"page": "x"}, {"page_size": 501}):
            refused = auditor.get(path, query)
            assert refused.status_code == 400, (path, query)
            assert refused.json()["errors"][0]["attr"] == next(iter(query)), (path, query)
        checked.append(path)
    assert len(checked) >= 20


def test_a_list_that_is_not_paged_says_so(openapi):
    unsaid = []
    for path, item in openapi["paths"].items():
        operation = item.get("get")
        if not operation or any(p["name"] == "page" for p in operation.get("parameters", [])):
            continue
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        schema = ok.get("schema", {})
        if "$ref" in schema:
            schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        keyset = "results" in schema.get("properties", {})  # the audit log: pages by cursor
        if (schema.get("type") == "array" or path.endswith("/matrix/")) and "not paginated" not in (
            operation["description"].lower()
        ):
            unsaid.append(path)
        if keyset and "Link" not in operation["responses"]["200"].get("headers", {}):
            unsaid.append(f"{path}: Link")
    assert unsaid == []
