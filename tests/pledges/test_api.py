"""The /api/v1/ endpoints of pledges, activations, fulfilments, deductions and offsets, over real HTTP on PostgreSQL."""

import datetime
import re
from decimal import Decimal

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from compliance.models import Finding
from pledges.implementation import services
from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.pledging.models import DeductionRequest, Pledge
from solidarity.domain.models import Designation, SolidarityCycle
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Agreed in the delegation"
ADOPT = {"council_act_reference": "Council Implementing Decision (EU) 2025/2642", "council_act_date": "2025-12-19"}


def error(response) -> dict:
    return response.json()["errors"][0]


def set_stage(cycle, status: str, **values):
    # Tests start cycles in any stage; production code moves them only by transitions.
    SolidarityCycle.objects.filter(pk=cycle.pk).update(status=status, **values)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def pledging_cycle(cycle_with_figures):
    return set_stage(cycle_with_figures, "pledging", proposal_relocations=30000)


@pytest.fixture
def applied_cycle():
    """A later cycle in application, where pledges are recorded, public and activated."""
    return CycleFactory(year=2027, status="in_application")


@pytest.fixture
def be_api(be_official):
    return api_as(be_official)


@pytest.fixture
def nl_api(nl_official):
    return api_as(nl_official)


@pytest.fixture
def coordinator_api(coordinator):
    return api_as(coordinator)


def as_persona(request, name: str):
    return api_as(request.getfixturevalue(name))


def history_rows() -> int:
    return sum(
        model.history.count() for model in (Pledge, Activation, Fulfilment, DeductionRequest, ResponsibilityOffset)
    )


FINANCIAL = {"cycle": 2026, "kind": "financial", "amount_eur": "12967500.00", "reason": REASON}
RELOCATION = {"cycle": 2026, "kind": "relocation", "quantity": 300, "reason": REASON}


def transition(client, pledge_id: int, name: str, **extra):
    return client.post(
        f"/api/v1/pledges/{pledge_id}/transition/", {"transition": name, "reason": REASON, **extra}, format="json"
    )


# --- Pledges: create -------------------------------------------------------------------------------------


def test_official_records_a_pledge_of_its_own_state(pledging_cycle, be_api, be_official):
    response = be_api.post("/api/v1/pledges/", FINANCIAL, format="json")
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body == {
        "id": body["id"],
        "cycle": 2026,
        "member_state": "BE",
        "kind": "financial",
        "quantity": None,
        "amount_eur": "12967500.00",
        "description": "",
        "earmark": None,
        "status": "draft",
        "version": 1,
        # EUR 12 967 500 / EUR 20 000 per relocation = 648.375 -> 648.38
        "relocation_equivalent": "648.38",
        "activated": "0.00",
        "illustrative": False,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    pledge = Pledge.objects.get(pk=body["id"])
    assert (pledge.member_state_id, pledge.amount_eur, pledge.recorded_by) == (
        "BE",
        Decimal("12967500.00"),
        be_official,
    )
    row = pledge.history.get()
    assert (row.history_user, row.history_change_reason) == (be_official, REASON)


def test_states_are_codes_in_either_case(pledging_cycle, be_api):
    response = be_api.post("/api/v1/pledges/", {**RELOCATION, "member_state": "be", "earmark": "it"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["member_state"], response.json()["earmark"]) == ("BE", "IT")
    assert response.json()["relocation_equivalent"] == "300.00"


def test_an_alternative_measure_needs_a_description(pledging_cycle, be_api):
    values = {"cycle": 2026, "kind": "alternative", "amount_eur": "500000", "reason": REASON}
    missing = be_api.post("/api/v1/pledges/", values, format="json")
    assert (missing.status_code, error(missing)["attr"], error(missing)["code"]) == (400, "description", "required")
    described = be_api.post("/api/v1/pledges/", {**values, "description": "Two reception experts"}, format="json")
    assert described.status_code == 201
    assert (described.json()["amount_eur"], described.json()["relocation_equivalent"]) == ("500000.00", "25.00")


@pytest.mark.parametrize("persona", ["coordinator", "be_negotiator", "auditor", "compliance_officer", "outsider"])
def test_only_officials_record_pledges(request, pledging_cycle, persona):
    response = as_persona(request, persona).post("/api/v1/pledges/", {**FINANCIAL, "member_state": "BE"}, format="json")
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Pledge.objects.exists()


def test_an_official_cannot_record_a_pledge_for_another_state(pledging_cycle, be_api):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, "member_state": "NL"}, format="json")
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Pledge.objects.exists()


BAD_PLEDGES = [
    # (kind, values, field, code)
    ("financial", {"amount_eur": "-5"}, "amount_eur", "not_positive"),
    ("financial", {"amount_eur": -5}, "amount_eur", "not_positive"),
    ("financial", {"amount_eur": "0"}, "amount_eur", "not_positive"),
    ("financial", {"amount_eur": "lots"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "NaN"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "Infinity"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "1e30"}, "amount_eur", "too_large"),
    ("financial", {"amount_eur": 1e30}, "amount_eur", "too_large"),
    ("financial", {"amount_eur": "100000000000.01"}, "amount_eur", "too_large"),
    ("financial", {"amount_eur": "10.555"}, "amount_eur", "too_many_decimals"),
    ("financial", {"amount_eur": True}, "amount_eur", "invalid"),
    ("financial", {"amount_eur": ["100"]}, "amount_eur", "invalid"),
    ("financial", {"amount_eur": {"value": 100}}, "amount_eur", "invalid"),
    ("financial", {"amount_eur": "100", "quantity": 3}, "quantity", "not_allowed_for_kind"),
    ("financial", {}, "amount_eur", "required"),
    ("relocation", {"quantity": "2.5"}, "quantity", "not_whole"),
    ("relocation", {"quantity": 2.5}, "quantity", "not_whole"),
    ("relocation", {"quantity": -10}, "quantity", "not_positive"),
    ("relocation", {"quantity": "ten"}, "quantity", "not_a_number"),
    ("relocation", {"quantity": 50_000_000}, "quantity", "too_large"),
    ("relocation", {"quantity": 10**40}, "quantity", "too_large"),
    ("relocation", {"quantity": 10, "amount_eur": "200000"}, "amount_eur", "not_allowed_for_kind"),
    ("relocation", {}, "quantity", "required"),
    ("alternative", {"amount_eur": "-1", "description": "Staff"}, "amount_eur", "not_positive"),
    ("donation", {"amount_eur": "100"}, "kind", "invalid_choice"),
]


