"""/api/v1/offsets/: responsibility offsets and their eligibility (AMMR Art. 63), over real HTTP on
PostgreSQL."""

import pytest

from pledges.implementation.models import ResponsibilityOffset
from tests.conftest import api_as
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, error, listed_ids, set_stage

pytestmark = pytest.mark.django_db


# --- Responsibility offsets ----------------------------------------------------------------------------------------


@pytest.fixture
def it_official(db):
    return UserFactory(username="it_official", member_state=state("IT"), roles=["official"])


@pytest.fixture
def fr_official(db):
    return UserFactory(username="fr_official", member_state=state("FR"), roles=["official"])


OFFSET = {"cycle": 2026, "contributing_state": "FR", "applications_requested": 100, "requested_on": "2026-07-01"}


def eligibility(client, query="cycle=2026&contributing_state=FR"):
    response = client.get(f"/api/v1/offsets/eligibility/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_offsets_open_at_half_the_proposal(pledging_cycle, coordinator_api, it_official, fr_official):
    it_api = api_as(it_official)
    closed = it_api.post("/api/v1/offsets/", {**OFFSET, "reason": REASON}, format="json")
    assert (closed.status_code, error(closed)["code"]) == (409, "offsets_not_open")
    before = eligibility(coordinator_api)
    assert (before["pledged_relocations"], before["collective_percent"], before["may_request"]) == (0, "0.00", False)

    # AMMR Art. 63(1): relocation pledges reach 50 % of the proposal's 30 000 relocations.
    PledgeFactory(cycle=pledging_cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="submitted")
    after = eligibility(coordinator_api)
    assert after == {
        "cycle": 2026,
        "contributing_state": "FR",
        "threshold_percent": "50.00",
        "proposal_relocations": 30000,
        "pledged_relocations": 15000,
        "collective_percent": "50.00",
        "collective_threshold_met": True,
        "contributing_state_percent": "0.00",
        "contributing_state_threshold_met": False,
        "may_request": True,
        "explanation": after["explanation"],
    }
    assert "Art. 63(1)" in after["explanation"]

    response = it_api.post("/api/v1/offsets/", {**OFFSET, "reason": REASON}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["benefitting_state"], body["contributing_state"], body["answer_deadline"], body["status"]) == (
        "IT",
        "FR",
        "2026-07-31",
        "requested",
    )
    url = f"/api/v1/offsets/{body['id']}/"
    assert api_as(UserFactory(member_state=state("BE"), roles=["official"])).get(url).status_code == 404
    fr_api = api_as(fr_official)
    too_many = fr_api.post(
        f"{url}transition/",
        {"transition": "accept_partially", "applications_accepted": 100, "reason": REASON},
        format="json",
    )
    assert (too_many.status_code, error(too_many)["attr"], error(too_many)["code"]) == (
        400,
        "applications_accepted",
        "out_of_range",
    )
    refused = it_api.post(f"{url}transition/", {"transition": "accept", "reason": REASON}, format="json")
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    answered = fr_api.post(
        f"{url}transition/",
        {"transition": "accept_partially", "applications_accepted": 60, "explanation": "Capacity", "reason": REASON},
        format="json",
    )
    assert answered.status_code == 200, answered.json()
    assert (answered.json()["status"], answered.json()["applications_accepted"], answered.json()["version"]) == (
        "partially_accepted",
        60,
        2,
    )
    assert listed_ids(fr_api.get("/api/v1/offsets/?benefitting_state=IT&status=partially_accepted")) == [body["id"]]


@pytest.mark.parametrize(
    ("values", "attr", "code"),
    [
        ({"applications_requested": 0}, "applications_requested", "not_positive"),
        ({"applications_requested": "1.5"}, "applications_requested", "not_whole"),
        ({"applications_requested": "many"}, "applications_requested", "not_a_number"),
        # Beyond the integer column: a 500 ("integer out of range") before numbers were bounded.
        ({"applications_requested": 2147483648}, "applications_requested", "too_large"),
        ({"applications_requested": "1e5"}, "applications_requested", "not_a_number"),
        ({"contributing_state": "IT"}, "contributing_state", "offset_self"),
        ({"contributing_state": "XX"}, "contributing_state", "does_not_exist"),
    ],
)
def test_a_bad_offset_request_writes_nothing(pledging_cycle, it_official, values, attr, code):
    response = api_as(it_official).post("/api/v1/offsets/", {**OFFSET, **values, "reason": REASON}, format="json")
    # A state no one knows is a reference to nothing (404); the rest is bad input (400).
    expected_status = 404 if code == "does_not_exist" else 400
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (expected_status, attr, code)
    assert not ResponsibilityOffset.objects.exists()


def test_offset_eligibility_hides_pledges_before_adoption(pledging_cycle, be_api, fr_official, coordinator_api):
    # FR's fair share: 16.0353 % of 21 000 = 3 367.4 -> 3 368; 1 684 persons are half of it (Art. 63(2)).
    PledgeFactory(cycle=pledging_cycle, member_state=state("FR"), kind="relocation", quantity=1684, status="submitted")
    seen_by_belgium = eligibility(be_api)
    hidden = ("pledged_relocations", "collective_percent", "collective_threshold_met", "contributing_state_percent")
    assert all(seen_by_belgium[name] is None for name in hidden)
    assert (seen_by_belgium["may_request"], seen_by_belgium["proposal_relocations"]) == (None, 30000)
    assert "1684" not in seen_by_belgium["explanation"] and "50.00" not in seen_by_belgium["explanation"]

    seen_by_france = eligibility(api_as(fr_official))
    assert (seen_by_france["contributing_state_percent"], seen_by_france["contributing_state_threshold_met"]) == (
        "50.00",
        True,
    )
    assert (seen_by_france["collective_percent"], seen_by_france["may_request"]) == (None, True)

    seen_by_coordinator = eligibility(coordinator_api)
    assert (seen_by_coordinator["collective_percent"], seen_by_coordinator["may_request"]) == ("5.61", True)

    # With the Council act the pledges are public (Art. 57).
    set_stage(pledging_cycle, "adopted")
    PledgeFactory(cycle=pledging_cycle, member_state=state("DE"), kind="relocation", quantity=10, status="recorded")
    after = eligibility(be_api)
    assert (after["contributing_state_percent"], after["may_request"]) == ("50.00", True)


def test_offset_eligibility_needs_a_known_cycle(be_api, pledging_cycle):
    missing = be_api.get("/api/v1/offsets/eligibility/")
    assert (missing.status_code, error(missing)["attr"]) == (400, "cycle")
    unknown = be_api.get("/api/v1/offsets/eligibility/?cycle=1999")
    assert (unknown.status_code, error(unknown)["attr"], error(unknown)["code"]) == (404, "cycle", "does_not_exist")
    no_state = eligibility(be_api, "cycle=2026")
    assert (no_state["contributing_state"], no_state["contributing_state_threshold_met"]) == (None, None)
