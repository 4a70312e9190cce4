"""/api/v1/deduction-requests/: a state asks for a deduction (AMMR Arts 61-62) and the coordinator records
the Council's decision, over real HTTP on PostgreSQL."""

import pytest

from pledges.pledging.models import DeductionRequest
from solidarity.domain.models import Designation
from tests.conftest import api_as
from tests.factories import UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, as_persona, error, listed_ids

pytestmark = pytest.mark.django_db


# --- Deduction requests ------------------------------------------------------------------------------------------


@pytest.fixture
def at_official(pledging_cycle):
    # AMMR Art. 62: a state facing a significant migratory situation may ask for a deduction.
    Designation.objects.create(cycle=pledging_cycle, member_state=state("AT"), kind="significant_situation")
    return UserFactory(username="at_official", member_state=state("AT"), roles=["official"])


DEDUCTION = {"cycle": 2026, "article": "62", "scope": "partial", "requested_percent": "40", "grounds": "Reception"}


def test_an_official_requests_a_deduction_and_the_coordinator_grants_it(at_official, coordinator_api, be_api):
    at_api = api_as(at_official)
    response = at_api.post("/api/v1/deduction-requests/", {**DEDUCTION, "reason": REASON}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["member_state"], body["requested_percent"], body["status"], body["granted_percent"]) == (
        "AT",
        "40.0000",
        "requested",
        None,
    )
    url = f"/api/v1/deduction-requests/{body['id']}/"
    assert be_api.get(url).status_code == 404  # a request is the requesting state's until the Council decides

    decide = {"transition": "grant_partial", "reason": "Council act", "granted_percent": "25"}
    no_act = coordinator_api.post(f"{url}transition/", decide, format="json")
    assert (no_act.status_code, error(no_act)["code"]) == (409, "council_act_required")
    no_date = coordinator_api.post(f"{url}transition/", {**decide, "council_act_reference": "CID 1"}, format="json")
    assert (no_date.status_code, error(no_date)["code"]) == (409, "council_act_date_required")
    act = {"council_act_reference": "CID 1", "council_act_date": "2026-03-02"}
    refused = at_api.post(f"{url}transition/", {**decide, **act}, format="json")
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    granted = coordinator_api.post(f"{url}transition/", {**decide, **act}, format="json")
    assert granted.status_code == 200, granted.json()
    assert (granted.json()["status"], granted.json()["granted_percent"], granted.json()["council_act_reference"]) == (
        "granted_partial",
        "25.0000",
        "CID 1",
    )
    assert granted.json()["council_act_date"] == "2026-03-02"
    by_kind = [granted.json()[f"{kind}_percent"] for kind in ("relocations", "financial", "alternative")]
    assert by_kind == ["25.0000"] * 3
    # A granted deduction is in a Council act, and so public.
    assert be_api.get(url).json()["status"] == "granted_partial"
    assert listed_ids(be_api.get("/api/v1/deduction-requests/?member_state=AT&status=granted_partial")) == [body["id"]]
    again = coordinator_api.post(f"{url}transition/", {"transition": "refuse", "reason": "x"}, format="json")
    assert (again.status_code, error(again)["code"]) == (409, "transition_not_allowed")


@pytest.mark.parametrize(
    ("values", "attr", "code"),
    [
        ({"requested_percent": "140"}, "requested_percent", "out_of_range"),
        ({"requested_percent": "-1"}, "requested_percent", "out_of_range"),
        ({"requested_percent": "some"}, "requested_percent", "not_a_number"),
        ({"requested_percent": None}, "requested_percent", "required"),
        ({"article": "63"}, "article", "invalid_choice"),
        ({"scope": "most"}, "scope", "invalid_choice"),
    ],
)
def test_a_bad_deduction_request_writes_nothing(at_official, values, attr, code):
    response = api_as(at_official).post(
        "/api/v1/deduction-requests/", {**DEDUCTION, **values, "reason": REASON}, format="json"
    )
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, attr, code)
    assert not DeductionRequest.objects.exists()


def test_a_deduction_under_an_article_without_its_designation_is_a_409(at_official):
    # A missing precondition (the Art. 11 designation), not bad input.
    response = api_as(at_official).post(
        "/api/v1/deduction-requests/", {**DEDUCTION, "article": "61", "reason": REASON}, format="json"
    )
    assert (response.status_code, error(response)["code"]) == (409, "not_designated")
    assert not DeductionRequest.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "be_negotiator", "auditor"])
def test_only_an_official_requests_a_deduction_for_its_state(request, persona, at_official):
    response = as_persona(request, persona).post(
        "/api/v1/deduction-requests/", {**DEDUCTION, "member_state": "AT", "reason": REASON}, format="json"
    )
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not DeductionRequest.objects.exists()
