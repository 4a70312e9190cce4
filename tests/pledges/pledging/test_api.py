"""/api/v1/pledges/: recording a pledge, who sees which, revising one with If-Match, submitting, reopening and
withdrawing it; and what the Council act's adoption makes of the pledges, with the fair shares they cover. Over
real HTTP on PostgreSQL."""

from decimal import Decimal

import pytest

from pledges.pledging.models import Pledge
from tests.conftest import api_as
from tests.factories import PledgeFactory, state
from tests.pledges.pledging.api_helpers import (
    ADOPT,
    FINANCIAL,
    REASON,
    RELOCATION,
    as_persona,
    error,
    listed_ids,
    set_stage,
    transition,
)

pytestmark = pytest.mark.django_db


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
        # Nothing deducted by a Council act (Arts 61-62): the pledge binds for what it says.
        "deducted": "0.00",
        "binding_measure": "12967500.00",
        "activated": "0.00",
        "ad_hoc": False,  # Belgium is in the key (Art. 66)
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
    ("financial", {"amount_eur": 10**30}, "amount_eur", "too_large"),
    ("financial", {"amount_eur": 1e30}, "amount_eur", "invalid"),  # a float: its rounding is not the client's
    ("financial", {"amount_eur": 1250.5}, "amount_eur", "invalid"),
    # A string is read in plain decimal notation only: none of Python's other spellings of a number.
    ("financial", {"amount_eur": "1e30"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "1e5"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "1_000"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "+5"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "\uff15"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "\u0665"}, "amount_eur", "not_a_number"),
    ("financial", {"amount_eur": "-0"}, "amount_eur", "not_a_number"),
    ("relocation", {"quantity": "1e2"}, "quantity", "not_a_number"),
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
def test_unknown_references_get_a_404_naming_the_field(pledging_cycle, be_api, values, field):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, **values}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (404, field, "does_not_exist")
    assert not Pledge.objects.exists()


def test_a_pledge_cannot_be_earmarked_to_its_own_state(pledging_cycle, be_api):
    response = be_api.post("/api/v1/pledges/", {**FINANCIAL, "earmark": "BE"}, format="json")
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, "earmark", "earmark_self")
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
        ({"amount_eur": 9 * 10**99}, "amount_eur", "too_large"),
        ({"amount_eur": 9e99}, "amount_eur", "invalid"),
        ({"amount_eur": "100000000000.01"}, "amount_eur", "too_large"),
        ({"amount_eur": "9e99"}, "amount_eur", "not_a_number"),
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
