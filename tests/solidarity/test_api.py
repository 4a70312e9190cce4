"""The /api/v1/ endpoints of the solidarity app, over real HTTP (DRF's APIClient) on PostgreSQL."""

import datetime
import re
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pledges.pledging.models import DeductionRequest, Pledge, PledgeKind
from solidarity.domain.models import CycleStatus, Designation, OfficialShare, ReferenceFigure, SolidarityCycle
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, ReferenceFigureFactory, state

pytestmark = pytest.mark.django_db

NON_WRITERS = ["be_official", "nl_negotiator", "compliance_officer", "auditor", "outsider"]
EVERY_ROLE = ["coordinator", *NON_WRITERS]
REASON = "Entered from the Commission's decision"


def first_code(response) -> str:
    return response.json()["errors"][0]["code"]


def as_persona(request, name: str) -> APIClient:
    return api_as(request.getfixturevalue(name))


@pytest.fixture
def coordinator_api(coordinator):
    return api_as(coordinator)


@pytest.fixture
def cycle():
    return CycleFactory(year=2027)


def move(client, year: int, *transitions: str, **extra):
    for name in transitions:
        response = client.post(
            f"/api/v1/cycles/{year}/transition/",
            {"transition": name, "reason": f"Stage {name}", **extra},
            format="json",
        )
        assert response.status_code == 200, response.json()
    return response


ADOPT = {"council_act_reference": "Council Implementing Decision (EU) 2025/2642", "council_act_date": "2025-12-19"}


# --- Authentication -----------------------------------------------------------------------------------


def test_anonymous_gets_no_data_and_the_error_shape(api, cycle):
    response = api.get("/api/v1/cycles/")
    assert response.status_code in (401, 403)
    assert first_code(response) == "not_authenticated"
    assert "results" not in response.json()


def test_token_authentication(be_official, cycle):
    token = Token.objects.create(user=be_official)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
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


def test_creating_a_cycle_needs_a_reason_and_a_new_year(coordinator_api, cycle):
    no_reason = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "reason": " "}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0] == {
        "code": "reason_required",
        "detail": no_reason.json()["errors"][0]["detail"],
        "attr": "reason",
    }
    twice = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "year": 2027}, format="json")
    assert twice.status_code == 400
    assert twice.json()["errors"][0]["attr"] == "year"
    assert not SolidarityCycle.objects.filter(year=2030).exists()


def test_status_cannot_be_set_on_create(coordinator_api):
    response = coordinator_api.post("/api/v1/cycles/", {**NEW_CYCLE, "status": "adopted"}, format="json")
    assert response.status_code == 201
    assert SolidarityCycle.objects.get(year=2030).status == "preparation"


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
    assert response.status_code == 400
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


# --- Fair shares -------------------------------------------------------------------------------------------


def rows_by_code(response) -> dict:
    assert response.status_code == 200, response.json()
    return {row["member_state"]: row for row in response.json()}


def test_fair_shares_of_the_2026_key(coordinator_api, cycle_with_figures):
    response = coordinator_api.get("/api/v1/cycles/2026/fair-shares/")
    rows = rows_by_code(response)
    assert list(rows)[:5] == ["BE", "BG", "CZ", "DK", "DE"]
    assert len(rows) == 31
    de, fr = rows["DE"], rows["FR"]
    assert re.fullmatch(r"\d+\.\d{4}", de["share"])
    assert abs(Decimal(de["share"]) - Decimal("21.6890")) < Decimal("0.05")
    assert abs(Decimal(fr["share"]) - Decimal("16.0021")) < Decimal("0.05")
    for row in (de, fr):
        share = Decimal(row["share"])
        assert row["in_key"] is True
        # The cycle rounds relocations up (as the 2026 figures were published: DE 4 555, FR 3 361).
        assert row["relocations"] == int((share * 21000 / 100).to_integral_value(ROUND_CEILING))
        assert row["financial_eur"] == str((share * 420_000_000 / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))
        assert row["obligation_relocations"] == row["relocations"]
        assert row["deduction_percent"] == "0.0000"
        assert row["official_share"] is None and row["official_difference"] is None
        assert (row["pledged_relocation_equivalent"], row["coverage"]) == ("0.00", "0.00")
    assert abs(de["relocations"] - 4555) <= 11 and abs(fr["relocations"] - 3361) <= 11
    assert sum(Decimal(row["share"]) for row in rows.values() if row["in_key"]) == Decimal("100.0000")
    for code in ("DK", "NO", "IS", "CH", "LI"):
        outside = rows[code]
        assert outside["in_key"] is False
        assert outside["share"] is None and outside["relocations"] is None and outside["coverage"] is None