@pytest.mark.parametrize(("kind", "values", "field", "code"), BAD_PLEDGES)
def test_bad_amounts_get_a_clear_400_and_write_nothing(pledging_cycle, be_api, kind, values, field, code):
    response = be_api.post("/api/v1/pledges/", {"cycle": 2026, "kind": kind, "reason": REASON, **values}, format="json")
    assert response.status_code == 400, response.json()
    assert (error(response)["attr"], error(response)["code"]) == (field, code)
    assert error(response)["detail"]
    assert not Pledge.objects.exists()
    assert Pledge.history.count() == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [({"cycle": 1999}, "cycle"), ({"member_state": "XX"}, "member_state"), ({"earmark": "ZZ"}, "earmark")],
)
def test_unknown_references_get_a_400_naming_the_field(pledging_cycle, be_api, values, field):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, **values}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, field, "does_not_exist")
    assert not Pledge.objects.exists()


def test_a_pledge_cannot_be_earmarked_to_its_own_state(pledging_cycle, be_api):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, "earmark": "BE"}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, "earmark", "earmark_self")
    assert not Pledge.objects.exists()


def test_a_reason_is_required(pledging_cycle, be_api):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, "reason": "  "}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (
        400,
        "reason",
        "reason_required",
    )
    assert not Pledge.objects.exists()


def test_a_second_live_pledge_of_a_kind_gets_409(pledging_cycle, be_api):
    assert be_api.post("/api/v1/pledges/", FINANCIAL, format="json").status_code == 201
    again = be_api.post("/api/v1/pledges/", {**FINANCIAL, "amount_eur": "1.00"}, format="json")
    assert (again.status_code, error(again)["code"], error(again)["attr"]) == (409, "pledge_exists", "kind")
    assert Pledge.objects.count() == 1


@pytest.mark.parametrize("stage", ["preparation", "proposed", "adopted", "in_application", "closed"])
def test_pledges_are_recorded_only_during_the_pledging_exercise(cycle_with_figures, be_api, stage):
    set_stage(cycle_with_figures, stage)
    response = be_api.post("/api/v1/pledges/", FINANCIAL, format="json")
    assert (response.status_code, error(response)["code"]) == (409, "pledging_closed")
    assert not Pledge.objects.exists()


# --- Pledges: who sees what ----------------------------------------------------------------------------------


@pytest.fixture
def nl_pledges(pledging_cycle):
    """NL's pledges before adoption: one draft, one submitted."""
    return {
        "draft": PledgeFactory(cycle=pledging_cycle, member_state=state("NL"), kind="relocation", quantity=500),
        "submitted": PledgeFactory(cycle=pledging_cycle, member_state=state("NL"), status="submitted"),
    }


@pytest.fixture
def be_pledge(pledging_cycle):
    return PledgeFactory(cycle=pledging_cycle, member_state=state("BE"))


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_belgium_does_not_see_dutch_pledges_before_adoption(be_api, nl_api, nl_pledges, be_pledge):
    assert listed_ids(be_api.get("/api/v1/pledges/")) == [be_pledge.pk]
    assert listed_ids(be_api.get("/api/v1/pledges/?member_state=NL")) == []
    for pledge in nl_pledges.values():
        response = be_api.get(f"/api/v1/pledges/{pledge.pk}/")
        assert (response.status_code, error(response)["code"]) == (404, "not_found")
    assert sorted(listed_ids(nl_api.get("/api/v1/pledges/"))) == sorted(p.pk for p in nl_pledges.values())
    assert nl_api.get(f"/api/v1/pledges/{nl_pledges['draft'].pk}/").json()["quantity"] == 500


@pytest.mark.parametrize("persona", ["coordinator", "auditor"])
def test_the_coordinator_and_auditors_see_every_pledge(request, persona, nl_pledges, be_pledge):
    client = as_persona(request, persona)
    assert len(listed_ids(client.get("/api/v1/pledges/"))) == 3
    assert client.get(f"/api/v1/pledges/{nl_pledges['draft'].pk}/").status_code == 200


@pytest.mark.parametrize("persona", ["outsider", "compliance_officer", "nl_negotiator"])
def test_others_see_no_unrecorded_pledge_of_belgium(request, persona, be_pledge):
    client = as_persona(request, persona)
    assert listed_ids(client.get("/api/v1/pledges/?member_state=BE")) == []
    assert client.get(f"/api/v1/pledges/{be_pledge.pk}/").status_code == 404


def test_the_cycle_filter_keeps_who_sees_what(request, be_api, nl_pledges, be_pledge, applied_cycle):
    """Filtered by cycle, the list applies the rule of that cycle: before the Council act a state's own pledges,
    after it also everyone's recorded ones (but never another state's withdrawn one)."""
    nl_recorded = PledgeFactory(cycle=applied_cycle, member_state=state("NL"), status="recorded")
    PledgeFactory(cycle=applied_cycle, member_state=state("NL"), kind="relocation", quantity=3, status="withdrawn")
    be_withdrawn = PledgeFactory(cycle=applied_cycle, member_state=state("BE"), status="withdrawn")

    assert listed_ids(be_api.get("/api/v1/pledges/?cycle=2026")) == [be_pledge.pk]
    assert sorted(listed_ids(be_api.get("/api/v1/pledges/?cycle=2027"))) == sorted([nl_recorded.pk, be_withdrawn.pk])
    assert listed_ids(be_api.get("/api/v1/pledges/?cycle=2099")) == []
    compliance = as_persona(request, "compliance_officer")
    assert listed_ids(compliance.get("/api/v1/pledges/?cycle=2026")) == []
    assert listed_ids(compliance.get("/api/v1/pledges/?cycle=2027")) == [nl_recorded.pk]
    coordinator = as_persona(request, "coordinator")
    assert len(listed_ids(coordinator.get("/api/v1/pledges/?cycle=2026"))) == 3


def test_anonymous_clients_get_nothing(api, be_pledge):
    response = api.get("/api/v1/pledges/")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()
    assert api.get(f"/api/v1/pledges/{be_pledge.pk}/").status_code in (401, 403)


