"""One rule for the keys of a write body, on POST, PUT, PATCH and transitions; one error type per kind."""

import pytest

from pledges.pledging.models import Pledge
from solidarity.platform.wording import with_article
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, state

pytestmark = pytest.mark.django_db

PLEDGE = {"cycle": 2027, "kind": "financial", "amount_eur": "1000000.00", "reason": "Cabinet decision"}


@pytest.fixture
def pledging(db):
    return CycleFactory(year=2027, status="pledging")


def _only_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert len(body["errors"]) == 1, body
    return {"type": body["type"], **body["errors"][0]}


@pytest.mark.parametrize(
    ("extra", "attr", "code"),
    [
        ({"colour": "blue"}, "colour", "unknown_field"),
        ({"status": "recorded"}, "status", "read_only"),
        ({"status": "draft"}, "status", "read_only"),  # on a create nothing has a value to send back
        ({"id": 1}, "id", "read_only"),
    ],
)
def test_a_create_refuses_an_unknown_or_read_only_key_and_writes_nothing(be_official, pledging, extra, attr, code):
    response = api_as(be_official).post("/api/v1/pledges/", {**PLEDGE, **extra}, format="json")
    error = _only_error(response, 400)
    assert (error["type"], error["code"], error["attr"]) == ("validation_error", code, attr)
    assert not Pledge.objects.exists()


def test_every_refused_key_is_named(be_official, pledging):
    response = api_as(be_official).post("/api/v1/pledges/", {**PLEDGE, "a": 1, "status": "x"}, format="json")
    assert response.status_code == 400
    assert {(e["code"], e["attr"]) for e in response.json()["errors"]} == {
        ("unknown_field", "a"),
        ("read_only", "status"),
    }


@pytest.fixture
def pledge(pledging):
    return PledgeFactory(cycle=pledging, member_state=state("BE"))


def test_a_put_of_what_a_get_gave_is_accepted_read_only_fields_and_all(be_official, pledge):
    client = api_as(be_official)
    read = client.get(f"/api/v1/pledges/{pledge.pk}/").json()
    body = {**read, "amount_eur": "2000000.00", "reason": "Raised"}
    response = client.put(f"/api/v1/pledges/{pledge.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["amount_eur"] == "2000000.00"


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"colour": "blue"}, "colour", "unknown_field"),
        ({"status": "recorded"}, "status", "read_only"),
        ({"kind": "relocation"}, "kind", "read_only"),  # set on creation, fixed after it
        ({"id": 999}, "id", "read_only"),
    ],
)
def test_an_update_refuses_an_unknown_key_or_a_changed_read_only_field(be_official, pledge, method, change, attr, code):
    client = api_as(be_official)
    read = client.get(f"/api/v1/pledges/{pledge.pk}/").json()
    body = {**(read if method == "put" else {"version": read["version"]}), "reason": "Edit", **change}
    response = getattr(client, method)(f"/api/v1/pledges/{pledge.pk}/", body, format="json")
    error = _only_error(response, 400)
    assert (error["type"], error["code"], error["attr"]) == ("validation_error", code, attr)
    pledge.refresh_from_db()
    assert pledge.version == read["version"]


def test_a_transition_refuses_an_unknown_key(be_official, pledge):
    body = {"transition": "submit", "reason": "Approved", "urgent": True}
    response = api_as(be_official).post(f"/api/v1/pledges/{pledge.pk}/transition/", body, format="json")
    error = _only_error(response, 400)
    assert (error["code"], error["attr"]) == ("unknown_field", "urgent")
    pledge.refresh_from_db()
    assert pledge.status == "draft"


def test_a_bulk_row_refuses_an_unknown_key_by_its_index(be_negotiator, pledging):
    body = {"meeting": 1, "reason": "Minutes", "positions": [{"topic": 1, "member_state": "BE", "mood": "good"}]}
    response = api_as(be_negotiator).post("/api/v1/positions/bulk/", body, format="json")
    assert response.status_code == 400
    assert ("unknown_field", "positions[0].mood") in {(e["code"], e["attr"]) for e in response.json()["errors"]}


# --- One type per kind of error -------------------------------------------------------------------------------


def test_a_400_found_by_a_service_is_a_validation_error_as_a_serializers(be_official, pledging):
    client = api_as(be_official)
    by_service = client.post("/api/v1/pledges/", {**PLEDGE, "amount_eur": "0"}, format="json")
    by_serializer = client.post("/api/v1/pledges/", {**PLEDGE, "cycle": "x"}, format="json")
    assert _only_error(by_service, 400)["type"] == _only_error(by_serializer, 400)["type"] == "validation_error"
    assert _only_error(by_service, 400)["attr"] == "amount_eur"


def test_adoption_without_the_council_act_is_a_409(coordinator, pledging):
    body = {"transition": "adopt", "reason": "Adopted"}
    error = _only_error(api_as(coordinator).post("/api/v1/cycles/2027/transition/", body, format="json"), 409)
    assert (error["type"], error["code"]) == ("client_error", "council_act_required")


def test_adoption_asked_by_anyone_but_the_coordinator_is_a_403_first(be_official, pledging):
    body = {"transition": "adopt", "reason": "Adopted"}
    assert api_as(be_official).post("/api/v1/cycles/2027/transition/", body, format="json").status_code == 403


def test_a_second_cycle_for_a_year_is_a_409_unique(coordinator, pledging):
    body = {"year": 2027, "reference_relocations": 1, "reference_financial_eur": "1.00", "reason": "Again"}
    error = _only_error(api_as(coordinator).post("/api/v1/cycles/", body, format="json"), 409)
    assert (error["code"], error["attr"]) == ("unique", "year")


def test_a_deduction_without_the_designation_it_rests_on_is_a_409(be_official, pledging):
    body = {"cycle": 2027, "article": "61", "scope": "full", "grounds": "Pressure", "reason": "Request"}
    error = _only_error(api_as(be_official).post("/api/v1/deduction-requests/", body, format="json"), 409)
    assert error["code"] == "not_designated"


# --- Messages in correct English ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("noun", "phrase"),
    [
        ("activation", "an activation"),
        ("action plan", "an action plan"),
        ("offset", "an offset"),
        ("pledge", "a pledge"),
        ("user", "a user"),
        ("unit", "a unit"),
        ("European report", "a European report"),
        ("", "a "),
    ],
)
def test_a_name_takes_the_article_it_is_said_with(noun, phrase):
    assert with_article(noun) == phrase


def test_a_refused_transition_says_so_in_correct_english(be_official, pledge):
    Pledge.objects.filter(pk=pledge.pk).update(status="submitted")
    body = {"transition": "submit", "reason": "Again"}
    error = _only_error(api_as(be_official).post(f"/api/v1/pledges/{pledge.pk}/transition/", body, format="json"), 409)
    assert error["detail"] == "The transition submit is not allowed for a pledge whose status is submitted."