def test_fair_shares_show_the_official_share_and_granted_deductions(coordinator_api, cycle_with_figures):
    OfficialShare.objects.create(cycle=cycle_with_figures, member_state=state("DE"), share_percent=Decimal("21.6000"))
    # AMMR Art. 62: a state facing a significant migratory situation may be fully deducted (AT in 2026).
    DeductionRequest.objects.create(
        cycle=cycle_with_figures,
        member_state=state("AT"),
        article="62",
        scope="full",
        requested_percent=Decimal(100),
        grounds="Significant migratory situation",
        status="granted_full",
    )
    rows = rows_by_code(coordinator_api.get("/api/v1/cycles/2026/fair-shares/"))
    de, at = rows["DE"], rows["AT"]
    assert de["official_share"] == "21.6000"
    assert de["official_difference"] == str(Decimal(de["share"]) - Decimal("21.6000"))
    assert at["deduction_percent"] == "100.0000"
    assert at["relocations"] > 0 and Decimal(at["financial_eur"]) > 0
    assert (at["obligation_relocations"], at["obligation_financial_eur"]) == (0, "0.00")
    assert at["coverage"] is None  # nothing is owed, so there is nothing to cover
    assert rows["FR"]["deduction_percent"] == "0.0000"


def test_fair_shares_without_a_figure_name_the_state(coordinator_api, cycle_with_figures):
    ReferenceFigure.objects.filter(cycle=cycle_with_figures, member_state="FR").delete()
    response = coordinator_api.get("/api/v1/cycles/2026/fair-shares/")
    assert response.status_code == 409
    assert first_code(response) == "reference_figure_missing"
    assert "FR" in response.json()["errors"][0]["detail"]
    assert response.json()["current"]["member_states"] == ["FR"]


def test_fair_shares_of_an_unknown_cycle_are_404(coordinator_api):
    assert coordinator_api.get("/api/v1/cycles/2040/fair-shares/").status_code == 404