def test_pledges_are_filtered_and_ordered(coordinator_api, pledging_cycle, applied_cycle):
    be_relocation = PledgeFactory(
        cycle=pledging_cycle, member_state=state("BE"), kind="relocation", quantity=40, earmark=state("IT")
    )
    be_financial = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="submitted")
    fr_financial = PledgeFactory(cycle=pledging_cycle, member_state=state("FR"), amount_eur=Decimal("5000000.00"))
    older = PledgeFactory(cycle=applied_cycle, member_state=state("DE"), status="recorded")

    def ids(query: str) -> list[int]:
        return listed_ids(coordinator_api.get(f"/api/v1/pledges/?{query}"))

    # Default order: cycle, state in protocol order (BE before DE before FR), then kind.
    assert ids("") == [be_financial.pk, be_relocation.pk, fr_financial.pk, older.pk]
    assert ids("cycle=2027") == [older.pk]
    assert ids("member_state=be&kind=relocation") == [be_relocation.pk]
    assert ids("status=submitted") == [be_financial.pk]
    assert ids("earmark=IT") == [be_relocation.pk]
    assert ids("cycle=2026&kind=financial&ordering=-amount_eur") == [fr_financial.pk, be_financial.pk]
    # Ties are broken by id, so pages never share or skip a row.
    assert ids("ordering=-member_state") == [fr_financial.pk, older.pk, be_relocation.pk, be_financial.pk]
    bad = coordinator_api.get("/api/v1/pledges/?status=binding")
    assert (bad.status_code, error(bad)["attr"]) == (400, "status")


# --- Pledges: revise with If-Match ------------------------------------------------------------------------------


