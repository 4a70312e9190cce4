"""Every whole number and every text a client may send has a bound, which the schema states and the API holds."""

import re

import pytest
from django.urls import reverse

from pledges.negotiation.models import ForumMeeting
from solidarity.platform.numbers import MAX_WHOLE
from solidarity.platform.serializers import TEXT_MAX_LENGTH
from tests.conftest import api_as
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db

# Strings whose form bounds them already: dates and decimals are read by their format, choices by their list.
BOUNDED_FORMATS = {"date", "date-time", "decimal"}


@pytest.fixture
def schema(coordinator):
    return api_as(coordinator).get(reverse("schema"), {"format": "json"}).json()


def _request_properties(schema):
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for field, prop in component.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            yield f"{name}.{field}", prop.get("items", prop) if prop.get("type") == "array" else prop


def test_every_whole_number_a_client_sends_has_a_minimum_and_a_maximum(schema):
    unbounded = [
        name
        for name, prop in _request_properties(schema)
        if prop.get("type") == "integer" and not {"minimum", "maximum"} <= set(prop)
    ]
    assert unbounded == []


def test_every_text_a_client_sends_has_a_maximum_length(schema):
    unbounded = [
        name
        for name, prop in _request_properties(schema)
        if prop.get("type") == "string"
        and "maxLength" not in prop
        and "enum" not in prop
        and prop.get("format") not in BOUNDED_FORMATS
    ]
    assert unbounded == []


def test_the_schema_states_the_bounds_of_the_numbers_the_services_read(schema):
    components = schema["components"]["schemas"]
    requested = components["OffsetRequest"]["properties"]["applications_requested"]
    assert (requested["minimum"], requested["maximum"]) == (1, MAX_WHOLE)
    quantity = components["PledgeRequest"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 1_000_000)
    assert components["ActivationRequest"]["properties"]["benefitting_state"]["maxLength"] == 2
    assert components["ActivationRequest"]["properties"]["pledge"]["minimum"] == 1


def test_free_text_has_the_registry_s_maximum(schema):
    documents = schema["components"]["schemas"]["ForumMeetingRequest"]["properties"]["documents"]
    # A text that may be blank and has a pattern (no NUL character) is "the pattern, or empty" (oneOf).
    text = documents["oneOf"][0] if "oneOf" in documents else documents
    assert (text["maxLength"], text["pattern"]) == (TEXT_MAX_LENGTH, "^[^\\u0000]+$")


MEETING = {
    "cycle": 2026,
    "level": "high",
    "date": "2025-11-18",
    "title": "High-Level EU Solidarity Forum",
    "location": "Brussels",
    "reason": "Convened by the presidency",
}


