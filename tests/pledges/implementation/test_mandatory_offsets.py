"""Mandatory responsibility offsets (AMMR Art. 63(3)-(4)) and the thresholds of Art. 63 as cycle data:
the selector on hand-computed cycles, the API and the offsets page.

The constructed cycle: a key of four states (BE, DE, FR, IT), with population and GDP in the ratio
1 : 4 : 3 : 2, so their shares are exactly 10, 40, 30 and 20 %. The pool's reference number is 1 000
relocations (fair shares, rounded up: BE 100, DE 400, FR 300, IT 200), the Commission proposal's 1 200 (the
needs). Italy is under migratory pressure: a beneficiary, not a contributing state (Art. 60(3)).
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pledges.implementation.pool import states_open_to_offsets
from pledges.implementation.selectors import mandatory_offsets, offset_eligibility
from solidarity.domain.models import Designation, MemberState, ReferenceFigure, SolidarityCycle
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import BASE, as_user, page
from tests.pledges.pledging.api_helpers import error

pytestmark = pytest.mark.django_db

RATIO = {"BE": 1, "DE": 4, "FR": 3, "IT": 2}


@pytest.fixture
def key_of_four(db):
    # Tests shape the key; in the product the states in the key are seed data (Art. 66).
    MemberState.objects.exclude(code__in=RATIO).update(bound_by_solidarity=False)


def make_cycle(year=2027, status="adopted", **values):
    cycle = CycleFactory(year=year, status=status, reference_relocations=1000, proposal_relocations=1200, **values)
    for code, ratio in RATIO.items():
        ReferenceFigure.objects.create(
            cycle=cycle, member_state=state(code), population=1_000_000 * ratio, gdp_eur_million=Decimal(1000 * ratio)
        )
    Designation.objects.create(cycle=cycle, member_state=state("IT"), kind="under_pressure", ground="arrivals")
    return cycle


def relocations(cycle, code, quantity, status="recorded"):
    return PledgeFactory(cycle=cycle, member_state=state(code), kind="relocation", quantity=quantity, status=status)


@pytest.fixture
def cycle(key_of_four):
    return make_cycle()


@pytest.fixture
def short_cycle(cycle):
    """DE pledges 100 relocations, FR its whole fair share of 300: 400 in all, below 60 % of 1 200 (720)."""
    relocations(cycle, "DE", 100)
    relocations(cycle, "FR", 300)
    return cycle


def numbers(result) -> dict[str, tuple[int, int, int]]:
    return {row.member_state.code: (row.key_part, row.room, row.applications) for row in result.states}


# --- The rule ------------------------------------------------------------------------------------------------------


def test_pledges_below_the_threshold_make_offsets_mandatory_for_the_contributing_states(short_cycle):
    result = mandatory_offsets(short_cycle)
    assert (result.needs, result.pledged_relocations, result.threshold_relocations) == (1200, 400, Decimal(720))
    assert result.triggered is True
    # (a) 720 - 400 = 320 missing to 60 % of the needs; (b) 600 - 400 = 200 to 60 % of the pool's 1 000.
    assert (result.shortfall_needs, result.shortfall_reference, result.applications) == (320, 200, 320)
    # 320 shared by the key among BE, DE, FR (10 + 40 + 30 = 80 %): 40, 160, 120; Italy, the beneficiary, is out.
    # Each at most what its pledges leave of its fair share: BE 100 - 0, DE 400 - 100, FR 300 - 300.
    assert numbers(result) == {"BE": (40, 100, 40), "DE": (160, 300, 160), "FR": (120, 0, 0)}
    assert result.assigned == 200
    assert "Art. 63(3)" in result.explanation and "below 60 % of the proposal's 1,200" in result.explanation
    assert "up to 320 applications" in result.explanation


def test_pledges_at_exactly_the_threshold_do_not_trigger_it(cycle):
    relocations(cycle, "DE", 420)
    relocations(cycle, "FR", 300)
    result = mandatory_offsets(cycle)
    assert (result.pledged_relocations, result.triggered, result.applications, result.states) == (720, False, 0, ())
    assert "do not apply" in result.explanation


def test_one_relocation_below_the_threshold_triggers_it(cycle):
    relocations(cycle, "DE", 419)
    relocations(cycle, "FR", 300)
    result = mandatory_offsets(cycle)
    assert (result.triggered, result.shortfall_needs, result.shortfall_reference, result.applications) == (
        True,
        1,
        0,
        1,
    )
    # One application by the key: 0.125, 0.5, 0.375, each rounded up (the cycle's rule) to 1; DE and FR have
    # pledged their whole fair share, so only Belgium takes it.
    assert numbers(result) == {"BE": (1, 100, 1), "DE": (1, 0, 0), "FR": (1, 0, 0)}


def test_drafts_do_not_count_and_submitted_pledges_do(cycle):
    relocations(cycle, "DE", 720, status="draft")
    assert mandatory_offsets(cycle).pledged_relocations == 0
    relocations(cycle, "FR", 720, status="submitted")
    assert mandatory_offsets(cycle).triggered is False


def test_the_cycles_threshold_changes_the_result(key_of_four):
    # The same pledges (400) in three cycles that differ only by their Art. 63(3) threshold.
    results = {}
    for year, percent in ((2027, "60"), (2028, "50"), (2029, "30")):
        cycle = make_cycle(year=year, mandatory_offset_threshold_percent=Decimal(percent))
        relocations(cycle, "DE", 100)
        relocations(cycle, "FR", 300)
        results[percent] = mandatory_offsets(cycle)
    assert (results["60"].triggered, results["60"].applications) == (True, 320)
    # 50 %: 600 - 400 = 200 against the needs, 500 - 400 = 100 against the pool: 200; BE 25, DE 100, FR 75 -> 0.
    assert (results["50"].threshold_relocations, results["50"].applications) == (Decimal(600), 200)
    assert numbers(results["50"]) == {"BE": (25, 100, 25), "DE": (100, 300, 100), "FR": (75, 0, 0)}
    # 30 %: 360, below the 400 pledged.
    assert (results["30"].triggered, results["30"].states) == (False, ())


def test_without_a_proposal_it_cannot_be_told(key_of_four):
    cycle = make_cycle(year=2028)
    SolidarityCycle.objects.filter(pk=cycle.pk).update(proposal_relocations=None)
    cycle.refresh_from_db()
    result = mandatory_offsets(cycle)
    assert (result.needs, result.triggered, result.applications) == (None, None, 0)
    assert "no Commission proposal" in result.explanation


def test_the_art_63_1_threshold_comes_from_the_cycle(short_cycle):
    # 400 of the proposal's 1 200: 33.33 %, below 50 %; a cycle whose threshold is 30 % opens offsets.
    assert offset_eligibility(short_cycle).collective_threshold_met is False
    SolidarityCycle.objects.filter(pk=short_cycle.pk).update(offset_threshold_percent=Decimal(30))
    short_cycle.refresh_from_db()
    eligibility = offset_eligibility(short_cycle, contributing_state=state("BE"))
    assert (eligibility.threshold_percent, eligibility.collective_percent) == (Decimal(30), Decimal("33.33"))
    assert eligibility.collective_threshold_met and eligibility.may_request
    # Art. 63(2) at the same threshold: FR pledged its whole fair share, DE a quarter of it.
    assert offset_eligibility(short_cycle, contributing_state=state("DE")).contributing_state_threshold_met is False
    assert offset_eligibility(short_cycle, contributing_state=state("FR")).contributing_state_threshold_met is True


def test_the_states_open_to_offsets_follow_the_cycles_threshold(short_cycle):
    # Art. 63(2) for every state at once: DE pledged 100 of its 400 (25 %), FR 300 of 300 (100 %).
    coordinator = UserFactory(roles=["coordinator"])
    open_at_half = states_open_to_offsets(short_cycle, viewer=coordinator)
    assert [row.member_state.code for row in open_at_half] == ["FR"]
    SolidarityCycle.objects.filter(pk=short_cycle.pk).update(offset_threshold_percent=Decimal(25))
    short_cycle.refresh_from_db()
    open_at_quarter = states_open_to_offsets(short_cycle, viewer=coordinator)
    assert [row.member_state.code for row in open_at_quarter] == ["DE", "FR"]


@pytest.mark.parametrize("field", ["offset_threshold_percent", "mandatory_offset_threshold_percent"])
@pytest.mark.parametrize("value", ["0", "-1", "100.01"])
def test_a_threshold_lies_above_zero_and_at_most_a_hundred(cycle, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        SolidarityCycle.objects.filter(pk=cycle.pk).update(**{field: Decimal(value)})
    SolidarityCycle.objects.filter(pk=cycle.pk).update(**{field: Decimal(100)})


def test_the_thresholds_default_to_the_regulations(cycle):
    assert (cycle.offset_threshold_percent, cycle.mandatory_offset_threshold_percent) == (Decimal(50), Decimal(60))


# --- API -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(coordinator):
    return api_as(coordinator)


def mandatory(client, query="cycle=2027"):
    response = client.get(f"/api/v1/offsets/mandatory/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_api_shows_the_states_and_their_numbers(short_cycle, coordinator_client):
    body = mandatory(coordinator_client)
    states = body.pop("states")
    assert body == {
        "cycle": 2027,
        "threshold_percent": "60.00",
        "needs": 1200,
        "reference_relocations": 1000,
        "threshold_relocations": "720.00",
        "pledged_relocations": 400,
        "triggered": True,
        "shortfall_needs": 320,
        "shortfall_reference": 200,
        "applications": 320,
        "assigned": 200,
        "explanation": body["explanation"],
    }
    assert [(s["member_state"], s["key_part"], s["room"], s["applications"]) for s in states] == [
        ("BE", 40, 100, 40),
        ("DE", 160, 300, 160),
        ("FR", 120, 0, 0),
    ]
    assert states[0] == {
        "member_state": "BE",
        "name": state("BE").name,
        "share": "10.0000",
        "fair_share_relocations": 100,
        "pledged_relocations": 0,
        "key_part": 40,
        "room": 100,
        "applications": 40,
    }


def test_the_api_hides_what_rests_on_pledges_before_the_council_act(key_of_four, be_official, coordinator_client):
    cycle = make_cycle(status="pledging")
    relocations(cycle, "DE", 100, status="submitted")
    hidden = mandatory(api_as(be_official))
    assert (hidden["triggered"], hidden["pledged_relocations"], hidden["applications"], hidden["states"]) == (
        None,
        None,
        None,
        [],
    )
    assert (hidden["needs"], hidden["threshold_percent"]) == (1200, "60.00")
    assert "Art. 57" in hidden["explanation"]
    seen = mandatory(coordinator_client)
    assert (seen["triggered"], seen["pledged_relocations"]) == (True, 100)


def test_the_api_says_when_offsets_are_not_mandatory(cycle, coordinator_client):
    relocations(cycle, "DE", 720)
    body = mandatory(coordinator_client)
    assert (body["triggered"], body["applications"], body["states"]) == (False, 0, [])


def test_the_api_needs_a_known_cycle(cycle, coordinator_client):
    missing = coordinator_client.get("/api/v1/offsets/mandatory/")
    assert (missing.status_code, error(missing)["attr"]) == (400, "cycle")
    malformed = coordinator_client.get("/api/v1/offsets/mandatory/?cycle=abc")
    assert (malformed.status_code, error(malformed)["attr"]) == (400, "cycle")
    unknown = coordinator_client.get("/api/v1/offsets/mandatory/?cycle=1999")
    assert (unknown.status_code, error(unknown)["attr"], error(unknown)["code"]) == (404, "cycle", "does_not_exist")


def test_the_api_runs_a_constant_number_of_queries(short_cycle, coordinator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as captured:
        mandatory(coordinator_client)
    before = len(captured)
    relocations(short_cycle, "BE", 10, status="submitted")
    for code in ("EL", "ES", "CY"):
        Designation.objects.create(cycle=short_cycle, member_state=state(code), kind="under_pressure")
    with django_assert_max_num_queries(before):
        assert len(mandatory(coordinator_client)["states"]) == 3


def test_the_eligibility_api_reports_the_cycles_threshold(short_cycle, coordinator_client):
    SolidarityCycle.objects.filter(pk=short_cycle.pk).update(offset_threshold_percent=Decimal(30))
    response = coordinator_client.get("/api/v1/offsets/eligibility/?cycle=2027&contributing_state=BE")
    body = response.json()
    assert (body["threshold_percent"], body["collective_percent"], body["may_request"]) == ("30.00", "33.33", True)


def test_the_request_page_states_the_cycles_threshold(client, short_cycle, coordinator):
    SolidarityCycle.objects.filter(pk=short_cycle.pk).update(offset_threshold_percent=Decimal("40.5"))
    as_user(client, coordinator)
    html = page(client.get(f"{BASE}/offsets/request/?cycle=2027"))
    assert "(threshold 40.50 %)" in html and "below the threshold" in html


def test_the_cycle_api_shows_the_thresholds_read_only(cycle, coordinator_client):
    body = coordinator_client.get("/api/v1/cycles/2027/").json()
    assert (body["offset_threshold_percent"], body["mandatory_offset_threshold_percent"]) == ("50.00", "60.00")


# --- The offsets page ----------------------------------------------------------------------------------------------


def test_the_offsets_page_lists_the_states_and_their_numbers(client, short_cycle, coordinator):
    as_user(client, coordinator)
    response = client.get(f"{BASE}/offsets/?cycle=2027")
    assert response.status_code == 200
    html = page(response)
    assert "Mandatory offsets (Art. 63(3))" in html and "They apply." in html
    assert f"{state('BE').name} (BE)" in html and f"{state('DE').name} (DE)" in html and "(FR)" in html
    table = html[html.index('id="mandatory-caption"') : html.index("</table>", html.index('id="mandatory-caption"'))]
    assert ">160<" in table and ">40<" in table and "(IT)" not in table


def test_the_offsets_page_says_when_they_do_not_apply(client, cycle, coordinator):
    relocations(cycle, "DE", 720)
    as_user(client, coordinator)
    html = page(client.get(f"{BASE}/offsets/?cycle=2027"))
    assert "They do not apply." in html and "No contributing state has to take responsibility" in html


def test_the_offsets_page_hides_them_before_the_council_act(client, key_of_four, be_official):
    make_cycle(status="pledging")
    as_user(client, be_official)
    response = client.get(f"{BASE}/offsets/?cycle=2027")
    assert response.status_code == 200
    assert "shown once they are public" in page(response)


def test_an_official_reads_them_once_public(client, short_cycle):
    official = UserFactory(username="pt_official", member_state=state("PT"), roles=["official"])
    as_user(client, official)
    assert "They apply." in page(client.get(f"{BASE}/offsets/?cycle=2027"))
