"""The /api/v1/ endpoints of the cycle domain, over real HTTP (DRF's APIClient) on PostgreSQL: authentication,
Member States, and cycles (read, create, update with If-Match, transitions)."""

import datetime
from unittest.mock import ANY

import pytest
from rest_framework.test import APIClient

from pledges.pledging.models import Pledge, PledgeKind
from solidarity.accounts.tokens import issue_api_token
from solidarity.domain.models import CycleStatus, SolidarityCycle
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, state
from tests.solidarity.domain.api_support import (
    ADOPT,
    EVERY_ROLE,
    NON_WRITERS,
    REASON,
    as_persona,
    first_code,
    move,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_api(coordinator):
    return api_as(coordinator)


@pytest.fixture
def cycle():
    return CycleFactory(year=2027)


# --- Authentication -----------------------------------------------------------------------------------


def test_anonymous_gets_no_data_and_the_error_shape(api, cycle):
    response = api.get("/api/v1/cycles/")
    assert response.status_code in (401, 403)
    assert first_code(response) == "not_authenticated"
    assert "results" not in response.json()


def test_token_authentication(be_official, cycle):
    _token, key = issue_api_token(be_official, name="Script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/cycles/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = client.get("/api/v1/cycles/")
    assert refused.status_code in (401, 403)
    assert first_code(refused) == "authentication_failed"


def test_session_authentication_needs_the_csrf_token_to_write(coordinator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.get("/api/v1/member-states/").status_code == 200
    response = client.post(
        "/api/v1/cycles/",
        {"year": 2031, "reference_relocations": 1, "reference_financial_eur": "1.00", "reason": REASON},
        format="json",
    )
    assert response.status_code == 403
    assert first_code(response) == "permission_denied"
    assert not SolidarityCycle.objects.filter(year=2031).exists()


# --- Member States --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", EVERY_ROLE)
def test_every_logged_in_user_reads_member_states_in_protocol_order(request, persona):
    response = as_persona(request, persona).get("/api/v1/member-states/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 31
    assert [row["code"] for row in body["results"][:5]] == ["BE", "BG", "CZ", "DK", "DE"]
    assert body["results"][7] == {
        "code": "EL",
        "name": "Greece",
        "protocol_order": 8,
        "eu_member": True,
        "bound_by_solidarity": True,
        "dublin_associated": False,
        "note": body["results"][7]["note"],
    }


def test_member_state_filters_lookup_and_ordering(be_official):
    client = api_as(be_official)
    outside_key = client.get("/api/v1/member-states/?bound_by_solidarity=false").json()
    assert [row["code"] for row in outside_key["results"]] == ["DK", "NO", "IS", "CH", "LI"]
    associated = client.get("/api/v1/member-states/?dublin_associated=true&eu_member=false").json()
    assert [row["code"] for row in associated["results"]] == ["NO", "IS", "CH", "LI"]
    assert client.get("/api/v1/member-states/EL/").json()["name"] == "Greece"
    assert client.get("/api/v1/member-states/GR/").status_code == 404
    by_name = client.get("/api/v1/member-states/?ordering=-name").json()["results"]
    assert [row["code"] for row in by_name[:3]] == ["CH", "SE", "ES"]  # Switzerland, Sweden, Spain


def test_member_states_are_read_only_even_for_the_coordinator(coordinator_api):
    assert coordinator_api.post("/api/v1/member-states/", {"code": "XX"}, format="json").status_code == 405
    assert coordinator_api.patch("/api/v1/member-states/BE/", {"name": "X"}, format="json").status_code == 405
    assert coordinator_api.delete("/api/v1/member-states/BE/").status_code == 405


# --- Cycles: read ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", EVERY_ROLE)
def test_every_logged_in_user_reads_cycles(request, persona, cycle):
    client = as_persona(request, persona)
    listing = client.get("/api/v1/cycles/")
    assert listing.status_code == 200
    assert [row["year"] for row in listing.json()["results"]] == [2027]
    detail = client.get("/api/v1/cycles/2027/")
    assert detail.status_code == 200
    assert detail["ETag"] == '"1"'
    body = detail.json()
    assert body["status"] == "preparation"
    assert body["reference_financial_eur"] == "600000000.00"
    assert body["eur_per_relocation"] == "20000.00"
    assert body["version"] == 1
    assert "reason" not in body


def test_cycle_list_filters_and_orders(be_official):
    CycleFactory(year=2026, status=CycleStatus.ADOPTED)
    CycleFactory(year=2027, status=CycleStatus.PLEDGING)
    CycleFactory(year=2028)
    client = api_as(be_official)
    assert [c["year"] for c in client.get("/api/v1/cycles/").json()["results"]] == [2028, 2027, 2026]
    assert [c["year"] for c in client.get("/api/v1/cycles/?ordering=year").json()["results"]] == [2026, 2027, 2028]
    assert [c["year"] for c in client.get("/api/v1/cycles/?status=pledging").json()["results"]] == [2027]
    assert client.get("/api/v1/cycles/?status=nonsense").status_code == 400
    assert client.get("/api/v1/cycles/1999/").status_code == 404


# --- Cycles: create -------------------------------------------------------------------------------------

NEW_CYCLE = {
    "year": 2030,
    "reference_relocations": 30000,
    "reference_financial_eur": "600000000.00",
    "forum_dates": ["2029-11-18", "2029-11-27"],
    "reason": "Commission proposal COM(2029) 1",
}


def test_coordinator_creates_a_cycle_through_the_service(coordinator_api, coordinator):
    response = coordinator_api.post("/api/v1/cycles/", NEW_CYCLE, format="json")
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["year"], body["status"], body["version"]) == (2030, "preparation", 1)
    assert body["forum_dates"] == ["2029-11-18", "2029-11-27"]
    cycle = SolidarityCycle.objects.get(year=2030)
    last = cycle.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, NEW_CYCLE["reason"])


def test_creating_a_cycle_needs_a_bounded_reason_and_a_new_year(coordinator_api, cycle):
    too_long = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "reason": "r" * 2001}, format="json")
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0] == {
        "code": "max_length",
        "detail": too_long.json()["errors"][0]["detail"],
        "attr": "reason",
    }
    twice = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "year": 2027}, format="json")
    assert twice.status_code == 409  # a duplicate of a stored cycle
    assert twice.json()["errors"][0]["attr"] == "year"
    assert not SolidarityCycle.objects.filter(year=2030).exists()


