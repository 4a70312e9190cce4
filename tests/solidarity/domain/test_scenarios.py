"""What-if scenarios: their services, who sees them, and their fair shares against the official ones.

Until ``solidarity/api_urls.py`` registers ``solidarity.api_scenarios``, this module routes /api/v1/scenarios/
itself (``urlpatterns`` below, picked by the ``urls`` mark) in front of the project's own URLs.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import SimpleRouter

from pledges.pledging.models import DeductionRequest
from pledges.pledging.selectors import granted_deductions_percent
from solidarity.domain import api_scenarios
from solidarity.domain.models import MemberState, ReferenceFigure, Scenario
from solidarity.domain.scenarios import scenario_create, scenario_delete, scenario_fair_shares, scenario_update
from solidarity.domain.selectors import cycle_fair_shares
from solidarity.platform.errors import NotPermitted, StaleVersion, ValidationFailed
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

_router = SimpleRouter()
api_scenarios.register(_router)
urlpatterns = [path("api/v1/", include(_router.urls)), path("", include("solidarity.urls"))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

REASON = "Preparing the Technical-Level Forum"


def first_error(response) -> dict:
    return response.json()["errors"][0]


def rows_by_code(response) -> dict:
    assert response.status_code == 200, response.json()
    return {row["member_state"]: row for row in response.json()}


def create(client, **body):
    response = client.post("/api/v1/scenarios/", {"title": "What if", "reason": REASON, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def small_cycle(db):
    """A cycle whose key is easy to compute by hand: every state 1 000 000 people and EUR 10 000 million of
    GDP, except BE (3 000 000 people) and NL (EUR 30 000 million)."""
    cycle = CycleFactory(
        year=2027, status="pledging", reference_relocations=1001, reference_financial_eur=Decimal("20000000.00")
    )
    for member_state in MemberState.objects.in_key():
        ReferenceFigure.objects.create(
            cycle=cycle,
            member_state=member_state,
            population=3_000_000 if member_state.code == "BE" else 1_000_000,
            gdp_eur_million=Decimal("30000.00") if member_state.code == "NL" else Decimal("10000.00"),
        )
    return cycle


# --- A scenario equal to the cycle -------------------------------------------------------------------------


def test_a_scenario_equal_to_the_cycle_gives_exactly_the_cycles_fair_shares(be_negotiator, cycle_with_figures):
    # AMMR Arts 61-62: AT fully deducted, as reported for 2026; the scenario starts from the granted deductions.
    DeductionRequest.objects.create(
        cycle=cycle_with_figures,
        member_state=state("AT"),
        article="62",
        scope="full",
        requested_percent=Decimal(100),
        grounds="Significant migratory situation",
        status="granted_full",
    )
    client = api_as(be_negotiator)
    scenario = create(client, cycle=2026, title="As adopted")
    assert (scenario["reference_relocations"], scenario["reference_financial_eur"]) == (21000, "420000000.00")
    assert (scenario["weight_population"], scenario["weight_gdp"], scenario["relocation_rounding"]) == (
        "0.5000",
        "0.5000",
        "up",
    )
    assert scenario["deductions_percent"] == {"AT": "100.0000"}
    assert (scenario["author"], scenario["author_state"], scenario["shared"]) == ("be_negotiator", "BE", False)

    rows = rows_by_code(client.get(f"/api/v1/scenarios/{scenario['id']}/fair-shares/"))
    expected = cycle_fair_shares(cycle_with_figures, deductions_percent=granted_deductions_percent(cycle_with_figures))
    assert set(expected) == {code for code, row in rows.items() if row["scenario"]["in_key"]}
    assert len(rows) == MemberState.objects.count()
    for code, share in expected.items():
        for key in ("scenario", "official"):
            row = rows[code][key]
            assert Decimal(row["share"]) == share.share_percent, (code, key)
            assert row["relocations"] == share.relocations
            assert Decimal(row["financial_eur"]) == share.financial_eur
            assert row["obligation_relocations"] == share.obligation_relocations
            assert Decimal(row["obligation_financial_eur"]) == share.obligation_financial_eur
        assert Decimal(rows[code]["share_difference"]) == 0
    in_key = [Decimal(row["scenario"]["share"]) for row in rows.values() if row["scenario"]["in_key"]]
    assert sum(in_key) == Decimal("100.0001")
    # A deduction lowers pledges, not the fair share (AMMR Art. 61(1)): the obligation is the fair share.
    assert rows["AT"]["scenario"]["obligation_relocations"] == rows["AT"]["scenario"]["relocations"]
    assert rows["DK"]["scenario"] == {**rows["DK"]["official"], "in_key": False}
    assert rows["DK"]["scenario"]["share"] is None and rows["DK"]["share_difference"] is None

    # The service gives the same numbers to a page (no HTTP, no copy of the engine).
    stored = Scenario.objects.get(pk=scenario["id"])
    by_service = {row.member_state.code: row for row in scenario_fair_shares(stored, viewer=be_negotiator)}
    assert {code: row.scenario.fair_share for code, row in by_service.items() if row.scenario.fair_share} == expected


# --- A hand-computed scenario ------------------------------------------------------------------------------


def test_a_two_state_key_with_other_weights_matches_the_hand_computation(be_negotiator, nl_negotiator, small_cycle):
    # BE pledged EUR 1.3 million: 65 relocation equivalents at the cycle's EUR 20 000, 130 at the scenario's 10 000.
    PledgeFactory(cycle=small_cycle, member_state=state("BE"), amount_eur=Decimal("1300000.00"), status="submitted")
    client = api_as(be_negotiator)
    scenario = create(
        client,
        cycle=2027,
        title="Benelux pair",
        states_in_key=["nl", "BE"],
        weight_population="0.8",
        weight_gdp="0.2",
        deductions_percent={"nl": "50"},
        eur_per_relocation="10000",
        shared=True,
    )
    assert scenario["states_in_key"] == ["BE", "NL"]  # protocol order, upper case
    assert scenario["deductions_percent"] == {"NL": "50.0000"}
    rows = rows_by_code(client.get(f"/api/v1/scenarios/{scenario['id']}/fair-shares/"))

    # Population: BE 3/4, NL 1/4. GDP: BE 1/4, NL 3/4.
    # BE = 0.8 x 0.75 + 0.2 x 0.25 = 0.65; NL = 0.8 x 0.25 + 0.2 x 0.75 = 0.35.
    # Relocations, rounded up: BE 0.65 x 1001 = 650.65 -> 651; NL 0.35 x 1001 = 350.35 -> 351.
    # NL's 50 % deduction is of its pledges (AMMR Art. 61(1)), reported: its fair share stays 351, EUR 7 000 000.
    be, nl = rows["BE"]["scenario"], rows["NL"]["scenario"]
    assert (be["share"], be["relocations"], be["financial_eur"]) == ("65.0000", 651, "13000000.00")
    assert (be["deduction_percent"], be["obligation_relocations"]) == ("0.0000", 651)
    assert (nl["share"], nl["relocations"], nl["financial_eur"]) == ("35.0000", 351, "7000000.00")
    assert (nl["deduction_percent"], nl["obligation_relocations"], nl["obligation_financial_eur"]) == (
        "50.0000",
        351,
        "7000000.00",
    )
    # BE's coverage: 130 / 651 = 19.97 % under the scenario.
    assert (be["pledged_relocation_equivalent"], be["coverage"]) == ("130.00", "19.97")
    assert rows["BE"]["pledged_financial_eur"] == "1300000.00"
    assert all(not row["scenario"]["in_key"] for code, row in rows.items() if code not in ("BE", "NL"))

    # Officially (26 states, 0.5 / 0.5): BE = 0.5 x 3/28 + 0.5 x 1/28 = 1/14 = 7.1429 %, 71.50 -> 72 relocations.
    official_be = rows["BE"]["official"]
    assert (official_be["share"], official_be["relocations"]) == ("7.1429", 72)
    assert (official_be["pledged_relocation_equivalent"], official_be["coverage"]) == ("65.00", "90.28")
    assert rows["BE"]["share_difference"] == str(Decimal("65.0000") - Decimal("7.1429"))

    # NL may read the shared scenario, but not BE's pledges before the Council act (Art. 57).
    seen_by_nl = rows_by_code(api_as(nl_negotiator).get(f"/api/v1/scenarios/{scenario['id']}/fair-shares/"))
    assert seen_by_nl["BE"]["scenario"]["share"] == "65.0000"
    assert seen_by_nl["BE"]["pledges_visible"] is False
    assert seen_by_nl["BE"]["pledged_financial_eur"] is None
    assert seen_by_nl["BE"]["scenario"]["pledged_relocation_equivalent"] is None
    assert seen_by_nl["BE"]["scenario"]["coverage"] is None


def test_rounding_half_up_and_other_reference_numbers(coordinator, small_cycle):
    scenario = create(
        api_as(coordinator),
        cycle=2027,
        states_in_key=["BE", "NL"],
        weight_population="0.8",
        weight_gdp="0.2",
        reference_relocations=3001,
        reference_financial_eur="60020000.00",
        relocation_rounding="half_up",
    )
    rows = rows_by_code(api_as(coordinator).get(f"/api/v1/scenarios/{scenario['id']}/fair-shares/"))
    # 0.65 x 3001 = 1950.65 -> 1951 (half up); 0.35 x 3001 = 1050.35 -> 1050.
    assert (rows["BE"]["scenario"]["relocations"], rows["NL"]["scenario"]["relocations"]) == (1951, 1050)
    assert Decimal(rows["BE"]["scenario"]["financial_eur"]) == Decimal("60020000.00") * Decimal("0.65")


def test_a_state_without_figures_in_the_key_is_a_409_naming_it(coordinator, small_cycle):
    scenario = create(api_as(coordinator), cycle=2027, states_in_key=["BE", "NO"])
    response = api_as(coordinator).get(f"/api/v1/scenarios/{scenario['id']}/fair-shares/")
    assert (response.status_code, first_error(response)["code"]) == (409, "reference_figure_missing")
    assert response.json()["current"]["member_states"] == ["NO"]


def test_fair_shares_without_a_viewer_show_only_public_pledges(be_negotiator, small_cycle):
    PledgeFactory(cycle=small_cycle, member_state=state("BE"), amount_eur=Decimal("1300000.00"), status="submitted")
    scenario = scenario_create(cycle=small_cycle, actor=be_negotiator, reason=REASON, title="Default")
    be = next(row for row in scenario_fair_shares(scenario) if row.member_state.code == "BE")
    assert be.scenario.pledges_visible is False
    assert be.scenario.coverage_percent is None
    mine = next(row for row in scenario_fair_shares(scenario, viewer=be_negotiator) if row.member_state.code == "BE")
    assert mine.scenario.pledged_relocation_equivalent == Decimal("65.00")


# --- Who sees and changes scenarios ------------------------------------------------------------------------


def test_private_scenarios_stay_with_their_delegation(
    be_negotiator, be_official, nl_negotiator, nl_official, coordinator, auditor, compliance_officer, small_cycle
):
    private = create(api_as(be_negotiator), cycle=2027, title="BE private")
    shared = create(api_as(nl_negotiator), cycle=2027, title="NL shared", shared=True)
    eu_level = create(api_as(coordinator), cycle=2027, title="Coordinator's draft")

    def titles(user) -> set[str]:
        response = api_as(user).get("/api/v1/scenarios/")
        assert response.status_code == 200
        return {row["title"] for row in response.json()["results"]}

    assert titles(be_negotiator) == titles(be_official) == {"BE private", "NL shared"}
    assert titles(nl_negotiator) == titles(nl_official) == titles(compliance_officer) == {"NL shared"}
    assert titles(coordinator) == titles(auditor) == {"BE private", "NL shared", "Coordinator's draft"}
    for outsider_of_be in (nl_negotiator, nl_official, compliance_officer):
        client = api_as(outsider_of_be)
        for url in (f"/api/v1/scenarios/{private['id']}/", f"/api/v1/scenarios/{private['id']}/fair-shares/"):
            assert client.get(url).status_code == 404, url
        assert client.get(f"/api/v1/scenarios/{eu_level['id']}/").status_code == 404
    assert api_as(be_official).get(f"/api/v1/scenarios/{private['id']}/fair-shares/").status_code == 200
    # Sharing lets others read a scenario, not change it.
    patch = api_as(be_negotiator).patch(
        f"/api/v1/scenarios/{shared['id']}/",
        {"title": "Mine now", "reason": REASON},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert patch.status_code == 403
    assert Scenario.objects.get(pk=shared["id"]).title == "NL shared"


@pytest.mark.parametrize("persona", ["be_official", "auditor", "compliance_officer", "outsider"])
def test_only_negotiators_and_the_coordinator_build_scenarios(request, persona, small_cycle):
    response = api_as(request.getfixturevalue(persona)).post(
        "/api/v1/scenarios/", {"cycle": 2027, "title": "No", "reason": REASON}, format="json"
    )
    assert response.status_code == 403
    assert not Scenario.objects.exists()


def test_updates_need_the_current_version_and_keep_history(be_negotiator, small_cycle):
    colleague = UserFactory(username="be_negotiator_2", member_state=state("BE"), roles=["negotiator"])
    scenario = create(api_as(be_negotiator), cycle=2027)
    url = f"/api/v1/scenarios/{scenario['id']}/"
    client = api_as(colleague)
    body = {"weight_population": "0.6", "weight_gdp": "0.4", "reason": "Population counts more"}
    missing = client.patch(url, body, format="json")
    assert (missing.status_code, first_error(missing)["code"]) == (428, "version_required")
    changed = client.patch(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["weight_population"], changed.json()["version"], changed["ETag"]) == ("0.6000", 2, '"2"')
    stale = api_as(be_negotiator).patch(url, {"shared": True, "reason": "Share it"}, format="json", HTTP_IF_MATCH='"1"')
    assert (stale.status_code, first_error(stale)["code"]) == (412, "stale_version")
    latest = Scenario.objects.get(pk=scenario["id"]).history.first()
    assert (latest.history_user, latest.history_change_reason, latest.weight_population) == (
        colleague,
        "Population counts more",
        Decimal("0.6000"),
    )
    # The same key states in another order, in lower case: no change, no history row.
    client.patch(url, {"states_in_key": ["nl", "be"], "reason": "Pair"}, format="json", HTTP_IF_MATCH='"2"')
    same = client.patch(url, {"states_in_key": ["BE", "NL"], "reason": "Again"}, format="json", HTTP_IF_MATCH='"3"')
    assert (same.status_code, same.json()["version"]) == (200, 3)
    assert Scenario.objects.get(pk=scenario["id"]).history.count() == 3


def test_invalid_parameters_are_refused_with_their_field(be_negotiator, small_cycle):
    client = api_as(be_negotiator)

    def refused(**body) -> dict:
        response = client.post(
            "/api/v1/scenarios/", {"cycle": 2027, "title": "Bad", "reason": REASON, **body}, format="json"
        )
        assert response.status_code == 400, body
        return first_error(response)

    assert refused(weight_population="0.7")["code"] == "key_weights_invalid"
    assert refused(weight_population="0.7")["attr"] == "weight_population"
    # A code of no Member State names nothing the schema could list: a reference to nothing, 404.
    unknown = client.post(
        "/api/v1/scenarios/",
        {"cycle": 2027, "title": "Bad", "reason": REASON, "states_in_key": ["BE", "XX"]},
        format="json",
    )
    assert (unknown.status_code, first_error(unknown)["code"]) == (404, "unknown_member_state")
    assert first_error(unknown)["attr"] == "states_in_key"
    unknown = client.post(
        "/api/v1/scenarios/",
        {"cycle": 2027, "title": "Bad", "reason": REASON, "deductions_percent": {"ZZ": "10"}},
        format="json",
    )
    assert (unknown.status_code, first_error(unknown)["attr"]) == (404, "deductions_percent")
    assert refused(deductions_percent={"AT": "120"})["attr"].startswith("deductions_percent")
    assert refused(eur_per_relocation="0")["attr"] == "eur_per_relocation"
    assert refused(reason="r" * 2001)["code"] == "max_length"
    assert not Scenario.objects.exists()


def test_services_check_permission_version_and_reason(be_negotiator, nl_negotiator, coordinator, small_cycle):
    scenario = scenario_create(cycle=small_cycle, actor=be_negotiator, reason=REASON, title="Mine")
    assert (scenario.author_state_id, scenario.reference_relocations, scenario.states_in_key) == ("BE", 1001, [])
    with pytest.raises(NotPermitted):
        scenario_update(scenario=scenario, changes={"title": "x"}, expected_version=1, actor=nl_negotiator, reason="x")
    with pytest.raises(NotPermitted):
        scenario_update(scenario=scenario, changes={"title": "x"}, expected_version=1, actor=coordinator, reason="x")
    with pytest.raises(ValidationFailed):
        scenario_update(
            scenario=scenario, changes={"author": nl_negotiator}, expected_version=1, actor=be_negotiator, reason="x"
        )
    with pytest.raises(StaleVersion):
        scenario_delete(scenario=scenario, expected_version=7, actor=be_negotiator, reason="Old")
    with pytest.raises(ValidationFailed):
        scenario_delete(scenario=scenario, expected_version=1, actor=be_negotiator, reason=" ")
    assert Scenario.objects.filter(pk=scenario.pk).exists()


def test_deleting_needs_version_and_reason_and_leaves_a_history_row(be_negotiator, nl_negotiator, small_cycle):
    scenario = create(api_as(be_negotiator), cycle=2027)
    url = f"/api/v1/scenarios/{scenario['id']}/"
    assert (
        api_as(nl_negotiator).delete(url, {"reason": "Not mine"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
    )
    client = api_as(be_negotiator)
    assert client.delete(url, {"reason": "Obsolete"}, format="json").status_code == 428
    assert client.delete(url, format="json", HTTP_IF_MATCH='"1"').status_code == 400
    assert client.delete(f"{url}?reason=Obsolete", HTTP_IF_MATCH='"1"').status_code == 204
    assert not Scenario.objects.exists()
    deleted = Scenario.history.filter(id=scenario["id"]).first()
    assert (deleted.history_type, deleted.history_user, deleted.history_change_reason) == (
        "-",
        be_negotiator,
        "Obsolete",
    )


def test_a_delete_needs_no_body_its_reason_travels_in_the_header(be_negotiator, small_cycle):
    scenario = create(api_as(be_negotiator), cycle=2027)
    url = f"/api/v1/scenarios/{scenario['id']}/"
    client = api_as(be_negotiator)
    too_long = client.delete(url, HTTP_IF_MATCH='"1"', HTTP_X_CHANGE_REASON="r" * 2001)
    assert (too_long.status_code, first_error(too_long)["code"], first_error(too_long)["attr"]) == (
        400,
        "max_length",
        "reason",
    )
    assert (
        client.delete(url, HTTP_IF_MATCH='"1"', HTTP_X_CHANGE_REASON="Superseded by the Council's figures").status_code
        == 204
    )
    deleted = Scenario.history.filter(id=scenario["id"]).first()
    assert (deleted.history_type, deleted.history_change_reason) == ("-", "Superseded by the Council's figures")


def test_scenario_list_runs_a_constant_number_of_queries(be_negotiator, small_cycle):
    author = UserFactory(username="author", member_state=state("BE"), roles=["negotiator"])

    def count() -> tuple[int, int]:
        client = api_as(type(be_negotiator).objects.get(pk=be_negotiator.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/scenarios/?cycle=2027&page_size=500")
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    for index in range(2):
        scenario_create(cycle=small_cycle, actor=author, reason=REASON, title=f"S{index}")
    small, two = count()
    for index in range(2, 25):
        scenario_create(cycle=small_cycle, actor=author, reason=REASON, title=f"S{index}", shared=index % 2 == 0)
    large, many = count()
    assert (two, many) == (2, 25)
    assert small == large <= 4


def test_fair_shares_run_a_constant_number_of_queries(be_negotiator, small_cycle):
    scenario = scenario_create(cycle=small_cycle, actor=be_negotiator, reason=REASON, title="Default")
    for code in ("BE", "NL", "DE"):
        PledgeFactory(cycle=small_cycle, member_state=state(code), status="submitted")
    client = api_as(type(be_negotiator).objects.get(pk=be_negotiator.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/scenarios/{scenario.pk}/fair-shares/")
    assert response.status_code == 200
    # scenario, roles, states, figures, deductions, official shares, indicative adjustments, pledge totals, the
    # scenario's figures
    assert len(queries) <= 9


# --- Schema -------------------------------------------------------------------------------------------------


def test_schema_documents_the_scenario_endpoints_without_warnings():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    assert [m for m in complaints if re.search(r"[Ss]cenario|KeyColumns", m)] == []
    validate_schema(schema)
    for path_ in ("/api/v1/scenarios/", "/api/v1/scenarios/{id}/", "/api/v1/scenarios/{id}/fair-shares/"):
        assert path_ in schema["paths"], path_
    patch = schema["paths"]["/api/v1/scenarios/{id}/"]["patch"]
    assert {"200", "400", "403", "404", "412", "428"} <= set(patch["responses"])
    fair_shares = schema["paths"]["/api/v1/scenarios/{id}/fair-shares/"]["get"]
    assert "409" in fair_shares["responses"]
    row = schema["components"]["schemas"]["ScenarioFairShareRow"]["properties"]
    assert {"member_state", "scenario", "official", "share_difference"} <= set(row)
