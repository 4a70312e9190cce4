"""A NUL character anywhere in a request is a 400, never a 500: in the API once the client may ask (401 first)."""

import io

import pytest
from django.test import Client
from rest_framework.exceptions import ParseError

from pledges.implementation.models import ResponsibilityOffset
from solidarity import api_urls
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.parsers import StrictFormParser
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/offsets/eligibility/?cycle=2027&contributing_state=%00",
        "/api/v1/offsets/?contributing_state=BE%00",
        "/api/v1/pledges/?member_state=%00",
        "/api/v1/positions/matrix/?cycle=2026&member_state=%00",
        "/api/v1/pledges/?%00=1",
    ],
)
def test_a_nul_character_in_the_path_or_query_of_the_api_is_a_400(coordinator, url):
    response = api_as(coordinator).get(url)
    assert response.status_code == 400
    assert response.json()["type"] == "client_error"
    assert _codes(response) == ["null_character"]


def test_a_nul_character_in_the_audit_log_query_is_a_400(auditor):
    response = api_as(auditor).get("/api/v1/history/as-of/?model=pledges.pledge&object_id=1%00&at=2026-01-01")
    assert response.status_code == 400
    assert _codes(response) == ["null_character"]


def test_a_nul_character_in_a_write_query_is_refused_and_nothing_is_written(coordinator):
    response = api_as(coordinator).post(
        "/api/v1/offsets/?reason=%00",
        {"cycle": 2026, "contributing_state": "BE", "applications_requested": 5, "reason": "r"},
    )
    assert response.status_code == 400
    assert _codes(response) == ["null_character"]
    assert not ResponsibilityOffset.objects.exists()


def test_an_anonymous_client_is_refused_before_its_query_is_read(api):
    response = api.get("/api/v1/offsets/eligibility/?cycle=2027&contributing_state=%00")
    assert response.status_code == 401


def test_a_client_without_the_right_is_refused_before_its_query_is_read(be_official):
    response = api_as(be_official).get("/api/v1/history/?model=%00")
    assert response.status_code == 403


def test_every_viewset_of_the_api_refuses_a_nul_character():
    viewsets = [viewset for _prefix, viewset, _basename in api_urls.router.registry]
    assert viewsets
    assert [v.__name__ for v in viewsets if not issubclass(v, RefusesNullCharacters)] == []


def test_the_form_parsers_of_debug_refuse_a_nul_character():
    with pytest.raises(ParseError) as refused:
        StrictFormParser().parse(io.BytesIO(b"benefitting_state=abc%00def"), parser_context={})
    assert refused.value.get_codes() == "null_character"


# --- Pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def page_client(coordinator):
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)
    return client


@pytest.mark.parametrize(
    "url", ["/pledges/?member_state=%00", "/compliance/?state=%00", "/?cycle=%00", "/audit/?model=%00"]
)
def test_a_nul_character_in_a_page_filter_is_a_400(page_client, url):
    response = page_client.get(url)
    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()


def test_a_nul_character_in_a_page_form_is_a_400(page_client):
    response = page_client.post("/pledges/new/", {"cycle": "2026", "member_state": "B\x00", "reason": "r"})
    assert response.status_code == 400
