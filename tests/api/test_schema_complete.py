"""The whole API is in its OpenAPI schema, documented, valid; any list exports as CSV; clients are throttled.

Checked against the routes Django actually serves (not against a list kept by hand), so that a viewset
registered tomorrow without documentation fails here.
"""

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from compliance.models import Benchmark
from pledges.negotiation.models import Position
from solidarity.accounts.models import User
from solidarity.domain.models import Scenario, SolidarityCycle
from tests.api.conftest import openapi_document

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
GENERIC_ERRORS = {"401", "403", "404", "429"}
PAGING = {"page", "page_size", "format"}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _as_template(route: str) -> str:
    """``api/v1/^pledges/(?P<pk>[0-9]+)/$`` -> ``/api/v1/pledges/{id}/``, as the schema names it."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + ("id" if m[1] == "pk" else m[1]) + "}", route)
    return "/" + path.replace("^", "").removesuffix("$")


def served_operations() -> set[tuple[str, str]]:
    """Every (path, method) Django routes under /api/v1/, format-suffix twins and the browsable root aside."""
    operations = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX) or "<format>" in route or "drf_format_suffix" in route:
            continue
        actions = getattr(pattern.callback, "actions", None)
        if actions is None:
            # DRF's API root (GET /api/v1/): an index of links for the browsable API, excluded from schemas.
            assert route == API_PREFIX, route
            continue
        # DRF answers HEAD wherever it answers GET; OpenAPI documents the GET only.
        operations |= {(_as_template(route), method) for method in actions if method != "head"}
    return operations


@pytest.fixture(scope="module")
def openapi():
    return openapi_document()


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(openapi, schema: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def is_list(openapi, operation) -> bool:
    """A GET whose JSON answer is an array, a page of `results`, or the audit log's keyset page."""
    ok = operation["responses"].get("200", {}).get("content", {}).get("application/json")
    if not ok:
        return False
    body = resolve(openapi, ok["schema"])
    return body.get("type") == "array" or "results" in body.get("properties", {})


# --- Everything served is in the schema ----------------------------------------------------------------------


def test_every_api_route_and_method_is_in_the_schema(openapi):
    served = served_operations()
    documented = {(path, method) for path, method, _ in operations(openapi)}
    assert len(served) > 90  # every app's resources: the walk itself found them
    assert served - documented == set()
    assert documented - served == set()


def test_every_resource_of_every_app_is_there(openapi):
    resources = {path.split("/")[3] for path in openapi["paths"]}
    assert resources >= {
        # solidarity
        "member-states",
        "cycles",
        "designations",
        "reference-figures",
        "scenarios",
        "history",
        # pledges
        "pledges",
        "activations",
        "fulfilments",
        "deduction-requests",
        "offsets",
        "forum-meetings",
        "topics",
        "positions",
        # compliance
        "dublin-performance",
        "secondary-movements",
        "action-plans",
        "benchmarks",
        "measurements",
        "findings",
    }


def test_schema_validates_without_a_warning():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generated = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    assert complaints == []
    validate_schema(generated)  # the OpenAPI 3 JSON schema drf-spectacular ships


# --- Documented: descriptions, examples, real status codes, the error shape -----------------------------------


def test_every_operation_has_a_summary_a_description_and_described_parameters(openapi):
    missing = []
    for path, method, operation in operations(openapi):
        if not operation.get("summary") or not operation.get("description"):
            missing.append(f"{method.upper()} {path}: summary or description")
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path" and not parameter.get("description"):
                missing.append(f"{method.upper()} {path}: parameter {parameter['name']}")
        for status, response in operation["responses"].items():
            if not response.get("description") and not status.startswith("2"):
                missing.append(f"{method.upper()} {path}: response {status}")
    assert missing == []


def test_every_write_has_a_request_example(openapi):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(openapi)
        if "requestBody" in operation and not operation["requestBody"]["content"]["application/json"].get("examples")
    ]
    assert missing == []


def test_every_operation_documents_its_real_error_statuses_in_the_one_shape(openapi):
    problems = []
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        expected = set(GENERIC_ERRORS)
        filters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"} - PAGING
        if "requestBody" in operation or filters:
            expected.add("400")
        if method in ("put", "patch"):
            expected |= {"412", "428"}
            if not any(p["name"] == "If-Match" and p["in"] == "header" for p in operation["parameters"]):
                problems.append(f"{label}: no If-Match header")
        if path.endswith("/transition/"):
            expected.add("409")
        if missing := expected - set(responses):
            problems.append(f"{label}: {sorted(missing)} not documented")
        for status, response in responses.items():
            if status >= "400":
                content = response.get("content", {})
                if set(content) != {"application/json"}:
                    problems.append(f"{label}: {status} is {sorted(content)}")
                elif content["application/json"]["schema"] != {"$ref": "#/components/schemas/ErrorResponse"}:
                    problems.append(f"{label}: {status} is not the ErrorResponse shape")
    assert problems == []


