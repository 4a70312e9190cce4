"""The /api/v1/ endpoints of the cycle domain, over real HTTP (DRF's APIClient) on PostgreSQL: fair shares,
designations, reference figures, lists (queries and pages) and the one error shape."""

import re
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest

from pledges.pledging.models import DeductionRequest, PledgeKind
from solidarity.domain.models import Designation, OfficialShare, ReferenceFigure
from solidarity.domain.services import designation_set
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, ReferenceFigureFactory, state
from tests.solidarity.domain.api_support import (
    ADOPT,
    EVERY_ROLE,
    NON_WRITERS,
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
    # Each share rounded half-up on its own: the column adds up to 100.0001.
    assert sum(Decimal(row["share"]) for row in rows.values() if row["in_key"]) == Decimal("100.0001")
    for code in ("DK", "NO", "IS", "CH", "LI"):
        outside = rows[code]
        assert outside["in_key"] is False
        assert outside["share"] is None and outside["relocations"] is None and outside["coverage"] is None


def test_fair_shares_show_the_official_share_and_granted_deductions_without_lowering_the_share(
    coordinator_api, cycle_with_figures
):
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
        granted_percent=Decimal(100),
    )
    rows = rows_by_code(coordinator_api.get("/api/v1/cycles/2026/fair-shares/"))
    de, at = rows["DE"], rows["AT"]
    assert de["official_share"] == "21.6000"
    assert de["official_difference"] == str(Decimal(de["share"]) - Decimal("21.6000"))
    assert at["deduction_percent"] == "100.0000"
    assert at["relocations"] > 0 and Decimal(at["financial_eur"]) > 0
    # AMMR Art. 61(1), 62(1): a deduction is of the state's pledges; the fair share stays as computed.
    assert (at["obligation_relocations"], at["obligation_financial_eur"]) == (at["relocations"], at["financial_eur"])
    assert at["coverage"] == "0.00"
    assert at["indicative_adjustments"] == []
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
    # The cycle, then the selector's six: states, deductions, figures, official shares, indicative adjustments,
    # pledge totals.
    client = as_persona(request, persona)
    url = "/api/v1/cycles/2026/fair-shares/"
    PledgeFactory(cycle=cycle_with_figures, member_state=state("BE"), status="submitted")
    client.get(url)  # warm the user's cached roles
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
    for code in ("DE", "FR", "IT", "ES", "AT", "PL", "NL"):
        PledgeFactory(cycle=cycle_with_figures, member_state=state(code), status="submitted")
        PledgeFactory(cycle=cycle_with_figures, member_state=state(code), kind=PledgeKind.RELOCATION)
    with django_assert_max_num_queries(7):
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
    assert duplicate.status_code == 409  # a duplicate, as for every resource
    assert first_code(duplicate) == "unique"
    unknown_state = coordinator_api.post("/api/v1/designations/", {**NEW_DESIGNATION, "member_state": "XX"})
    assert (unknown_state.status_code, first_code(unknown_state)) == (404, "does_not_exist")
    too_long = coordinator_api.post("/api/v1/designations/", {**NEW_DESIGNATION, "reason": "r" * 2001}, format="json")
    assert first_code(too_long) == "max_length"
    assert Designation.objects.count() == 1
    # Creating one may omit the reason; changing one may not.
    created = coordinator_api.post("/api/v1/designations/", {**NEW_DESIGNATION, "reason": ""}, format="json")
    assert created.status_code == 201, created.json()
    assert Designation.objects.get(pk=created.json()["id"]).history.get().history_change_reason == "created"
    unexplained = coordinator_api.patch(
        f"/api/v1/designations/{designation.pk}/", {"source": "OJ L 2026/1"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert first_code(unexplained) == "reason_required"


@pytest.mark.parametrize("persona", EVERY_ROLE)
def test_designations_are_listed_and_filtered_for_everyone(request, persona, coordinator, cycle):
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
