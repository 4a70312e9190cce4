"""The OpenAPI schema of the negotiation endpoints."""

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


NEGOTIATION_PATHS = [
    "/api/v1/forum-meetings/",
    "/api/v1/forum-meetings/{id}/",
    "/api/v1/topics/",
    "/api/v1/topics/{id}/",
    "/api/v1/positions/",
    "/api/v1/positions/{id}/",
    "/api/v1/positions/{id}/history/",
    "/api/v1/positions/matrix/",
    "/api/v1/positions/bulk/",
]


def test_schema_documents_the_negotiation_endpoints_without_warnings():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    ours = [m for m in complaints if re.search(r"negotiation|Position|ForumMeeting|Topic|Matrix|Bulk", m)]
    assert ours == []
    validate_schema(schema)
    for path in NEGOTIATION_PATHS:
        assert path in schema["paths"], path
    listing = {p["name"] for p in schema["paths"]["/api/v1/positions/"]["get"]["parameters"]}
    assert {
        "cycle",
        "topic",
        "member_state",
        "meeting",
        "stance",
        "stance_min",
        "stance_max",
        "date_after",
        "date_before",
        "visibility",
        "recorded_by",
        "ordering",
    } <= listing
    patch = schema["paths"]["/api/v1/positions/{id}/"]["patch"]
    assert {"200", "400", "403", "404", "412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
    matrix = schema["paths"]["/api/v1/positions/matrix/"]["get"]
    assert [p["name"] for p in matrix["parameters"]] == ["cycle", "format"]  # format: json or csv
    bulk = schema["paths"]["/api/v1/positions/bulk/"]["post"]
    assert {"201", "400", "403"} <= set(bulk["responses"])