def test_official_revises_a_pledge_with_if_match(be_api, be_official, be_pledge):
    url = f"/api/v1/pledges/{be_pledge.pk}/"
    assert be_api.get(url)["ETag"] == '"1"'
    response = be_api.patch(
        url, {"amount_eur": "2000000.00", "reason": "Raised after the forum"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["amount_eur"], body["version"], body["relocation_equivalent"]) == ("2000000.00", 2, "100.00")
    be_pledge.refresh_from_db()
    assert (be_pledge.amount_eur, be_pledge.version) == (Decimal("2000000.00"), 2)
    last = be_pledge.history.first()
    assert (last.history_user, last.history_change_reason) == (be_official, "Raised after the forum")


def test_the_version_field_stands_in_for_if_match(be_api, be_pledge):
    response = be_api.patch(
        f"/api/v1/pledges/{be_pledge.pk}/", {"earmark": "el", "version": 1, "reason": REASON}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["earmark"], response.json()["version"]) == ("EL", 2)


def test_put_replaces_what_may_change(be_api, be_pledge):
    url = f"/api/v1/pledges/{be_pledge.pk}/"
    current = be_api.get(url).json()
    payload = {**current, "amount_eur": "750000.00", "description": "For reception", "reason": REASON}
    response = be_api.put(url, payload, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    be_pledge.refresh_from_db()
    assert (be_pledge.amount_eur, be_pledge.description, be_pledge.version) == (
        Decimal("750000.00"),
        "For reception",
        2,
    )


def test_a_stale_version_gets_412_and_a_missing_one_428(be_api, be_pledge):
    url = f"/api/v1/pledges/{be_pledge.pk}/"
    first = be_api.patch(url, {"amount_eur": "2.00", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    stale = be_api.patch(url, {"amount_eur": "3.00", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert (stale.status_code, error(stale)["code"]) == (412, "stale_version")
    assert stale.json()["current"]["current_version"] == 2
    assert "be_official" in error(stale)["detail"]
    missing = be_api.patch(url, {"amount_eur": "3.00", "reason": REASON}, format="json")
    assert (missing.status_code, error(missing)["code"]) == (428, "version_required")
    be_pledge.refresh_from_db()
    assert (be_pledge.amount_eur, be_pledge.version) == (Decimal("2.00"), 2)


@pytest.mark.parametrize(
    ("field", "value"), [("kind", "relocation"), ("cycle", 2027), ("member_state", "NL"), ("status", "recorded")]
)
def test_what_makes_a_pledge_cannot_change(be_api, be_pledge, applied_cycle, field, value):
    response = be_api.patch(
        f"/api/v1/pledges/{be_pledge.pk}/", {field: value, "reason": REASON}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, field, "read_only")
    be_pledge.refresh_from_db()
    assert (be_pledge.kind, be_pledge.cycle.year, be_pledge.member_state_id, be_pledge.status, be_pledge.version) == (
        "financial",
        2026,
        "BE",
        "draft",
        1,
    )


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"amount_eur": "-100"}, "amount_eur", "not_positive"),
        ({"amount_eur": "a million"}, "amount_eur", "not_a_number"),
        ({"amount_eur": "9e99"}, "amount_eur", "too_large"),
        ({"quantity": 12}, "quantity", "not_allowed_for_kind"),
        ({"amount_eur": None}, "amount_eur", "required"),
        ({"earmark": "BE"}, "earmark", "earmark_self"),
    ],
)
def test_a_bad_revision_gets_400_and_changes_nothing(be_api, be_pledge, values, field, code):
    rows = be_pledge.history.count()
    response = be_api.patch(
        f"/api/v1/pledges/{be_pledge.pk}/", {**values, "reason": REASON}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, field, code)
    be_pledge.refresh_from_db()
    assert (be_pledge.amount_eur, be_pledge.quantity, be_pledge.earmark, be_pledge.version) == (
        Decimal("1000000.00"),
        None,
        None,
        1,
    )
    assert be_pledge.history.count() == rows


def test_a_recorded_pledge_is_not_revised(be_api, applied_cycle):
    recorded = PledgeFactory(cycle=applied_cycle, member_state=state("BE"), status="recorded")
    response = be_api.patch(
        f"/api/v1/pledges/{recorded.pk}/", {"amount_eur": "1.00", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert (response.status_code, error(response)["code"]) == (409, "pledging_closed")
    recorded.refresh_from_db()
    assert (recorded.amount_eur, recorded.version) == (Decimal("1000000.00"), 1)


@pytest.mark.parametrize("persona", ["be_negotiator", "coordinator", "auditor"])
def test_those_who_see_a_pledge_but_do_not_own_it_cannot_change_it(request, persona, be_pledge):
    client = as_persona(request, persona)
    url = f"/api/v1/pledges/{be_pledge.pk}/"
    assert client.get(url).status_code == 200
    patch = client.patch(url, {"amount_eur": "1.00", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert (patch.status_code, error(patch)["code"]) == (403, "permission_denied")
    moved = transition(client, be_pledge.pk, "submit")
    assert (moved.status_code, error(moved)["code"]) == (403, "permission_denied")
    be_pledge.refresh_from_db()
    assert (be_pledge.amount_eur, be_pledge.status, be_pledge.version) == (Decimal("1000000.00"), "draft", 1)


def test_pledges_are_not_deleted_through_the_api(be_api, be_pledge):
    assert be_api.delete(f"/api/v1/pledges/{be_pledge.pk}/").status_code == 405
    assert Pledge.objects.filter(pk=be_pledge.pk).exists()


# --- Pledges: transitions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "name", "end"),
    [
        ("draft", "submit", "submitted"),
        ("submitted", "reopen", "draft"),
        ("draft", "withdraw", "withdrawn"),
        ("submitted", "withdraw", "withdrawn"),
    ],
)
def test_every_allowed_pledge_transition(be_api, be_official, pledging_cycle, start, name, end):
    pledge = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status=start)
    response = transition(be_api, pledge.pk, name)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"], response["ETag"]) == (end, 2, '"2"')
    pledge.refresh_from_db()
    assert (pledge.status, pledge.version) == (end, 2)
    last = pledge.history.first()
    assert (last.history_transition, last.history_user, last.history_change_reason) == (name, be_official, REASON)


@pytest.mark.parametrize(
    ("start", "name"),
    [
        ("draft", "reopen"),
        ("submitted", "submit"),
        ("withdrawn", "submit"),
        ("withdrawn", "reopen"),
        ("withdrawn", "withdraw"),
        ("recorded", "withdraw"),
        ("recorded", "reopen"),
    ],
)
def test_every_refused_pledge_transition_gets_409(be_api, pledging_cycle, start, name):
    pledge = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status=start)
    response = transition(be_api, pledge.pk, name)
    assert (response.status_code, error(response)["code"]) == (409, "transition_not_allowed")
    assert response.json()["current"] == {"status": start}
    pledge.refresh_from_db()
    assert (pledge.status, pledge.version) == (start, 1)


@pytest.mark.parametrize(("start", "name"), [("draft", "submit"), ("submitted", "withdraw"), ("submitted", "reopen")])
def test_pledge_transitions_are_refused_once_pledging_closed(be_api, applied_cycle, start, name):
    pledge = PledgeFactory(cycle=applied_cycle, member_state=state("BE"), status=start)
    response = transition(be_api, pledge.pk, name)
    assert (response.status_code, error(response)["code"]) == (409, "pledging_closed")
    pledge.refresh_from_db()
    assert (pledge.status, pledge.version) == (start, 1)


@pytest.mark.parametrize("persona", ["be_negotiator", "coordinator", "auditor", "compliance_officer"])
@pytest.mark.parametrize("name", ["submit", "withdraw", "record"])
def test_only_officials_of_the_state_move_its_pledges(request, pledging_cycle, persona, name):
    pledge = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="draft")
    client = as_persona(request, persona)
    response = transition(client, pledge.pk, name)
    # The compliance officer does not even see a pledge before adoption.
    expected = 404 if persona == "compliance_officer" else 403
    assert response.status_code == expected
    pledge.refresh_from_db()
    assert (pledge.status, pledge.version) == ("draft", 1)


def test_record_is_not_a_transition_of_one_pledge(be_api, pledging_cycle):
    pledge = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="submitted")
    response = transition(be_api, pledge.pk, "record")
    assert (response.status_code, error(response)["code"], error(response)["attr"]) == (
        400,
        "transition_unknown",
        "transition",
    )
    no_reason = be_api.post(f"/api/v1/pledges/{pledge.pk}/transition/", {"transition": "reopen"}, format="json")
    assert (no_reason.status_code, error(no_reason)["code"]) == (400, "reason_required")
    assert Pledge.objects.get(pk=pledge.pk).status == "submitted"


def test_a_transition_with_a_stale_version_gets_412(be_api, be_pledge):
    assert transition(be_api, be_pledge.pk, "submit", version=1).status_code == 200
    stale = be_api.post(
        f"/api/v1/pledges/{be_pledge.pk}/transition/",
        {"transition": "reopen", "reason": REASON},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert (stale.status_code, error(stale)["code"]) == (412, "stale_version")
    assert Pledge.objects.get(pk=be_pledge.pk).status == "submitted"


# --- Belgium changes nothing of the Netherlands -----------------------------------------------------------------


def test_belgium_cannot_change_any_dutch_object(
    be_api, be_official, nl_official, coordinator, nl_pledges, applied_cycle
):
    nl_recorded = PledgeFactory(
        cycle=applied_cycle, member_state=state("NL"), kind="relocation", quantity=200, status="recorded"
    )
    towards_italy = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("IT"), amount=50, actor=coordinator, reason=REASON
    )
    towards_belgium = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("BE"), amount=50, actor=coordinator, reason=REASON
    )
    accepted = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("EL"), amount=50, actor=coordinator, reason=REASON
    )
    services.activation_transition(activation=accepted, transition="accept", actor=nl_official, reason=REASON)
    towards_belgium_accepted = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("BE"), amount=50, actor=coordinator, reason=REASON
    )
    services.activation_transition(
        activation=towards_belgium_accepted, transition="accept", actor=nl_official, reason=REASON
    )
    before = history_rows()

    # Unrecorded Dutch pledges are out of Belgium's sight: 404 whatever is tried.
    for pledge in nl_pledges.values():
        url = f"/api/v1/pledges/{pledge.pk}/"
        assert (
            be_api.patch(url, {"amount_eur": "1", "reason": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
        )
        assert (
            be_api.put(url, {"cycle": 2026, "kind": "financial", "reason": "x"}, HTTP_IF_MATCH='"1"').status_code == 404
        )
        for name in ("submit", "withdraw", "reopen"):
            assert transition(be_api, pledge.pk, name).status_code == 404
    # A recorded Dutch pledge is public: Belgium sees it, and is refused any change of it.
    url = f"/api/v1/pledges/{nl_recorded.pk}/"
    assert be_api.get(url).status_code == 200
    refused = be_api.patch(url, {"quantity": 1, "reason": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    assert transition(be_api, nl_recorded.pk, "withdraw").status_code == 403
    # Activations of the Dutch pledge: towards Italy unseen (404); towards Belgium seen, answered only by NL (403).
    for name in ("accept", "decline"):
        body = {"transition": name, "reason": "x", "decline_ground": "other"}
        unseen = be_api.post(f"/api/v1/activations/{towards_italy.pk}/transition/", body, format="json")
        assert unseen.status_code == 404
        seen = be_api.post(f"/api/v1/activations/{towards_belgium.pk}/transition/", body, format="json")
        assert (seen.status_code, error(seen)["code"]) == (403, "permission_denied")
    # Fulfilment is recorded by the contributing state only.
    fulfilment = {"date": str(datetime.date.today()), "amount": 5, "evidence_reference": "T-1", "reason": "x"}
    unseen = be_api.post("/api/v1/fulfilments/", {**fulfilment, "activation": accepted.pk}, format="json")
    assert (unseen.status_code, error(unseen)["attr"], error(unseen)["code"]) == (400, "activation", "does_not_exist")
    seen = be_api.post("/api/v1/fulfilments/", {**fulfilment, "activation": towards_belgium_accepted.pk}, format="json")
    assert (seen.status_code, error(seen)["code"]) == (403, "permission_denied")

    assert history_rows() == before
    assert not Fulfilment.objects.exists()
    assert {(p.pk, p.status, p.version) for p in Pledge.objects.filter(member_state="NL")} == {
        (nl_pledges["draft"].pk, "draft", 1),
        (nl_pledges["submitted"].pk, "submitted", 1),
        (nl_recorded.pk, "recorded", Pledge.objects.get(pk=nl_recorded.pk).version),
    }
    assert Pledge.objects.get(pk=nl_recorded.pk).quantity == 200
    assert dict(Activation.objects.values_list("pk", "status")) == {
        towards_italy.pk: "proposed",
        towards_belgium.pk: "proposed",
        accepted.pk: "accepted",
        towards_belgium_accepted.pk: "accepted",
    }


# --- Adoption and fair shares -------------------------------------------------------------------------------------


def create_pledge(client, values: dict) -> int:
    response = client.post("/api/v1/pledges/", values, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def submit(client, pledge_id: int) -> None:
    response = transition(client, pledge_id, "submit")
    assert response.status_code == 200, response.json()


def test_adoption_through_the_cycle_endpoint_records_submitted_pledges(pledging_cycle, be_api, nl_api, coordinator):
    be_relocation = create_pledge(be_api, RELOCATION)
    be_financial = create_pledge(be_api, FINANCIAL)
    nl_relocation = create_pledge(nl_api, {**RELOCATION, "quantity": 500})
    nl_draft = create_pledge(nl_api, FINANCIAL)
    for client, pledge_id in ((be_api, be_relocation), (be_api, be_financial), (nl_api, nl_relocation)):
        submit(client, pledge_id)
    withdrawn = create_pledge(be_api, {**FINANCIAL, "kind": "alternative", "description": "Staff"})
    assert transition(be_api, withdrawn, "withdraw").status_code == 200

    response = api_as(coordinator).post(
        "/api/v1/cycles/2026/transition/", {"transition": "adopt", "reason": "Council act", **ADOPT}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["recorded_pledges"], response.json()["drafts_left"]) == (3, [nl_draft])
    statuses = dict(Pledge.objects.values_list("pk", "status"))
    assert statuses == {
        be_relocation: "recorded",
        be_financial: "recorded",
        nl_relocation: "recorded",
        nl_draft: "draft",
        withdrawn: "withdrawn",
    }
    assert Pledge.objects.get(pk=nl_relocation).history.first().history_transition == "record"
    # Recorded pledges are public with the Council act (Art. 57); the Dutch draft stays Dutch.
    assert listed_ids(be_api.get("/api/v1/pledges/?member_state=NL")) == [nl_relocation]
    assert be_api.get(f"/api/v1/pledges/{nl_draft}/").status_code == 404
    # After adoption only a deduction lowers a pledge.
    closed = be_api.patch(
        f"/api/v1/pledges/{be_relocation}/", {"quantity": 1, "reason": "x"}, format="json", HTTP_IF_MATCH='"3"'
    )
    assert (closed.status_code, error(closed)["code"]) == (409, "pledging_closed")


def test_fair_share_coverage_counts_submitted_pledges(pledging_cycle, be_api):
    def belgium():
        response = be_api.get("/api/v1/cycles/2026/fair-shares/")
        assert response.status_code == 200, response.json()
        return next(row for row in response.json() if row["member_state"] == "BE")

    relocation = create_pledge(be_api, RELOCATION)  # 300 persons
    financial = create_pledge(be_api, {**FINANCIAL, "amount_eur": "2000000.00"})  # 100 relocation equivalents
    alternative = create_pledge(
        be_api, {**FINANCIAL, "kind": "alternative", "amount_eur": "500000.00", "description": "Reception staff"}
    )  # 25 relocation equivalents
    create_pledge(be_api, {**FINANCIAL, "kind": "alternative", "amount_eur": "1000000.00", "description": "Draft"})
    assert (belgium()["pledged_relocation_equivalent"], belgium()["coverage"]) == ("0.00", "0.00")

    for pledge_id in (relocation, financial, alternative):
        submit(be_api, pledge_id)
    row = belgium()
    # BE's fair share: 3.0875 % of 21 000 = 648.375, rounded up to 649 relocations.
    assert row["obligation_relocations"] == 649
    assert (row["pledged_relocations"], row["pledged_financial_eur"], row["pledged_alternative_eur"]) == (
        300,
        "2000000.00",
        "500000.00",
    )
    # 300 + 100 + 25 = 425 equivalents; 425 / 649 = 65.485 % -> 65.49
    assert (row["pledged_relocation_equivalent"], row["coverage"]) == ("425.00", "65.49")


# --- Activations -------------------------------------------------------------------------------------------------


@pytest.fixture
def be_recorded(applied_cycle):
    return PledgeFactory(
        cycle=applied_cycle, member_state=state("BE"), kind="relocation", quantity=100, status="recorded"
    )


def propose(client, pledge, amount, benefitting="IT"):
    return client.post(
        "/api/v1/activations/",
        {"pledge": pledge.pk, "benefitting_state": benefitting, "amount": amount, "reason": REASON},
        format="json",
    )


def test_coordinator_proposes_an_activation(coordinator_api, coordinator, be_recorded):
    response = propose(coordinator_api, be_recorded, 40)
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body == {
        "id": body["id"],
        "cycle": 2027,
        "pledge": be_recorded.pk,
        "contributing_state": "BE",
        "kind": "relocation",
        "benefitting_state": "IT",
        "amount": "40.00",
        "fulfilled": "0.00",
        "status": "proposed",
        "decline_ground": "",
        "decline_explanation": "",
        "finding": None,
        "version": 1,
        "created_at": body["created_at"],
    }
    be_recorded.refresh_from_db()
    assert be_recorded.activated == Decimal(40)
    assert Activation.objects.get().history.get().history_user == coordinator


@pytest.mark.parametrize("persona", ["be_official", "nl_official", "auditor", "compliance_officer"])
def test_only_the_coordinator_proposes_activations(request, persona, be_recorded):
    response = propose(as_persona(request, persona), be_recorded, 10)
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Activation.objects.exists()


@pytest.mark.parametrize(
    ("amount", "status", "attr", "code"),
    [
        (101, 409, "amount", "exceeds_pledge"),
        ("1e30", 409, "amount", "exceeds_pledge"),
        (-5, 400, "amount", "not_positive"),
        ("2.5", 400, "amount", "not_whole"),
        ("forty", 400, "amount", "not_a_number"),
        (False, 400, "amount", "invalid"),
    ],
)
def test_a_bad_activation_amount_writes_nothing(coordinator_api, be_recorded, amount, status, attr, code):
    response = propose(coordinator_api, be_recorded, amount)
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (status, attr, code)
    assert not Activation.objects.exists()
    be_recorded.refresh_from_db()
    assert (be_recorded.activated, be_recorded.version) == (Decimal(0), 1)


def test_activations_never_exceed_the_pledge(coordinator_api, be_recorded):
    assert propose(coordinator_api, be_recorded, 70).status_code == 201
    response = propose(coordinator_api, be_recorded, 31, benefitting="EL")
    assert (response.status_code, error(response)["code"]) == (409, "exceeds_pledge")
    assert response.json()["current"] == {"remaining": "30.00"}
    assert propose(coordinator_api, be_recorded, 30, benefitting="EL").status_code == 201
    assert Pledge.objects.get(pk=be_recorded.pk).activated == Decimal(100)


def test_only_recorded_pledges_of_an_applied_cycle_are_activated(coordinator_api, pledging_cycle, be_recorded):
    submitted = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="submitted")
    response = propose(coordinator_api, submitted, "1000.00")
    assert (response.status_code, error(response)["code"]) == (409, "pledge_not_activatable")
    own = propose(coordinator_api, be_recorded, 10, benefitting="BE")
    assert (own.status_code, error(own)["attr"], error(own)["code"]) == (400, "benefitting_state", "benefitting_self")
    assert not Activation.objects.exists()


@pytest.fixture
def proposed(be_recorded, coordinator):
    return services.activation_propose(
        pledge=be_recorded, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )


def answer(client, activation, name, **extra):
    return client.post(
        f"/api/v1/activations/{activation.pk}/transition/",
        {"transition": name, "reason": REASON, **extra},
        format="json",
    )


def test_the_contributing_state_accepts_an_activation(be_api, proposed):
    response = answer(be_api, proposed, "accept")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"], response["ETag"]) == ("accepted", 2, '"2"')
    again = answer(be_api, proposed, "accept")
    assert (again.status_code, error(again)["code"]) == (409, "transition_not_allowed")
    unknown = answer(be_api, proposed, "complete")
    assert (unknown.status_code, error(unknown)["code"]) == (400, "transition_unknown")


def test_a_decline_needs_a_ground_and_frees_the_pledge(be_api, proposed, be_recorded):
    no_ground = answer(be_api, proposed, "decline")
    assert (no_ground.status_code, error(no_ground)["attr"], error(no_ground)["code"]) == (
        400,
        "decline_ground",
        "decline_ground_required",
    )
    bad_ground = answer(be_api, proposed, "decline", decline_ground="dislike")
    assert (bad_ground.status_code, error(bad_ground)["attr"]) == (400, "decline_ground")
    # AMMR Art. 60(3): declining on systemic shortcomings needs a confirmed finding on the beneficiary.
    no_finding = answer(be_api, proposed, "decline", decline_ground="systemic_shortcomings")
    assert (no_finding.status_code, error(no_finding)["code"]) == (400, "no_confirmed_finding")
    assert Activation.objects.get(pk=proposed.pk).status == "proposed"

    response = answer(be_api, proposed, "decline", decline_ground="other", explanation="No flights")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decline_ground"], body["decline_explanation"]) == ("declined", "other", "No flights")
    be_recorded.refresh_from_db()
    assert be_recorded.activated == Decimal(0)


def test_a_decline_on_systemic_shortcomings_links_the_confirmed_finding(be_api, proposed, applied_cycle):
    finding = Finding.objects.create(
        member_state=state("IT"), cycle=applied_cycle, scope="Take-charge replies", description="Late replies"
    )
    Finding.objects.filter(pk=finding.pk).update(status="confirmed")
    response = answer(be_api, proposed, "decline", decline_ground="systemic_shortcomings")
    assert response.status_code == 200, response.json()
    assert (response.json()["decline_ground"], response.json()["finding"]) == ("systemic_shortcomings", finding.pk)


def test_officials_see_activations_of_their_pledges_and_towards_their_state(
    be_api, nl_api, coordinator, applied_cycle, proposed
):
    nl_pledge = PledgeFactory(
        cycle=applied_cycle, member_state=state("NL"), kind="relocation", quantity=100, status="recorded"
    )
    nl_to_it = services.activation_propose(
        pledge=nl_pledge, benefitting_state=state("IT"), amount=10, actor=coordinator, reason=REASON
    )
    nl_to_be = services.activation_propose(
        pledge=nl_pledge, benefitting_state=state("BE"), amount=10, actor=coordinator, reason=REASON
    )
    assert sorted(listed_ids(be_api.get("/api/v1/activations/"))) == sorted([proposed.pk, nl_to_be.pk])
    assert listed_ids(be_api.get("/api/v1/activations/?benefitting_state=be")) == [nl_to_be.pk]
    assert listed_ids(be_api.get("/api/v1/activations/?contributing_state=BE")) == [proposed.pk]
    assert be_api.get(f"/api/v1/activations/{nl_to_it.pk}/").status_code == 404
    assert be_api.get(f"/api/v1/activations/{nl_to_be.pk}/")["ETag"] == '"1"'
    assert sorted(listed_ids(nl_api.get("/api/v1/activations/"))) == sorted([nl_to_it.pk, nl_to_be.pk])
    assert len(listed_ids(api_as(coordinator).get("/api/v1/activations/?cycle=2027&status=proposed"))) == 3


# --- Fulfilments ----------------------------------------------------------------------------------------------------


@pytest.fixture
def accepted(proposed, be_official):
    return services.activation_transition(activation=proposed, transition="accept", actor=be_official, reason=REASON)


def fulfil(client, activation, quantity, **extra):
    values = {
        "activation": activation.pk,
        "date": str(datetime.date.today()),
        "amount": quantity,
        "evidence_reference": "Transfer T-1",
        "reason": REASON,
    }
    return client.post("/api/v1/fulfilments/", {**values, **extra}, format="json")


def test_the_contributing_state_records_fulfilment(be_api, be_official, accepted):
    response = fulfil(be_api, accepted, 25)
    assert response.status_code == 201, response.json()
    assert "ETag" not in response
    body = response.json()
    assert {k: body[k] for k in ("activation", "cycle", "contributing_state", "benefitting_state", "amount")} == {
        "activation": accepted.pk,
        "cycle": 2027,
        "contributing_state": "BE",
        "benefitting_state": "IT",
        "amount": "25.00",
    }
    over = fulfil(be_api, accepted, 16)
    assert (over.status_code, error(over)["code"]) == (409, "exceeds_activation")
    assert over.json()["current"] == {"remaining": "15.00"}
    assert fulfil(be_api, accepted, 15).status_code == 201
    accepted.refresh_from_db()
    assert (accepted.status, accepted.fulfilled) == ("fulfilled", Decimal(40))
    after = fulfil(be_api, accepted, 1)
    assert (after.status_code, error(after)["code"]) == (409, "activation_not_accepted")
    assert Fulfilment.objects.count() == 2
    assert Fulfilment.objects.first().history.get().history_user == be_official
    assert be_api.get(f"/api/v1/fulfilments/{body['id']}/").json()["evidence_reference"] == "Transfer T-1"


@pytest.mark.parametrize(
    ("values", "attr", "code"),
    [
        ({"amount": "2.5"}, "amount", "not_whole"),
        ({"amount": 0}, "amount", "not_positive"),
        ({"amount": "x"}, "amount", "not_a_number"),
        ({"date": "2999-01-01"}, "date", "in_future"),
        ({"date": "yesterday"}, "date", "invalid"),
        ({"evidence_reference": "  "}, "evidence_reference", "blank"),
    ],
)
def test_a_bad_fulfilment_writes_nothing(be_api, accepted, values, attr, code):
    response = fulfil(be_api, accepted, 5, **values)
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, attr, code)
    assert not Fulfilment.objects.exists()
    assert Activation.objects.get(pk=accepted.pk).fulfilled == Decimal(0)


def test_fulfilment_waits_for_acceptance(be_api, proposed):
    response = fulfil(be_api, proposed, 5)
    assert (response.status_code, error(response)["code"]) == (409, "activation_not_accepted")
    assert not Fulfilment.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "auditor", "be_negotiator"])
def test_only_officials_of_the_contributing_state_record_fulfilment(request, persona, accepted):
    response = fulfil(as_persona(request, persona), accepted, 5)
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Fulfilment.objects.exists()


def test_fulfilments_are_seen_with_their_activation(be_api, nl_api, be_official, accepted, coordinator):
    today = datetime.date.today()
    services.fulfilment_record(
        activation=accepted,
        date=today - datetime.timedelta(days=60),
        amount=10,
        evidence_reference="T-1",
        actor=be_official,
        reason=REASON,
    )
    later = services.fulfilment_record(
        activation=accepted,
        date=today - datetime.timedelta(days=30),
        amount=10,
        evidence_reference="T-2",
        actor=be_official,
        reason=REASON,
    )
    assert len(listed_ids(be_api.get("/api/v1/fulfilments/"))) == 2
    since = today - datetime.timedelta(days=45)
    assert listed_ids(be_api.get(f"/api/v1/fulfilments/?date_from={since}")) == [later.pk]
    it_api = api_as(UserFactory(member_state=state("IT"), roles=["official"]))
    assert len(listed_ids(it_api.get(f"/api/v1/fulfilments/?activation={accepted.pk}"))) == 2
    assert listed_ids(nl_api.get("/api/v1/fulfilments/")) == []
    assert nl_api.get(f"/api/v1/fulfilments/{later.pk}/").status_code == 404
    assert nl_api.delete(f"/api/v1/fulfilments/{later.pk}/").status_code in (404, 405)
    assert be_api.patch(f"/api/v1/fulfilments/{later.pk}/", {"amount": 1}, format="json").status_code == 405


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
    assert (no_act.status_code, error(no_act)["code"]) == (400, "council_act_required")
    refused = at_api.post(f"{url}transition/", {**decide, "council_act_reference": "CID 1"}, format="json")
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    granted = coordinator_api.post(f"{url}transition/", {**decide, "council_act_reference": "CID 1"}, format="json")
    assert granted.status_code == 200, granted.json()
    assert (granted.json()["status"], granted.json()["granted_percent"], granted.json()["council_act_reference"]) == (
        "granted_partial",
        "25.0000",
        "CID 1",
    )
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
        ({"article": "61"}, "article", "not_designated"),
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


@pytest.mark.parametrize("persona", ["coordinator", "be_negotiator", "auditor"])
def test_only_an_official_requests_a_deduction_for_its_state(request, persona, at_official):
    response = as_persona(request, persona).post(
        "/api/v1/deduction-requests/", {**DEDUCTION, "member_state": "AT", "reason": REASON}, format="json"
    )
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not DeductionRequest.objects.exists()


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
        ({"contributing_state": "IT"}, "contributing_state", "offset_self"),
        ({"contributing_state": "XX"}, "contributing_state", "does_not_exist"),
    ],
)
def test_a_bad_offset_request_writes_nothing(pledging_cycle, it_official, values, attr, code):
    response = api_as(it_official).post("/api/v1/offsets/", {**OFFSET, **values, "reason": REASON}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, attr, code)
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
    assert (unknown.status_code, error(unknown)["attr"], error(unknown)["code"]) == (400, "cycle", "does_not_exist")
    no_state = eligibility(be_api, "cycle=2026")
    assert (no_state["contributing_state"], no_state["contributing_state_threshold_met"]) == (None, None)


