"""The OpenAPI schema of the solidarity endpoints, and the Swagger UI served without any CDN."""

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

SOLIDARITY_PATHS = [
    "/api/v1/member-states/",
    "/api/v1/member-states/{code}/",
    "/api/v1/cycles/",
    "/api/v1/cycles/{year}/",
    "/api/v1/cycles/{year}/fair-shares/",
    "/api/v1/cycles/{year}/transition/",
    "/api/v1/designations/",
    "/api/v1/designations/{id}/",
    "/api/v1/reference-figures/",
    "/api/v1/reference-figures/{id}/",
]


@pytest.fixture
def generated_schema():
    """The schema as /api/schema/ builds it, with the warnings and errors drf-spectacular raised on the way."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, complaints


def test_schema_endpoint_serves_the_solidarity_paths(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in SOLIDARITY_PATHS:
        assert path in paths, path


def test_schema_of_the_solidarity_endpoints_has_no_warnings_and_is_valid_openapi(generated_schema):
    schema, complaints = generated_schema
    ours = [message for message in complaints if re.search(r"solidarity[/.]|FairShare|Cycle|Designation", message)]
    assert ours == []
    validate_schema(schema)


def test_schema_documents_versions_errors_and_transitions(generated_schema):
    schema, _ = generated_schema
    cycle = schema["paths"]["/api/v1/cycles/{year}/"]
    patch = cycle["patch"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert {"200", "400", "403", "412", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert patch["responses"]["412"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert patch["description"]

    transition = schema["paths"]["/api/v1/cycles/{year}/transition/"]["post"]
    assert {"200", "400", "403", "409"} <= set(transition["responses"])
    body = transition["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"transition", "reason", "council_act_reference", "council_act_date"} <= set(
        schema["components"]["schemas"][body]["properties"]
    )

    fair_shares = schema["paths"]["/api/v1/cycles/{year}/fair-shares/"]["get"]
    assert "409" in fair_shares["responses"]
    assert not any(p["name"] in ("page", "page_size") for p in fair_shares.get("parameters", []))
    row = schema["components"]["schemas"]["FairShareRow"]["properties"]
    for name in ("member_state", "share", "relocations", "financial_eur", "pledged_relocation_equivalent", "coverage"):
        assert name in row
    assert row["share"]["format"] == "decimal" and row["share"]["type"] == "string"

    listing = schema["paths"]["/api/v1/designations/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cycle", "member_state", "kind", "ordering", "page", "page_size"} <= names
    assert {"cycle", "member_state", "verified", "ordering"} <= {
        p["name"] for p in schema["paths"]["/api/v1/reference-figures/"]["get"]["parameters"]
    }


def test_swagger_ui_is_served_from_our_own_static_files(api, settings):
    # The manifest of hashed names exists only after collectstatic (a deployment step), not in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    # No inline script: the page's own script is a separate response (CSP script-src 'self').
    assert not re.search(r"<script>(?!\s*</script>)", html)
    script = api.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