def test_a_text_longer_than_its_maximum_is_refused_and_nothing_is_written(coordinator):
    CycleFactory(year=2026, status="pledging")
    client = api_as(coordinator)
    response = client.post("/api/v1/forum-meetings/", {**MEETING, "documents": "d" * (TEXT_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == [("max_length", "documents")]
    assert not ForumMeeting.objects.exists()
    response = client.post("/api/v1/forum-meetings/", {**MEETING, "documents": "d" * TEXT_MAX_LENGTH})
    assert response.status_code == 201, response.json()


def test_a_version_beyond_the_integer_column_is_refused(coordinator):
    CycleFactory(year=2026, status="pledging")
    client = api_as(coordinator)
    meeting = client.post("/api/v1/forum-meetings/", MEETING).json()
    response = client.patch(
        f"/api/v1/forum-meetings/{meeting['id']}/",
        {"title": "Renamed", "version": MAX_WHOLE + 1, "reason": "r"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 400
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == [("max_value", "version")]


# --- Query parameters ---------------------------------------------------------------------------------------

PAGINATION = {"page", "page_size"}  # the paginator's own, bounded where pages are read


def _query_parameters(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query" or parameter["name"] in PAGINATION:
                    continue
                prop = parameter["schema"]
                yield f"{method} {path} {parameter['name']}", prop.get("items", prop)


def test_every_query_parameter_has_its_bounds(schema):
    unbounded = [
        name
        for name, prop in _query_parameters(schema)
        if (prop.get("type") in ("integer", "number") and not {"minimum", "maximum"} <= set(prop))
        or (
            prop.get("type") == "string"
            and "maxLength" not in prop
            and "enum" not in prop
            and prop.get("format") not in BOUNDED_FORMATS
        )
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (f"cycle={MAX_WHOLE + 1}", "max_value"),
        ("member_state=" + "B" * 201, "max_length"),
    ],
)
def test_a_filter_beyond_its_bound_is_refused(coordinator, query, code):
    response = api_as(coordinator).get(f"/api/v1/pledges/?{query}")
    assert response.status_code == 400
    assert [error["code"] for error in response.json()["errors"]] == [code]


def test_an_audit_log_object_id_beyond_its_length_is_refused(auditor):
    response = api_as(auditor).get(f"/api/v1/history/as-of/?model=pledges.pledge&object_id={'1' * 65}&at=2026-01-01")
    assert response.status_code == 400
    assert [error["code"] for error in response.json()["errors"]] == ["max_length"]


def test_an_audit_log_moment_beyond_its_length_is_refused(auditor):
    response = api_as(auditor).get("/api/v1/history/?date_after=2026-01-01T00:00:00.000000+02:00" + "0" * 10)
    assert response.status_code == 400
    assert [(error["code"], error["attr"]) for error in response.json()["errors"]] == [("max_length", "date_after")]


@pytest.mark.parametrize(
    "moment",
    ["3497-11-15T17:46:01.29724+23:37", "2026-07-01T12:00-23:59", "1000-01-01"],
)
def test_an_audit_log_moment_with_any_offset_is_read(auditor, moment):
    # PostgreSQL takes offsets up to ±15:59 only; the moment is read in UTC, whatever its offset.
    response = api_as(auditor).get("/api/v1/history/", {"date_before": moment, "format": "csv"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "attr"),
    [("date_before=9999-12-31", "date_before"), ("date_after=0001-01-01T00:00%2B01:00", "date_after")],
)
def test_an_audit_log_moment_beyond_the_calendar_is_refused(auditor, query, attr):
    response = api_as(auditor).get(f"/api/v1/history/?{query}")
    assert response.status_code == 400
    assert [(error["code"], error["attr"]) for error in response.json()["errors"]] == [("invalid_date", attr)]


def test_a_moment_long_ago_is_echoed_in_utc(auditor):
    # Brussels kept local mean time (+00:17:30) before 1892: an offset RFC 3339 cannot write.
    response = api_as(auditor).get(
        "/api/v1/history/as-of/", {"model": "pledges.pledge", "object_id": "1", "at": "1000-01-01"}
    )
    assert response.status_code == 200
    assert response.json()["at"] == "0999-12-31T23:42:30Z"


def test_an_empty_moment_filter_bounds_nothing_as_the_schema_says(auditor, schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/history/"]["get"]["parameters"]}
    for name in ("date_after", "date_before"):
        assert re.search(parameters[name]["schema"]["pattern"], "") is not None
        assert re.search(parameters[name]["schema"]["pattern"], "2026-13-01") is None
    assert api_as(auditor).get("/api/v1/history/?date_before=&date_after=").status_code == 200


def test_an_audit_log_filter_by_a_code_that_names_no_state_says_so(auditor):
    response = api_as(auditor).get("/api/v1/history/", {"member_state": "0"})
    assert response.status_code == 400
    assert [(error["code"], error["attr"]) for error in response.json()["errors"]] == [
        ("unknown_member_state", "member_state")
    ]


def test_an_empty_format_is_the_default_as_the_schema_says(coordinator, schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/forum-meetings/"]["get"]["parameters"]}
    assert parameters["format"]["schema"]["enum"] == ["", "csv", "json"]
    response = api_as(coordinator).get("/api/v1/forum-meetings/?format=")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