# --- Constant number of queries per list -----------------------------------------------------------------------------


def populate(size: int, cycle, applied, coordinator, officials) -> None:
    """``size`` states' worth of pledges, activations, fulfilments, deductions and offsets."""
    codes = ["BE", "NL", "DE", "FR", "IT", "ES", "PL", "AT", "SE", "PT", "EL", "CZ"][:size]
    for index, code in enumerate(codes):
        PledgeFactory(cycle=cycle, member_state=state(code), status="submitted", earmark=state("EL"))
        recorded = PledgeFactory(
            cycle=applied, member_state=state(code), kind="relocation", quantity=100, status="recorded"
        )
        # Towards Belgium, so that a Belgian official sees more rows as the data grows.
        benefitting = state("BE" if code != "BE" else "IT")
        activation = services.activation_propose(
            pledge=recorded, benefitting_state=benefitting, amount=20, actor=coordinator, reason=REASON
        )
        official = officials.get(code) or UserFactory(member_state=state(code), roles=["official"])
        services.activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
        services.fulfilment_record(
            activation=activation,
            date=datetime.date.today() - datetime.timedelta(days=index),
            amount=5,
            evidence_reference=f"T-{index}",
            actor=official,
            reason=REASON,
        )
        DeductionRequest.objects.create(
            cycle=cycle,
            member_state=state(code),
            article="62",
            scope="full",
            requested_percent=Decimal(100),
            granted_percent=Decimal(100),
            grounds="Pressure",
            status="granted_full",  # public with its Council act
        )
        ResponsibilityOffset.objects.create(
            cycle=applied,
            benefitting_state=benefitting,
            contributing_state=state(code),
            applications_requested=10,
            requested_on=datetime.date(2027, 1, 1),
            answer_deadline=datetime.date(2027, 1, 31),
        )


