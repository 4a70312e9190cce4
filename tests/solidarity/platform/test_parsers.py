"""A JSON body the database cannot store as sent is a 400 in the one error shape, and nothing is written."""

import json

import pytest

from pledges.implementation.models import Activation
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_a_nul_character_in_a_json_body_is_refused(coordinator):
    response = api_as(coordinator).post(
        "/api/v1/activations/",
        {"pledge": 1, "benefitting_state": "abc\u0000def", "amount": "10", "reason": "r"},
        format="json",
    )
    assert response.status_code == 400
    assert _codes(response) == ["null_character"]
    assert not Activation.objects.exists()


def test_a_nul_character_in_a_json_key_is_refused(coordinator):
    body = json.dumps({"reason\u0000": "r"})
    response = api_as(coordinator).post("/api/v1/designations/", body, content_type="application/json")
    assert response.status_code == 400
    assert _codes(response) == ["null_character"]


def test_json_nested_a_hundred_thousand_levels_deep_is_refused(coordinator):
    body = "[" * 100_000 + "]" * 100_000
    response = api_as(coordinator).post("/api/v1/activations/", body, content_type="application/json")
    assert response.status_code == 400
    assert _codes(response) == ["too_deep"]


def test_an_anonymous_client_is_refused_before_its_body_is_read(api):
    response = api.post("/api/v1/activations/", {"benefitting_state": "a\u0000"}, format="json")
    assert response.status_code == 401