def test_status_cannot_be_set_on_create(coordinator_api):
    response = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "status": "adopted"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "read_only", "detail": ANY, "attr": "status"}]
    assert not SolidarityCycle.objects.exists()


@pytest.mark.parametrize("persona", NON_WRITERS)
def test_only_the_coordinator_creates_cycles(request, persona):
    response = as_persona(request, persona).post("/api/v1/cycles/", NEW_CYCLE, format="json")
    assert response.status_code == 403
    assert first_code(response) == "permission_denied"
    assert not SolidarityCycle.objects.exists()


# --- Cycles: update with If-Match -------------------------------------------------------------------------


def test_coordinator_updates_a_cycle_with_if_match(coordinator_api, coordinator, cycle):
    response = coordinator_api.patch(
        "/api/v1/cycles/2027/",
        {"reference_relocations": 25000, "notes": "Council amended the proposal", "reason": "Council act"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert (response.json()["reference_relocations"], response.json()["version"]) == (25000, 2)
    cycle.refresh_from_db()
    assert (cycle.reference_relocations, cycle.version) == (25000, 2)
    last = cycle.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, "Council act")


def test_the_version_field_stands_in_for_if_match(coordinator_api, cycle):
    response = coordinator_api.patch(
        "/api/v1/cycles/2027/", {"notes": "x", "version": 1, "reason": "typo"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_put_replaces_the_cycle_data(coordinator_api, cycle):
    current = coordinator_api.get("/api/v1/cycles/2027/").json()
    payload = {**current, "legal_basis": "Regulation (EU) 2024/1351", "reason": "Complete the record"}
    payload.pop("status")
    response = coordinator_api.put("/api/v1/cycles/2027/", payload, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    cycle.refresh_from_db()
    assert (cycle.legal_basis, cycle.version) == ("Regulation (EU) 2024/1351", 2)


def test_a_stale_if_match_gets_412_and_changes_nothing(coordinator_api, cycle):
    first = coordinator_api.patch(
        "/api/v1/cycles/2027/", {"notes": "first", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200
    second = coordinator_api.patch(
        "/api/v1/cycles/2027/", {"notes": "second", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert second.status_code == 412
    assert first_code(second) == "stale_version"
    assert second.json()["current"]["current_version"] == 2
    assert "coordinator" in second.json()["errors"][0]["detail"]
    cycle.refresh_from_db()
    assert (cycle.notes, cycle.version) == ("first", 2)


def test_a_missing_version_gets_428(coordinator_api, cycle):
    response = coordinator_api.patch("/api/v1/cycles/2027/", {"notes": "x", "reason": "r"}, format="json")
    assert response.status_code == 428
    assert first_code(response) == "version_required"
    cycle.refresh_from_db()
    assert (cycle.notes, cycle.version) == ("", 1)


def test_an_update_needs_a_reason(coordinator_api, cycle):
    response = coordinator_api.patch("/api/v1/cycles/2027/", {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert first_code(response) == "reason_required"
    assert SolidarityCycle.objects.get(year=2027).version == 1


@pytest.mark.parametrize(("field", "value"), [("status", "adopted"), ("year", 2031)])
def test_status_and_year_are_read_only_on_update(coordinator_api, cycle, field, value):
    response = coordinator_api.patch(
        "/api/v1/cycles/2027/", {field: value, "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "read_only"
    assert response.json()["errors"][0]["attr"] == field
    cycle.refresh_from_db()
    assert (cycle.status, cycle.year, cycle.version) == ("preparation", 2027, 1)


def test_invalid_values_get_field_errors(coordinator_api, cycle):
    response = coordinator_api.patch(
        "/api/v1/cycles/2027/", {"weight_population": "half", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == "weight_population"
    # A rule of the database (weights at most 1) is refused before it reaches the table, as a 400.
    over_one = coordinator_api.patch(
        "/api/v1/cycles/2027/", {"weight_population": "2.5", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert over_one.status_code == 400
    assert over_one.json()["errors"][0]["attr"] == "non_field_errors"
    assert SolidarityCycle.objects.get(year=2027).version == 1


@pytest.mark.parametrize("persona", NON_WRITERS)
def test_only_the_coordinator_updates_cycles(request, persona, cycle):
    client = as_persona(request, persona)
    response = client.patch(
        "/api/v1/cycles/2027/", {"notes": "mine", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert first_code(response) == "permission_denied"
    put = client.put("/api/v1/cycles/2027/", {"notes": "mine"}, format="json", HTTP_IF_MATCH='"1"')
    assert put.status_code == 403
    cycle.refresh_from_db()
    assert (cycle.notes, cycle.version) == ("", 1)


def test_cycles_cannot_be_deleted(coordinator_api, cycle):
    assert coordinator_api.delete("/api/v1/cycles/2027/").status_code == 405
    assert SolidarityCycle.objects.filter(year=2027).exists()


# --- Cycle transitions --------------------------------------------------------------------------------------


def test_coordinator_moves_a_cycle_through_every_stage(coordinator_api, coordinator, cycle):
    expected = [
        ("propose", "proposed"),
        ("open_pledging", "pledging"),
        ("adopt", "adopted"),
        ("start_application", "in_application"),
        ("close", "closed"),
    ]
    for version, (transition, status) in enumerate(expected, start=2):
        response = move(coordinator_api, 2027, transition, **(ADOPT if transition == "adopt" else {}))
        body = response.json()
        assert (body["status"], body["version"]) == (status, version)
        assert response["ETag"] == f'"{version}"'
        if transition == "adopt":
            assert (body["recorded_pledges"], body["drafts_left"]) == (0, [])
        else:
            assert body["recorded_pledges"] is None and body["drafts_left"] is None
    cycle.refresh_from_db()
    assert cycle.status == "closed"
    assert cycle.council_act_reference == ADOPT["council_act_reference"]
    assert cycle.council_act_date == datetime.date(2025, 12, 19)
    transitions = [row.history_transition for row in cycle.history.order_by("history_date")]
    assert transitions == ["", *[name for name, _ in expected]]
    assert cycle.history.first().history_user == coordinator


# A transition tried from a stage it does not start from.
REFUSED = [
    ("preparation", "open_pledging"),
    ("preparation", "adopt"),
    ("proposed", "propose"),
    ("pledging", "start_application"),
    ("adopted", "close"),
    ("in_application", "adopt"),
    ("closed", "propose"),
]


@pytest.mark.parametrize(("stage", "transition"), REFUSED)
def test_a_transition_from_the_wrong_stage_gets_409(coordinator_api, stage, transition):
    CycleFactory(year=2027, status=stage)
    response = coordinator_api.post(
        "/api/v1/cycles/2027/transition/", {"transition": transition, "reason": "try", **ADOPT}, format="json"
    )
    assert response.status_code == 409
    assert first_code(response) == "transition_not_allowed"
    assert response.json()["current"] == {"status": stage}
    cycle = SolidarityCycle.objects.get(year=2027)
    assert (cycle.status, cycle.version) == (stage, 1)


@pytest.mark.parametrize("persona", NON_WRITERS)
@pytest.mark.parametrize(
    ("stage", "transition"),
    [("preparation", "propose"), ("proposed", "open_pledging"), ("pledging", "adopt"), ("adopted", "close")],
)
def test_only_the_coordinator_moves_a_cycle(request, persona, stage, transition):
    CycleFactory(year=2027, status=stage)
    response = as_persona(request, persona).post(
        "/api/v1/cycles/2027/transition/", {"transition": transition, "reason": "mine", **ADOPT}, format="json"
    )
    assert response.status_code == 403
    assert first_code(response) == "permission_denied"
    cycle = SolidarityCycle.objects.get(year=2027)
    assert (cycle.status, cycle.version, cycle.council_act_reference) == (stage, 1, "")


def test_an_unknown_transition_or_a_missing_reason_gets_400(coordinator_api, cycle):
    unknown = coordinator_api.post(
        "/api/v1/cycles/2027/transition/", {"transition": "abolish", "reason": "why not"}, format="json"
    )
    assert unknown.status_code == 400
    assert (first_code(unknown), unknown.json()["errors"][0]["attr"]) == ("transition_unknown", "transition")
    no_reason = coordinator_api.post("/api/v1/cycles/2027/transition/", {"transition": "propose"}, format="json")
    assert no_reason.status_code == 400
    assert (first_code(no_reason), no_reason.json()["errors"][0]["attr"]) == ("reason_required", "reason")
    no_transition = coordinator_api.post("/api/v1/cycles/2027/transition/", {"reason": "r"}, format="json")
    assert no_transition.status_code == 400
    assert no_transition.json()["errors"][0]["attr"] == "transition"
    assert SolidarityCycle.objects.get(year=2027).status == "preparation"


def test_adoption_needs_the_council_act(coordinator_api):
    CycleFactory(year=2027, status=CycleStatus.PLEDGING)
    response = coordinator_api.post(
        "/api/v1/cycles/2027/transition/", {"transition": "adopt", "reason": "Council act"}, format="json"
    )
    assert response.status_code == 409  # a missing precondition of the transition, not bad input
    assert first_code(response) == "council_act_required"
    assert SolidarityCycle.objects.get(year=2027).status == "pledging"


def test_adoption_records_submitted_pledges_and_reports_drafts(coordinator_api):
    cycle = CycleFactory(year=2027, status=CycleStatus.PLEDGING)
    submitted = PledgeFactory(cycle=cycle, member_state=state("NL"), status="submitted")
    draft = PledgeFactory(cycle=cycle, member_state=state("BE"), kind=PledgeKind.RELOCATION)
    response = move(coordinator_api, 2027, "adopt", **ADOPT)
    body = response.json()
    assert body["status"] == "adopted"
    assert (body["recorded_pledges"], body["drafts_left"]) == (1, [draft.pk])
    assert Pledge.objects.get(pk=submitted.pk).status == "recorded"
    assert Pledge.objects.get(pk=draft.pk).status == "draft"