LISTS = ["pledges", "activations", "fulfilments", "deduction-requests", "offsets"]


@pytest.mark.parametrize("persona", ["coordinator", "be_official"])
@pytest.mark.parametrize("resource", LISTS)
def test_every_list_runs_a_constant_number_of_queries(
    request, persona, resource, pledging_cycle, applied_cycle, coordinator, be_official, django_assert_max_num_queries
):
    client = as_persona(request, persona)
    url = f"/api/v1/{resource}/"
    officials = {"BE": be_official}
    populate(2, pledging_cycle, applied_cycle, coordinator, officials)
    small = client.get(url)  # also warms the user's cached roles
    assert small.status_code == 200 and small.json()["count"] >= 1
    # The page's count and its rows: everything a row shows is joined in.
    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200
    DeductionRequest.objects.all().delete()
    ResponsibilityOffset.objects.all().delete()
    Fulfilment.objects.all().delete()
    Activation.objects.all().delete()
    Pledge.objects.all().delete()
    populate(12, pledging_cycle, applied_cycle, coordinator, officials)
    with django_assert_max_num_queries(2):
        large = client.get(url)
    assert large.status_code == 200
    assert large.json()["count"] > small.json()["count"]


# --- OpenAPI schema ---------------------------------------------------------------------------------------------------

