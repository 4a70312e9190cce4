"""The reason of a change (issue 12): one function reads, trims, bounds and requires it; every history table
keeps it as text; the schema says its limit, where it is required and the X-Change-Reason header."""

import pytest
from django.db import connection, models
from drf_spectacular.generators import SchemaGenerator

from solidarity.platform.audit import audit_sources
from solidarity.platform.errors import ValidationFailed
from solidarity.platform.workflow import (
    REASON_MAX_LENGTH,
    creation_reason,
    edit_reason,
    require_reason,
)
from tests.factories import PledgeFactory

WRITES = ("post", "put", "patch", "delete")


# --- The one function --------------------------------------------------------------------------------------


def test_a_reason_is_trimmed_and_kept_up_to_the_limit():
    assert REASON_MAX_LENGTH == 2000
    assert require_reason("  Cabinet decision \n") == "Cabinet decision"
    assert require_reason("r" * 2000) == "r" * 2000
    assert require_reason(" " + "r" * 2000 + " ") == "r" * 2000


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("r" * 2001, "max_length"),
        (None, "reason_required"),
        ("", "reason_required"),
        ("  \t", "reason_required"),
        (True, "invalid"),
        (42, "invalid"),
        (["why"], "invalid"),
        ({"why": "no"}, "invalid"),
    ],
)
def test_a_missing_too_long_or_non_text_reason_is_refused(value, code):
    with pytest.raises(ValidationFailed) as error:
        require_reason(value)
    assert (error.value.code, error.value.field, error.value.status) == (code, "reason", 400)


def test_an_omitted_reason_is_recorded_as_created_or_draft_edited_only_where_allowed(db):
    assert creation_reason(" ") == "created"
    assert creation_reason("Cabinet decision") == "Cabinet decision"
    with pytest.raises(ValidationFailed):
        creation_reason("r" * 2001)
    assert edit_reason(PledgeFactory(status="draft"), "") == "draft edited"
    with pytest.raises(ValidationFailed) as error:
        edit_reason(PledgeFactory(status="submitted", kind="relocation"), "")
    assert error.value.code == "reason_required"


# --- Storage -------------------------------------------------------------------------------------------------


def history_models() -> list:
    """The history model of every model django-simple-history tracks, discovered as the audit log finds them."""
    return [source.history_model for source in audit_sources().values()]


def test_every_history_model_keeps_the_reason_as_text():
    found = history_models()
    assert len(found) >= 20
    for model in found:
        assert isinstance(model._meta.get_field("history_change_reason"), models.TextField), model.__name__


@pytest.mark.django_db
def test_every_history_table_has_a_text_reason_column():
    tables = [model._meta.db_table for model in history_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, data_type FROM information_schema.columns "
            "WHERE column_name = 'history_change_reason' AND table_name = ANY(%s)",
            [tables],
        )
        types = dict(cursor.fetchall())
    assert types == dict.fromkeys(tables, "text")


# --- The schema ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def request_body(schema, operation) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if body and "$ref" in body:
        return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return body


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITES:
                yield path, method, operation


def test_every_reason_field_says_its_limit(schema):
    reasons = {
        name: component["properties"]["reason"]
        for name, component in schema["components"]["schemas"].items()
        if "reason" in component.get("properties", {}) and name.endswith("Request")
    }
    assert {"PledgeRequest", "PledgeTransitionRequest", "BulkPositionsRequest", "CycleTransitionRequest"} <= set(
        reasons
    )
    for name, prop in reasons.items():
        # A reason that may be blank is "text without NUL, or empty" (oneOf); a required one is the text alone.
        text = prop["oneOf"][0] if "oneOf" in prop else prop
        assert text.get("maxLength") == 2000, name
        assert "2000 characters" in prop["description"], name


def test_a_transition_body_requires_its_reason_a_create_or_an_edit_documents_when(schema):
    seen = set()
    for path, method, operation in operations(schema):
        body = request_body(schema, operation)
        if body is None or "reason" not in body.get("properties", {}):
            continue
        required = "reason" in body.get("required", [])
        if path.endswith("/transition/"):
            assert required, path
            seen.add("transition")
        elif path in ("/api/v1/activations/", "/api/v1/fulfilments/"):
            assert required, path  # creating one changes a binding object
        else:
            assert not required, (method, path)
            assert "Optional when creating an object or editing a draft" in body["properties"]["reason"]["description"]
            seen.add(method)
    assert seen == {"transition", "post", "put", "patch"}


def test_every_write_documents_the_change_reason_header(schema):
    documented = 0
    for path, method, operation in operations(schema):
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "X-Change-Reason"]
        assert len(headers) == 1, (method, path)
        assert headers[0]["schema"] == {"type": "string", "maxLength": 2000}
        assert not headers[0].get("required", False)
        body = request_body(schema, operation) or {}
        if "reason" in body.get("required", []):
            assert headers[0]["description"].startswith("Not read here"), path
        else:
            assert "the body's `reason` wins" in headers[0]["description"], path
        documented += 1
    assert documented >= 50
    delete = schema["paths"]["/api/v1/scenarios/{id}/"]["delete"]
    assert "X-Change-Reason" in delete["description"]