def test_the_error_shape_is_documented(openapi):
    schemas = openapi["components"]["schemas"]
    error = schemas["ErrorResponse"]
    assert set(error["required"]) == {"type", "errors"}
    assert {"type", "errors", "current"} <= set(error["properties"])
    item = schemas[error["properties"]["errors"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(item["properties"]) == {"code", "detail", "attr"}
    assert all(item["properties"][name].get("description") for name in ("code", "detail", "attr"))
    assert "errors" in openapi["info"]["description"].lower()
    stale = openapi["paths"]["/api/v1/pledges/{id}/"]["patch"]["responses"]["412"]["content"]["application/json"]
    example = next(iter(stale["examples"].values()))["value"]
    assert example["errors"][0]["code"] == "stale_version"


def test_every_list_and_only_lists_may_be_asked_as_csv(openapi):
    problems = []
    for path, method, operation in operations(openapi):
        formats = [p for p in operation.get("parameters", []) if p["name"] == "format"]
        csv_body = operation["responses"].get("200", {}).get("content", {}).get("text/csv")
        if method == "get" and (is_list(openapi, operation) or path == "/api/v1/positions/matrix/"):
            if not formats or set(formats[0]["schema"]["enum"]) != {"", "json", "csv"} or csv_body is None:
                problems.append(f"GET {path} does not offer CSV")
        elif formats or any("text/csv" in r.get("content", {}) for r in operation["responses"].values()):
            problems.append(f"{method.upper()} {path} offers CSV")
    assert problems == []


# --- Real answers: 401, JSON 404, throttling, CSV ------------------------------------------------------------


def test_without_credentials_the_api_answers_401_in_the_error_shape(api):
    response = api.get("/api/v1/pledges/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", ["/api/v1/pledges/abc/", "/api/v1/nowhere/", "/api/v1/cycles/2026/nothing/"])
def test_an_api_url_no_route_knows_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_outside_the_api_a_404_is_still_the_page(client):
    response = client.get("/nowhere-at-all/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def throttled(monkeypatch):
    """Three requests a minute, per anonymous client and per user; the counts start afresh."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min"})
    cache.clear()
    yield
    cache.clear()


def test_an_api_client_beyond_its_rate_gets_429_with_retry_after(throttled, demo_api_tokens):
    client = APIClient(HTTP_AUTHORIZATION=f"Token {demo_api_tokens['official']}")
    assert [client.get("/api/v1/cycles/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/cycles/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["errors"][0]["code"] == "throttled"
    # Per client: another user still has their own allowance.
    other = APIClient(HTTP_AUTHORIZATION=f"Token {demo_api_tokens['auditor']}")
    assert other.get("/api/v1/cycles/").status_code == 200


def test_anonymous_clients_are_throttled_where_they_are_served(throttled, api):
    answers = [api.get("/api/schema/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def _path_values() -> dict[str, str]:
    """A real object for each path parameter of a list endpoint, in the demo data."""
    coordinator = User.objects.get(username="coordinator")
    scenario = Scenario.objects.first()
    if scenario is None:
        client = APIClient()
        client.force_authenticate(coordinator)
        created = client.post("/api/v1/scenarios/", {"cycle": 2026, "title": "CSV", "reason": "Test"}, format="json")
        assert created.status_code == 201, created.json()
        scenario = Scenario.objects.get(pk=created.json()["id"])
    position = Position.objects.order_by("pk").first()
    benchmark = Benchmark.objects.order_by("pk").first()
    year = SolidarityCycle.objects.earliest("year").year
    return {
        "/api/v1/cycles/{year}/fair-shares/": f"/api/v1/cycles/{year}/fair-shares/",
        "/api/v1/scenarios/{id}/fair-shares/": f"/api/v1/scenarios/{scenario.pk}/fair-shares/",
        "/api/v1/positions/{id}/history/": f"/api/v1/positions/{position.pk}/history/",
        "/api/v1/benchmarks/{id}/series/": f"/api/v1/benchmarks/{benchmark.pk}/series/",
    }


PAGE_SIZES = {"/api/v1/history/": 200}  # the audit log's keyset pages are smaller


def _rows(openapi, operation, body) -> list:
    if isinstance(body, list):
        return body
    if "results" in body:
        return body["results"]
    raise AssertionError(f"not a list: {operation['operationId']}")


def test_every_list_exports_as_csv_with_the_rows_of_its_json(openapi, demo_api_tokens):
    auditor = APIClient(HTTP_AUTHORIZATION=f"Token {demo_api_tokens['auditor']}")
    urls = _path_values()
    lists = [(path, operation) for path, method, operation in operations(openapi) if method == "get"]
    lists = [(path, operation) for path, operation in lists if is_list(openapi, operation)]
    assert len(lists) >= 24
    checked = []
    for path, operation in lists:
        url = urls.get(path, path)
        assert "{" not in url, f"give {path} a real object in _path_values"
        query = f"page_size={PAGE_SIZES.get(path, 500)}"
        with CaptureQueriesContext(connection) as json_queries:
            as_json = auditor.get(f"{url}?{query}")
        with CaptureQueriesContext(connection) as csv_queries:
            as_csv = auditor.get(f"{url}?{query}&format=csv")
        assert as_json.status_code == 200, (path, as_json.content[:300])
        assert as_csv.status_code == 200, (path, as_csv.content[:300])
        assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
        assert as_csv["Content-Disposition"].startswith("attachment; filename=")
        json_rows = _rows(openapi, operation, as_json.json())
        header, *csv_rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
        assert len(csv_rows) == len(json_rows), path
        if json_rows:
            scalar_fields = [name for name, value in json_rows[0].items() if not isinstance(value, dict | list)]
            assert set(scalar_fields) <= set(header), path
        # Unpaged, a CSV costs no more queries than the same rows as JSON (no N+1 comes with the format).
        assert len(csv_queries) <= len(json_queries), (path, len(csv_queries), len(json_queries))
        checked.append(path)
    assert len(checked) == len(lists)


def _as(tokens, role) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {tokens[role]}")


def test_csv_keeps_numbers_and_neutralises_formulas(demo_api_tokens):
    client = _as(demo_api_tokens, "coordinator")
    created = client.post(
        "/api/v1/forum-meetings/",
        {"cycle": 2027, "level": "technical", "date": "2027-02-02", "title": "=HYPERLINK(1)", "reason": "Test"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/forum-meetings/?format=csv").content.decode())))
    mine = next(row for row in rows if row["id"] == str(created.json()["id"]))
    assert mine["title"] == "'=HYPERLINK(1)"
    assert mine["cycle"] == "2027"
    shares = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/cycles/2026/fair-shares/?format=csv").content.decode()))
    )
    assert {row["in_key"] for row in shares} == {"true", "false"}
    assert all(re.fullmatch(r"\d+\.\d{4}", row["share"]) for row in shares if row["in_key"] == "true")


def test_csv_of_a_whole_list_is_not_paged(demo_api_tokens):
    auditor = _as(demo_api_tokens, "auditor")
    count = auditor.get("/api/v1/reference-figures/").json()["count"]
    rows = list(
        csv.reader(io.StringIO(auditor.get("/api/v1/reference-figures/?format=csv&page_size=5").content.decode()))
    )
    assert count > 5
    assert len(rows) == count + 1


def test_an_empty_list_exports_its_header(demo_api_tokens):
    response = _as(demo_api_tokens, "coordinator").get("/api/v1/offsets/?cycle=1999&format=csv")
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header[:3] == ["id", "cycle", "benefitting_state"]
    assert "reason" not in header  # write-only


def test_an_error_asked_as_csv_keeps_the_json_shape(demo_api_tokens):
    client = _as(demo_api_tokens, "coordinator")
    response = client.get("/api/v1/pledges/999999/?format=csv")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"
    unknown = client.get("/api/v1/pledges/?format=pdf")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "client_error"


def test_the_negotiation_matrix_exports_as_a_table(demo_api_tokens):
    client = _as(demo_api_tokens, "coordinator")
    matrix = client.get("/api/v1/positions/matrix/?cycle=2026").json()
    response = client.get("/api/v1/positions/matrix/?cycle=2026&format=csv")
    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:2] == ["member_state", "name"]
    assert {topic["title"] for topic in matrix["topics"]} <= set(header)
    assert [row[0] for row in rows] == [row["member_state"] for row in matrix["rows"]]
    stances = {
        (row["member_state"], topic["title"]): cell["stance"]
        for row in matrix["rows"]
        for topic, cell in zip(matrix["topics"], row["cells"], strict=True)
        if cell
    }
    assert stances
    for (code, title), stance in stances.items():
        assert rows[[row[0] for row in rows].index(code)][header.index(title)] == stance


def test_the_audit_log_exports_a_page_with_its_links(demo_api_tokens):
    response = _as(demo_api_tokens, "auditor").get("/api/v1/history/?page_size=5&format=csv")
    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 5
    assert {"model", "object_id", "date", "user", "reason"} <= set(header)
    assert 'rel="next"' in response["Link"] and "cursor=" in response["Link"]


def test_the_fields_of_every_resource_are_described(openapi):
    undescribed = [
        f"{name}.{field}"
        for name, component in openapi["components"]["schemas"].items()
        for field, schema in component.get("properties", {}).items()
        # An enum with a blank choice is a `oneOf` of references: its values are described by the enum.
        if not schema.get("description") and "oneOf" not in schema
    ]
    assert undescribed == []