PLEDGE_PATHS = [
    "/api/v1/pledges/",
    "/api/v1/pledges/{id}/",
    "/api/v1/pledges/{id}/transition/",
    "/api/v1/activations/",
    "/api/v1/activations/{id}/",
    "/api/v1/activations/{id}/transition/",
    "/api/v1/fulfilments/",
    "/api/v1/fulfilments/{id}/",
    "/api/v1/deduction-requests/",
    "/api/v1/deduction-requests/{id}/",
    "/api/v1/deduction-requests/{id}/transition/",
    "/api/v1/offsets/",
    "/api/v1/offsets/{id}/",
    "/api/v1/offsets/{id}/transition/",
    "/api/v1/offsets/eligibility/",
]


@pytest.fixture
def generated_schema():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, complaints


def test_the_schema_of_the_pledge_endpoints_is_complete_and_without_warnings(generated_schema):
    schema, complaints = generated_schema
    ours = [
        message
        for message in complaints
        if re.search(r"pledges[/.]api|Pledge|Activation|Fulfilment|Deduction|Offset", message)
    ]
    assert ours == []
    validate_schema(schema)
    for path in PLEDGE_PATHS:
        assert path in schema["paths"], path

    patch = schema["paths"]["/api/v1/pledges/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert {"200", "400", "403", "404", "409", "412", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    pledge = schema["components"]["schemas"]["Pledge"]["properties"]
    for name in ("id", "cycle", "member_state", "kind", "quantity", "amount_eur", "description", "earmark"):
        assert name in pledge
    for name in ("status", "version", "relocation_equivalent"):
        assert name in pledge
    assert (pledge["amount_eur"]["type"], pledge["amount_eur"]["format"]) == ("string", "decimal")
    assert pledge["quantity"]["type"] == "integer"
    listing = {p["name"] for p in schema["paths"]["/api/v1/pledges/"]["get"]["parameters"]}
    assert {"cycle", "member_state", "kind", "status", "earmark", "ordering", "page", "page_size"} <= listing

    for path, extra in [
        ("/api/v1/pledges/{id}/transition/", set()),
        ("/api/v1/activations/{id}/transition/", {"decline_ground", "explanation"}),
        ("/api/v1/deduction-requests/{id}/transition/", {"granted_percent", "council_act_reference"}),
        ("/api/v1/offsets/{id}/transition/", {"applications_accepted", "explanation"}),
    ]:
        post = schema["paths"][path]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(post["responses"])
        body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert {"transition", "reason", *extra} <= set(schema["components"]["schemas"][body]["properties"])

    eligibility_get = schema["paths"]["/api/v1/offsets/eligibility/"]["get"]
    assert {p["name"] for p in eligibility_get["parameters"]} == {"cycle", "contributing_state"}