def test_an_official_of_belgium_does_not_see_dutch_pledges_before_adoption(
    coordinator_api, be_official, nl_official, auditor, cycle_with_figures
):
    move(coordinator_api, 2026, "propose", "open_pledging")
    PledgeFactory(
        cycle=cycle_with_figures, member_state=state("NL"), kind=PledgeKind.RELOCATION, quantity=500, status="submitted"
    )
    PledgeFactory(
        cycle=cycle_with_figures, member_state=state("NL"), amount_eur=Decimal("2000000.00"), status="submitted"
    )
    url = "/api/v1/cycles/2026/fair-shares/"

    nl_seen_by_be = rows_by_code(api_as(be_official).get(url))["NL"]
    assert nl_seen_by_be["pledges_visible"] is False
    hidden = ("pledged_relocations", "pledged_financial_eur", "pledged_relocation_equivalent", "coverage")
    assert all(nl_seen_by_be[name] is None for name in hidden)
    assert nl_seen_by_be["share"] is not None  # the key itself is public

    # 500 persons + EUR 2 000 000 / 20 000 = 600 relocation equivalents.
    for viewer in (nl_official, auditor):
        nl_row = rows_by_code(api_as(viewer).get(url))["NL"]
        assert (nl_row["pledged_relocations"], nl_row["pledged_financial_eur"]) == (500, "2000000.00")
        assert nl_row["pledged_relocation_equivalent"] == "600.00"
        expected = (Decimal(600) * 100 / nl_row["obligation_relocations"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert nl_row["coverage"] == str(expected)
    assert rows_by_code(coordinator_api.get(url))["NL"]["pledged_relocation_equivalent"] == "600.00"

    # With the Council act the pledges become public (AMMR Art. 57).
    move(coordinator_api, 2026, "adopt", **ADOPT)
    nl_after = rows_by_code(api_as(be_official).get(url))["NL"]
    assert (nl_after["pledges_visible"], nl_after["pledged_relocation_equivalent"]) == (True, "600.00")


@pytest.mark.parametrize("persona", ["coordinator", "be_official"])
def test_fair_shares_run_a_constant_number_of_queries(
    request, persona, cycle_with_figures, django_assert_max_num_queries
):
    # The cycle, then the selector's five: states, deductions, figures, official shares, pledge totals.
    client = as_persona(request, persona)
    url = "/api/v1/cycles/2026/fair-shares/"
    PledgeFactory(cycle=cycle_with_figures, member_state=state("BE"), status="submitted")
    client.get(url)  # warm the user's cached roles
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
    for code in ("DE", "FR", "IT", "ES", "AT", "PL", "NL"):
        PledgeFactory(cycle=cycle_with_figures, member_state=state(code), status="submitted")
        PledgeFactory(cycle=cycle_with_figures, member_state=state(code), kind=PledgeKind.RELOCATION)
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200


# --- Designations ----------------------------------------------------------------------------------------------

NEW_DESIGNATION = {
    "cycle": 2027,
    "member_state": "IT",
    "kind": "under_pressure",
    "ground": "sar",
    "source": "Decision (EU) 2025/2323",
    "reason": "Pressure decision",
}


@pytest.fixture
def designation(cycle, coordinator):
    from solidarity.domain.services import designation_set

    return designation_set(
        cycle=cycle, member_state=state("EL"), kind="under_pressure", ground="arrivals", actor=coordinator, reason="r"
    )


def test_coordinator_records_a_designation(coordinator_api, coordinator, cycle):
    response = coordinator_api.post("/api/v1/designations/", NEW_DESIGNATION, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("cycle", "member_state", "kind", "ground", "version")} == {
        "cycle": 2027,
        "member_state": "IT",
        "kind": "under_pressure",
        "ground": "sar",
        "version": 1,
    }
    assert response["ETag"] == '"1"'
    stored = Designation.objects.get(pk=body["id"])
    assert stored.history.first().history_change_reason == "Pressure decision"
    assert stored.history.first().history_user == coordinator


def test_a_designation_is_validated(coordinator_api, designation):
    ground_on_at_risk = coordinator_api.post(
        "/api/v1/designations/", {**NEW_DESIGNATION, "kind": "at_risk"}, format="json"
    )
    assert ground_on_at_risk.status_code == 400
    duplicate = coordinator_api.post(
        "/api/v1/designations/", {**NEW_DESIGNATION, "member_state": "EL", "ground": "arrivals"}, format="json"
    )
    assert duplicate.status_code == 400
    assert first_code(duplicate) == "unique"
    unknown_state = coordinator_api.post("/api/v1/designations/", {**NEW_DESIGNATION, "member_state": "XX"})
    assert unknown_state.status_code == 400
    no_reason = coordinator_api.post("/api/v1/designations/", {**NEW_DESIGNATION, "reason": ""}, format="json")
    assert first_code(no_reason) == "reason_required"
    assert Designation.objects.count() == 1


@pytest.mark.parametrize("persona", EVERY_ROLE)
def test_designations_are_listed_and_filtered_for_everyone(request, persona, coordinator, cycle):
    from solidarity.domain.services import designation_set

    other = CycleFactory(year=2026)
    for year_cycle, code, kind in [
        (cycle, "IT", "under_pressure"),
        (cycle, "EL", "under_pressure"),
        (cycle, "AT", "significant_situation"),
        (other, "IT", "at_risk"),
    ]:
        designation_set(cycle=year_cycle, member_state=state(code), kind=kind, actor=coordinator, reason="r")
    client = as_persona(request, persona)
    everything = client.get("/api/v1/designations/").json()
    assert [(d["cycle"], d["member_state"]) for d in everything["results"]] == [
        (2026, "IT"),
        (2027, "EL"),
        (2027, "IT"),
        (2027, "AT"),
    ]
    of_2027 = client.get("/api/v1/designations/?cycle=2027&kind=under_pressure").json()["results"]
    assert [d["member_state"] for d in of_2027] == ["EL", "IT"]
    italy = client.get("/api/v1/designations/?member_state=it&ordering=-cycle").json()["results"]
    assert [(d["cycle"], d["kind"]) for d in italy] == [(2027, "under_pressure"), (2026, "at_risk")]


def test_coordinator_changes_a_designation_with_if_match(coordinator_api, designation):
    url = f"/api/v1/designations/{designation.pk}/"
    assert coordinator_api.get(url)["ETag"] == '"1"'
    response = coordinator_api.patch(
        url, {"ground": "sar", "reason": "Corrected ground"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["ground"], response.json()["version"], response["ETag"]) == ("sar", 2, '"2"')
    designation.refresh_from_db()
    assert (designation.ground, designation.version) == ("sar", 2)
    assert designation.history.first().history_change_reason == "Corrected ground"

    stale = coordinator_api.patch(url, {"ground": "arrivals", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"')
    assert (stale.status_code, first_code(stale)) == (412, "stale_version")
    missing = coordinator_api.patch(url, {"ground": "arrivals", "reason": "r"}, format="json")
    assert (missing.status_code, first_code(missing)) == (428, "version_required")
    other_kind = coordinator_api.patch(url, {"kind": "at_risk", "reason": "r"}, format="json", HTTP_IF_MATCH='"2"')
    assert (other_kind.status_code, first_code(other_kind)) == (400, "read_only")
    designation.refresh_from_db()
    assert (designation.ground, designation.kind, designation.version) == ("sar", "under_pressure", 2)


@pytest.mark.parametrize("persona", NON_WRITERS)
def test_only_the_coordinator_writes_designations(request, persona, designation):
    client = as_persona(request, persona)
    created = client.post("/api/v1/designations/", NEW_DESIGNATION, format="json")
    assert (created.status_code, first_code(created)) == (403, "permission_denied")
    changed = client.patch(
        f"/api/v1/designations/{designation.pk}/", {"ground": "sar", "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 403
    assert client.delete(f"/api/v1/designations/{designation.pk}/").status_code in (403, 405)
    designation.refresh_from_db()
    assert (designation.ground, designation.version) == ("arrivals", 1)
    assert Designation.objects.count() == 1


def test_designations_cannot_be_deleted_through_the_api(coordinator_api, designation):
    assert coordinator_api.delete(f"/api/v1/designations/{designation.pk}/").status_code == 405
    assert Designation.objects.filter(pk=designation.pk).exists()


# --- Reference figures ------------------------------------------------------------------------------------------


@pytest.fixture
def figure(cycle):
    return ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), population=11_900_100)


def test_reference_figures_are_listed_and_filtered(be_official, cycle_with_figures, cycle):
    figure = ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), verified=True)
    client = api_as(be_official)
    of_2026 = client.get("/api/v1/reference-figures/?cycle=2026").json()
    assert of_2026["count"] == 27
    assert of_2026["results"][0]["member_state"] == "BE"
    de = client.get("/api/v1/reference-figures/?cycle=2026&member_state=DE").json()["results"]
    assert len(de) == 1 and de[0]["population"] > 80_000_000 and de[0]["cycle"] == 2026
    assert re.fullmatch(r"\d+\.\d{2}", de[0]["gdp_eur_million"])
    verified = client.get("/api/v1/reference-figures/?verified=true").json()["results"]
    assert [(f["cycle"], f["member_state"]) for f in verified] == [(2027, "BE")]
    largest = client.get("/api/v1/reference-figures/?cycle=2026&ordering=-population").json()["results"]
    assert largest[0]["member_state"] == "DE"
    detail = client.get(f"/api/v1/reference-figures/{figure.pk}/")
    assert (detail.status_code, detail["ETag"]) == (200, '"1"')


def test_coordinator_corrects_a_reference_figure_with_if_match(coordinator_api, coordinator, figure):
    url = f"/api/v1/reference-figures/{figure.pk}/"
    response = coordinator_api.patch(
        url,
        {"population": 11_900_200, "verified": True, "reason": "Checked against Eurostat tps00001"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["population"], response.json()["verified"], response["ETag"]) == (11_900_200, True, '"2"')
    figure.refresh_from_db()
    assert (figure.population, figure.verified, figure.version) == (11_900_200, True, 2)
    last = figure.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, "Checked against Eurostat tps00001")

    stale = coordinator_api.patch(url, {"population": 1, "reason": "r"}, format="json", HTTP_IF_MATCH='"1"')
    assert (stale.status_code, first_code(stale)) == (412, "stale_version")
    missing = coordinator_api.patch(url, {"population": 1, "reason": "r"}, format="json")
    assert (missing.status_code, first_code(missing)) == (428, "version_required")
    moved = coordinator_api.patch(url, {"member_state": "NL", "reason": "r"}, format="json", HTTP_IF_MATCH='"2"')
    assert (moved.status_code, first_code(moved)) == (400, "read_only")
    negative = coordinator_api.patch(url, {"gdp_eur_million": "-1", "reason": "r"}, format="json", HTTP_IF_MATCH='"2"')
    assert negative.status_code == 400
    figure.refresh_from_db()
    assert (figure.population, figure.member_state_id, figure.version) == (11_900_200, "BE", 2)


@pytest.mark.parametrize("persona", NON_WRITERS)
def test_only_the_coordinator_corrects_reference_figures(request, persona, figure):
    client = as_persona(request, persona)
    assert client.get(f"/api/v1/reference-figures/{figure.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/reference-figures/{figure.pk}/", {"population": 1, "reason": "r"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert (response.status_code, first_code(response)) == (403, "permission_denied")
    figure.refresh_from_db()
    assert (figure.population, figure.version) == (11_900_100, 1)


def test_reference_figures_are_not_created_or_deleted_through_the_api(coordinator_api, figure):
    assert coordinator_api.post("/api/v1/reference-figures/", {}, format="json").status_code == 405
    assert coordinator_api.delete(f"/api/v1/reference-figures/{figure.pk}/").status_code == 405


# --- Constant number of queries per list -------------------------------------------------------------------------


def make_cycles(count: int, coordinator, *, first_year: int = 2026) -> None:
    from solidarity.domain.services import designation_set

    for year in range(first_year, first_year + count):
        cycle = CycleFactory(year=year)
        for code in ("BE", "DE", "EL", "IT", "NL"):
            ReferenceFigureFactory(cycle=cycle, member_state=state(code))
            designation_set(cycle=cycle, member_state=state(code), kind="at_risk", actor=coordinator, reason="r")


LISTS = [
    "/api/v1/member-states/",
    "/api/v1/cycles/",
    "/api/v1/designations/",
    "/api/v1/reference-figures/",
    "/api/v1/reference-figures/?verified=false&ordering=-member_state",
    "/api/v1/designations/?member_state=BE&ordering=cycle",
]


@pytest.mark.parametrize("url", LISTS)
def test_lists_run_a_constant_number_of_queries(url, be_official, coordinator, django_assert_max_num_queries):
    client = api_as(be_official)
    make_cycles(2, coordinator)
    client.get(url)  # warm the user's cached roles
    with django_assert_max_num_queries(3):
        small = client.get(url)
    make_cycles(6, coordinator, first_year=2028)  # 8 cycles in all
    with django_assert_max_num_queries(3):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    if "member-states" not in url:
        assert large.json()["count"] == 4 * small.json()["count"]


def test_lists_are_paginated(be_official, coordinator):
    make_cycles(12, coordinator)
    client = api_as(be_official)
    page = client.get("/api/v1/reference-figures/?page_size=25").json()
    assert (page["count"], len(page["results"])) == (60, 25)
    assert page["next"].endswith("page=2&page_size=25")
    last = client.get("/api/v1/reference-figures/?page_size=25&page=3").json()
    assert len(last["results"]) == 10 and last["next"] is None
    ids = {
        f["id"]
        for p in (1, 2, 3)
        for f in client.get(f"/api/v1/reference-figures/?page_size=25&page={p}").json()["results"]
    }
    assert len(ids) == 60


# --- One error shape ----------------------------------------------------------------------------------------------


def test_every_refusal_has_the_one_error_shape(coordinator_api, be_official, cycle):
    url = "/api/v1/cycles/2027/"
    responses = {
        400: coordinator_api.post(f"{url}transition/", {"transition": "x", "reason": "r"}, format="json"),
        403: api_as(be_official).post(f"{url}transition/", {"transition": "propose", "reason": "r"}, format="json"),
        409: coordinator_api.post(f"{url}transition/", {"transition": "close", "reason": "r"}, format="json"),
        428: coordinator_api.patch(url, {"notes": "x", "reason": "r"}, format="json"),
        412: coordinator_api.patch(url, {"notes": "x", "reason": "r"}, format="json", HTTP_IF_MATCH='"7"'),
    }
    for status, response in responses.items():
        assert response.status_code == status
        body = response.json()
        assert body["type"] in ("validation_error", "client_error")
        assert isinstance(body["errors"][0]["code"], str) and body["errors"][0]["code"]
        assert body["errors"][0]["detail"]
        assert "attr" in body["errors"][0]
