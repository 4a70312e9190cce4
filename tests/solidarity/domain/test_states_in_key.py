"""Which states are in the key is data of each cycle (AMMR Art. 66), and pledges of the states outside it are ad hoc
(Art. 13(1)): shown apart, never counted against an obligation or in coverage."""

from decimal import Decimal

import pytest

from solidarity.domain.models import SolidarityCycle
from solidarity.domain.selectors import cycle_fair_shares, fair_share_table
from solidarity.domain.services import cycle_create
from tests.conftest import api_as
from tests.factories import PledgeFactory, state

pytestmark = pytest.mark.django_db

SEED_KEY = 26  # the Member States bound by the solidarity part: all but Denmark (Protocol No 22)


def test_a_new_cycle_records_the_states_the_seed_binds(coordinator):
    cycle = cycle_create(
        actor=coordinator,
        reason="Pool proposed",
        year=2028,
        reference_relocations=30000,
        reference_financial_eur=Decimal("600000000.00"),
    )
    assert len(cycle.states_in_key) == SEED_KEY
    assert cycle.states_in_key[:3] == ["BE", "BG", "CZ"]
    assert not {"DK", "NO", "IS", "CH", "LI"} & set(cycle.states_in_key)
    # It is stored, with the cycle's history: a later change of the seed leaves this cycle's key alone.
    assert SolidarityCycle.objects.get(year=2028).history.get().states_in_key == cycle.states_in_key


def test_a_cycle_without_a_state_shares_the_key_among_the_others(cycle_with_figures):
    full = cycle_fair_shares(cycle_with_figures)
    assert len(full) == SEED_KEY and "AT" in full
    SolidarityCycle.objects.filter(pk=cycle_with_figures.pk).update(
        states_in_key=[code for code in cycle_with_figures.states_in_key if code != "AT"]
    )
    cycle_with_figures.refresh_from_db()
    without_austria = cycle_fair_shares(cycle_with_figures)
    assert len(without_austria) == SEED_KEY - 1 and "AT" not in without_austria
    # Austria's part goes to the others, in proportion: Germany's share grows.
    assert without_austria["DE"].share_percent > full["DE"].share_percent


def test_pledges_outside_the_key_are_ad_hoc_and_never_in_coverage(cycle_with_figures, auditor):
    norway = PledgeFactory(
        cycle=cycle_with_figures, member_state=state("NO"), amount_eur=Decimal("20000000.00"), status="submitted"
    )
    belgium = PledgeFactory(
        cycle=cycle_with_figures, member_state=state("BE"), amount_eur=Decimal("20000000.00"), status="submitted"
    )
    assert (norway.is_ad_hoc, belgium.is_ad_hoc) == (True, False)
    rows = {row.member_state.code: row for row in fair_share_table(cycle_with_figures, viewer=auditor)}
    assert rows["NO"].fair_share is None and rows["NO"].coverage_percent is None
    assert rows["BE"].coverage_percent is not None
    body = {row["id"]: row for row in api_as(auditor).get("/api/v1/pledges/", {"cycle": 2026}).json()["results"]}
    assert (body[norway.pk]["ad_hoc"], body[belgium.pk]["ad_hoc"]) == (True, False)


def test_the_coordinator_changes_a_cycles_key_over_the_api(coordinator, cycle_with_figures):
    api = api_as(coordinator)
    response = api.patch(
        "/api/v1/cycles/2026/",
        {"states_in_key": ["nl", "BE", "BE"], "reason": "The key as the Council act states it"},
        format="json",
        HTTP_IF_MATCH=f'"{cycle_with_figures.version}"',
    )
    assert response.status_code == 200, response.json()
    # Upper-case, each once, in protocol order.
    assert response.json()["states_in_key"] == ["BE", "NL"]
    refused = api.patch(
        "/api/v1/cycles/2026/",
        {"states_in_key": ["BE", "XX"], "reason": "A typo"},
        format="json",
        HTTP_IF_MATCH=f'"{response.json()["version"]}"',
    )
    assert refused.status_code == 404
    assert [(error["code"], error["attr"]) for error in refused.json()["errors"]] == [
        ("unknown_member_state", "states_in_key")
    ]
    cycle_with_figures.refresh_from_db()
    assert cycle_with_figures.states_in_key == ["BE", "NL"]


def test_the_pledge_pages_mark_an_ad_hoc_pledge(client, cycle_with_figures, coordinator):
    norway = PledgeFactory(
        cycle=cycle_with_figures, member_state=state("NO"), amount_eur=Decimal("20000000.00"), status="submitted"
    )
    PledgeFactory(
        cycle=cycle_with_figures, member_state=state("BE"), amount_eur=Decimal("20000000.00"), status="submitted"
    )
    client.force_login(coordinator)
    listing = client.get("/pledges/", {"cycle": 2026}).content.decode()
    assert listing.count('<span class="tag tag--ad-hoc"') == 1
    detail = client.get(f"/pledges/{norway.pk}/").content.decode()
    assert ">Ad hoc</span>" in detail
