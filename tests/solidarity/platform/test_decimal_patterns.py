"""The schema states what the API reads: a decimal's notation and bounds in its pattern, a list's least length,
the audit log's object types as a list of values, and text parameters without the NUL character."""

import re

import pytest
from django.urls import reverse

from solidarity.platform.numbers import is_plain_decimal, plain_decimal_pattern
from solidarity.platform.schema import QUERY_TEXT_WITHOUT_NULL_CHARACTER
from tests.conftest import api_as

PROBES = [
    "0",
    "5",
    "-5",
    "05",
    "0.5",
    "5.5",
    "5.55",
    "5.555",
    "5.500",
    "99.99",
    "100",
    "100.00",
    "100.01",
    "101",
    "1.0000",
    "1.5",
    "2",
    "-0",
    "-0.00",
    "5.",
    ".5",
    "",
    "-",
    "+5",
    "1e5",
    "1_000",
    " 5",
    "5 ",
    "\u0665",
    "\uff15",
]


def _matches(pattern: str) -> set[str]:
    return {probe for probe in PROBES if re.search(pattern, probe)}


def test_a_percentage_of_a_column_takes_zero_to_one_hundred_with_two_places():
    pattern = plain_decimal_pattern(whole_digits=3, places=2, minimum=0, maximum=100)
    assert _matches(pattern) == {"0", "5", "05", "0.5", "5.5", "5.55", "99.99", "100", "100.00", "1.5", "2"}


def test_an_amount_above_zero_read_by_a_service_takes_zeros_beyond_the_cent():
    pattern = plain_decimal_pattern(whole_digits=13, places=2, minimum=0, above_minimum=True, trailing_zeros=True)
    assert _matches(pattern) == {
        "5",
        "05",
        "0.5",
        "5.5",
        "5.55",
        "5.500",
        "99.99",
        "100",
        "100.00",
        "100.01",
        "101",
        "1.0000",
        "1.5",
        "2",
    }


def test_a_figure_without_bounds_takes_a_sign_but_never_negative_zero():
    pattern = plain_decimal_pattern(whole_digits=12, places=2)
    assert {"-5", "0", "5"} <= _matches(pattern)
    assert not {"-0", "-0.00", "5.", ".5", "", "-", "+5", "1e5"} & _matches(pattern)


def test_a_weight_lies_between_zero_and_one():
    pattern = plain_decimal_pattern(whole_digits=1, places=4, minimum=0, maximum=1)
    assert _matches(pattern) == {"0", "0.5", "1.0000"}


def test_every_text_a_pattern_takes_is_read_as_a_number():
    for kwargs in (
        {"whole_digits": 3, "places": 2, "minimum": 0, "maximum": 100},
        {"whole_digits": 12, "places": 2},
        {"whole_digits": 13, "places": 2, "minimum": 0, "above_minimum": True, "trailing_zeros": True},
    ):
        assert all(is_plain_decimal(probe) for probe in _matches(plain_decimal_pattern(**kwargs)))


@pytest.mark.parametrize("bounds", [{"minimum": 5}, {"maximum": 42}])
def test_a_bound_no_pattern_can_say_is_refused_when_the_schema_is_built(bounds):
    with pytest.raises(ValueError):
        plain_decimal_pattern(whole_digits=5, places=2, **bounds)


@pytest.fixture
def schema(coordinator, db):
    return api_as(coordinator).get(reverse("schema"), {"format": "json"}).json()


def _request(schema, component: str, field: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][field]


def test_the_schema_reads_the_bounds_of_a_column_from_its_check_constraint(schema):
    # CHECK average_reply_days >= 0 (or null); eur_per_relocation > 0; 0 <= weights <= 1.
    assert not re.search(_request(schema, "DublinPerformanceRequest", "average_reply_days")["pattern"], "-1")
    assert re.search(_request(schema, "DublinPerformanceRequest", "average_reply_days")["pattern"], "12.5")
    assert not re.search(_request(schema, "CycleRequest", "eur_per_relocation")["pattern"], "0.00")
    assert not re.search(_request(schema, "CycleRequest", "weight_gdp")["pattern"], "1.5")
    # A benchmark's baseline may lie below zero (a trend), never "-0".
    assert re.search(_request(schema, "BenchmarkRequest", "baseline")["pattern"], "-3.50")


def test_every_decimal_a_client_sends_has_a_pattern_that_refuses_blank_and_lenient_notation(schema):
    lenient = ["", ".", "5.", "1e5", "+5", "-0", "\u0665"]
    components = schema["components"]["schemas"]
    checked = 0
    for name, component in components.items():
        if not name.endswith("Request") or f"{name}Request" in components:  # a response named "...Request"
            continue
        for field, prop in component.get("properties", {}).items():
            # A figure also taken as a whole JSON number states its text form as one of the alternatives.
            for text in [prop, *prop.get("oneOf", [])]:
                if text.get("format") == "decimal" and not text.get("readOnly"):
                    accepted = [sample for sample in lenient if re.search(text["pattern"], sample)]
                    assert accepted == [], f"{name}.{field}"
                    checked += 1
    assert checked > 10


def test_a_bulk_request_has_at_least_one_row(schema):
    assert _request(schema, "BulkPositionsRequest", "positions")["minItems"] == 1


def test_the_audit_log_lists_its_object_types(schema):
    (model,) = [p for p in schema["paths"]["/api/v1/history/"]["get"]["parameters"] if p["name"] == "model"]
    assert "pledges.pledge" in model["schema"]["enum"]
    assert "" in model["schema"]["enum"]  # no filter


def test_every_free_text_parameter_refuses_the_null_character(schema):
    free = [
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("query", "path")
        and parameter["schema"].get("type") == "string"
        and not {"pattern", "format", "enum"} & parameter["schema"].keys()
    ]
    assert free == []
    (user,) = [p for p in schema["paths"]["/api/v1/history/"]["get"]["parameters"] if p["name"] == "user"]
    assert user["schema"]["pattern"] == QUERY_TEXT_WITHOUT_NULL_CHARACTER
