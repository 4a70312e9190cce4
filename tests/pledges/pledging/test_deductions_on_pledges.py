"""AMMR Art. 61(1) (and 62(1)): a state "may, at any time, request a partial or full deduction of its pledged
contributions set out in the Council implementing act"; the Council decides by implementing act (Arts 61(4),
62(4)). A grant lowers the state's binding pledges, and with them activations and implementation; its fair
share stays as computed.

Hand-computed case: the 2026-like key (21 000 relocations, EUR 420 million, EUR 20 000 a relocation) gives
Belgium 3.0875 %, 649 relocations and EUR 12 967 500. Belgium's recorded pledges: 300 relocations, EUR 2 000 000
financial (100 relocation equivalents) and EUR 500 000 of alternative measures (25): 425 equivalents, coverage
425 / 649 = 65.49 %.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pledges.implementation.pool import pool_overview
from pledges.implementation.selectors import activatable_pledges, left_to_activate
from pledges.implementation.services import activation_propose
from pledges.pledging.models import DEDUCT_TRANSITION, DeductionRequest, Pledge
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.domain.models import Designation, IndicativeAdjustment
from solidarity.domain.selectors import fair_share_table
from solidarity.platform.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed
from tests.conftest import api_as
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import REASON, as_user, page, set_cycle
from tests.pledges.pledging.api_helpers import error

pytestmark = pytest.mark.django_db

ACT = {"council_act_reference": "Council Implementing Decision (EU) 2026/77", "council_act_date": "2026-05-04"}


@pytest.fixture
def cycle(cycle_with_figures):
    """The cycle in application, its pledges recorded by the Council act; BE faces a significant situation."""
    today = timezone.localdate()
    cycle = set_cycle(
        cycle_with_figures,
        status="in_application",
        proposal_relocations=30000,
        applies_from=today - datetime.timedelta(days=100),
        implementation_deadline=today + datetime.timedelta(days=100),
    )
    Designation.objects.create(cycle=cycle, member_state=state("BE"), kind="significant_situation")
    return cycle


@pytest.fixture
def pledges(cycle):
    def recorded(**fields):
        return PledgeFactory(cycle=cycle, member_state=state("BE"), status="recorded", **fields)

    return {
        "relocation": recorded(kind="relocation", quantity=300, amount_eur=None),
        "financial": recorded(kind="financial", amount_eur=Decimal("2000000.00")),
        "alternative": recorded(kind="alternative", amount_eur=Decimal("500000.00"), description="Reception staff"),
    }


@pytest.fixture
def be_request(cycle, pledges):
    official = UserFactory(username="be_deducted", member_state=state("BE"), roles=["official"])
    return deduction_request(
        cycle=cycle, article="62", scope="partial", requested_percent="50", grounds="Reception", actor=official,
        reason=REASON,
    )  # fmt: skip


def grant(deduction, actor, transition="grant_partial", **fields):
    return deduction_decide(deduction=deduction, transition=transition, actor=actor, reason=REASON, **{**ACT, **fields})


def reloaded(pledges):
    return {kind: Pledge.objects.get(pk=pledge.pk) for kind, pledge in pledges.items()}


def belgium(cycle, viewer):
    return next(row for row in fair_share_table(cycle, viewer=viewer) if row.member_state.code == "BE")


def test_before_any_deduction_the_pledges_bind_as_pledged(cycle, pledges, coordinator):
    row = belgium(cycle, coordinator)
    assert (row.fair_share.relocations, row.fair_share.financial_eur) == (649, Decimal("12967500.00"))
    assert (row.pledged_relocation_equivalent, row.coverage_percent) == (Decimal("425.00"), Decimal("65.49"))
    assert [p.binding_measure for p in pledges.values()] == [300, Decimal("2000000.00"), Decimal("500000.00")]


def test_a_partial_deduction_by_type_lowers_the_binding_pledges_and_leaves_the_fair_share(
    cycle, pledges, be_request, coordinator
):
    # The Council deducts 50 % of the relocations, 25 % of the financial pledge and none of the alternative one.
    deduction = grant(
        be_request, coordinator, percent_by_kind={"relocation": "50", "financial": "25", "alternative": "0"}
    )
    now = reloaded(pledges)
    assert [(p.pledged_measure, p.deducted, p.binding_measure) for p in now.values()] == [
        (300, Decimal(150), 150),
        (Decimal("2000000.00"), Decimal("500000.00"), Decimal("1500000.00")),
        (Decimal("500000.00"), Decimal("0.00"), Decimal("500000.00")),
    ]
    # Deducted: 150 + 25 = 175 of 425 equivalents = 41.1765 %.
    assert deduction.granted_percent == Decimal("41.1765")
    assert (deduction.relocations_percent, deduction.financial_percent, deduction.alternative_percent) == (
        Decimal(50),
        Decimal(25),
        Decimal(0),
    )
    assert (deduction.council_act_reference, deduction.council_act_date) == (
        ACT["council_act_reference"],
        datetime.date(2026, 5, 4),
    )
    row = belgium(cycle, coordinator)
    # The fair share is as computed; the binding pledges are 150 + 75 + 25 = 250 equivalents: 250 / 649 = 38.52 %.
    assert (row.fair_share.relocations, row.fair_share.obligation_relocations) == (649, 649)
    assert row.fair_share.obligation_financial_eur == Decimal("12967500.00")
    assert row.fair_share.deduction_percent == Decimal("41.1765")
    assert (row.pledged_relocations, row.pledged_financial_eur, row.pledged_alternative_eur) == (
        150,
        Decimal("1500000.00"),
        Decimal("500000.00"),
    )
    assert (row.pledged_relocation_equivalent, row.coverage_percent) == (Decimal("250.00"), Decimal("38.52"))


def test_a_uniform_partial_deduction_caps_the_activations_at_the_binding_pledge(
    cycle, pledges, be_request, coordinator
):
    relocation = pledges["relocation"]
    activation_propose(pledge=relocation, benefitting_state=state("IT"), amount=100, actor=coordinator, reason=REASON)
    grant(be_request, coordinator, granted_percent="40")
    relocation.refresh_from_db()
    # 40 % of 300 = 120 deducted: 180 bind, 100 activated, 80 left.
    assert (relocation.deducted, relocation.binding_measure, left_to_activate(relocation)) == (Decimal(120), 180, 80)
    with pytest.raises(Conflict) as refused:
        activation_propose(
            pledge=relocation, benefitting_state=state("EL"), amount=81, actor=coordinator, reason=REASON
        )
    assert (refused.value.code, refused.value.extra) == ("exceeds_pledge", {"remaining": "80.00"})
    activation_propose(pledge=relocation, benefitting_state=state("EL"), amount=80, actor=coordinator, reason=REASON)
    relocation.refresh_from_db()
    assert (relocation.activated, left_to_activate(relocation)) == (Decimal(180), 0)
    # The pool's state line measures fulfilment against the binding pledges: 180 + 60 + 15 = 255 equivalents.
    line = next(s for s in pool_overview(cycle, viewer=coordinator).states if s.member_state.code == "BE")
    assert (line.fair.pledged_relocation_equivalent, line.activated_equivalent) == (Decimal("255.00"), Decimal(180))


def test_a_deduction_of_a_fraction_of_a_person_is_rounded_down(cycle, pledges, be_request, coordinator):
    Pledge.objects.filter(pk=pledges["relocation"].pk).update(quantity=301)
    grant(be_request, coordinator, granted_percent="33.3333")
    now = reloaded(pledges)
    # 33.3333 % of 301 = 100.33 persons: the registry frees no more than the Council decided, so 100.
    assert (now["relocation"].deducted, now["relocation"].binding_measure) == (Decimal(100), 201)
    # 33.3333 % of EUR 2 000 000 = EUR 666 666.00.
    assert now["financial"].deducted == Decimal("666666.00")


def test_a_full_deduction_leaves_nothing_to_activate_and_the_fair_share_whole(
    cycle, pledges, be_request, coordinator, auditor
):
    DeductionRequest.objects.filter(pk=be_request.pk).update(scope="full", requested_percent=100)
    deduction = grant(DeductionRequest.objects.get(pk=be_request.pk), coordinator, transition="grant_full")
    assert (deduction.status, deduction.granted_percent) == ("granted_full", Decimal(100))
    assert [p.binding_measure for p in reloaded(pledges).values()] == [0, Decimal("0.00"), Decimal("0.00")]
    with pytest.raises(Conflict) as refused:
        activation_propose(
            pledge=pledges["financial"], benefitting_state=state("IT"), amount="1", actor=coordinator, reason=REASON
        )
    assert refused.value.code in ("exceeds_pledge", "pledge_not_activatable")
    # Nor is any of them offered to the coordinator for activation, and each still reads as a pledge.
    offered = activatable_pledges().filter(member_state_id="BE")
    assert list(offered) == []
    assert Pledge.objects.with_binding_measure().get(pk=pledges["financial"].pk).binding_measure == Decimal("0.00")
    row = belgium(cycle, auditor)
    assert (row.fair_share.relocations, row.fair_share.obligation_relocations, row.coverage_percent) == (
        649,
        649,
        Decimal("0.00"),
    )
    assert row.fair_share.deduction_percent == Decimal(100)


def test_a_grant_below_what_is_activated_is_refused_and_changes_nothing(cycle, pledges, be_request, coordinator):
    relocation = pledges["relocation"]
    activation_propose(pledge=relocation, benefitting_state=state("IT"), amount=200, actor=coordinator, reason=REASON)
    with pytest.raises(Conflict) as refused:
        grant(be_request, coordinator, granted_percent="50")  # would leave 150 binding, 200 activated
    assert refused.value.code == "deduction_below_activated"
    assert refused.value.extra == {"pledge": relocation.pk, "activated": "200.00", "deducted": "150"}
    be_request.refresh_from_db()
    assert (be_request.status, be_request.council_act_reference) == ("requested", "")
    assert [p.deducted for p in reloaded(pledges).values()] == [Decimal(0)] * 3


def test_a_grant_needs_the_council_acts_reference_and_date(cycle, pledges, be_request, coordinator):
    with pytest.raises(TransitionNotAllowed) as no_act:
        grant(be_request, coordinator, granted_percent="40", council_act_reference="")
    with pytest.raises(TransitionNotAllowed) as no_date:
        grant(be_request, coordinator, granted_percent="40", council_act_date=None)
    with pytest.raises(ValidationFailed) as bad_date:
        grant(be_request, coordinator, granted_percent="40", council_act_date="4 May 2026")
    with pytest.raises(ValidationFailed) as bad_percent:
        grant(be_request, coordinator, percent_by_kind={"relocation": "150"})
    with pytest.raises(ValidationFailed) as nothing:
        grant(be_request, coordinator, percent_by_kind={"relocation": "0", "financial": "0", "alternative": "0"})
    assert [(e.value.code, e.value.field) for e in (no_act, no_date, bad_date, bad_percent, nothing)] == [
        ("council_act_required", "council_act_reference"),
        ("council_act_date_required", "council_act_date"),
        ("invalid", "council_act_date"),
        ("out_of_range", "relocations_percent"),
        ("out_of_range", "granted_percent"),
    ]
    assert [p.deducted for p in reloaded(pledges).values()] == [Decimal(0)] * 3


def test_only_the_coordinator_grants_and_nothing_is_deducted_otherwise(cycle, pledges, be_request, be_official):
    with pytest.raises(NotPermitted):
        grant(be_request, be_official, granted_percent="40")
    assert [p.deducted for p in reloaded(pledges).values()] == [Decimal(0)] * 3


def test_each_deducted_pledge_has_a_history_row_that_anyone_reads(cycle, pledges, be_request, coordinator, nl_official):
    grant(be_request, coordinator, granted_percent="40")
    relocation = Pledge.objects.get(pk=pledges["relocation"].pk)
    (row,) = relocation.history.filter(history_transition=DEDUCT_TRANSITION)
    assert (row.deducted, row.history_user, row.history_change_reason) == (Decimal(120), coordinator, REASON)
    assert relocation.version == pledges["relocation"].version + 1
    # Decided by a Council act, the deduction is public with the pledge (Art. 57), not implementation detail.
    assert row.pk in set(relocation.history_visible_to(nl_official).values_list("pk", flat=True))


# --- Over HTTP ---------------------------------------------------------------------------------------------------


def test_the_api_grants_by_type_and_shows_the_binding_pledges(cycle, pledges, be_request, coordinator, be_official):
    url = f"/api/v1/deduction-requests/{be_request.pk}/transition/"
    body = {"transition": "grant_partial", "reason": REASON, "relocations_percent": "50", "financial_percent": "25"}
    bad = api_as(coordinator).post(url, {**body, **ACT, "council_act_date": "2026-02-30"}, format="json")
    assert (bad.status_code, error(bad)["attr"]) == (400, "council_act_date")
    forbidden = api_as(be_official).post(url, {**body, **ACT}, format="json")
    assert (forbidden.status_code, error(forbidden)["code"]) == (403, "permission_denied")
    granted = api_as(coordinator).post(url, {**body, **ACT}, format="json")
    assert granted.status_code == 200, granted.json()
    # Alternative measures: no percent of their own, none given overall: nothing deducted from them.
    assert [granted.json()[f"{k}_percent"] for k in ("relocations", "financial", "alternative")] == [
        "50.0000",
        "25.0000",
        "0.0000",
    ]
    assert granted.json()["council_act_date"] == "2026-05-04"
    relocation = api_as(be_official).get(f"/api/v1/pledges/{pledges['relocation'].pk}/").json()
    assert (relocation["quantity"], relocation["deducted"], relocation["binding_measure"]) == (300, "150.00", "150.00")
    row = next(
        r for r in api_as(coordinator).get("/api/v1/cycles/2026/fair-shares/").json() if r["member_state"] == "BE"
    )
    assert (row["relocations"], row["obligation_relocations"], row["pledged_relocations"]) == (649, 649, 150)
    assert row["coverage"] == "38.52"


def test_the_api_refuses_a_grant_beyond_the_unactivated_part_with_409(cycle, pledges, be_request, coordinator):
    activation_propose(
        pledge=pledges["relocation"], benefitting_state=state("IT"), amount=200, actor=coordinator, reason=REASON
    )
    url = f"/api/v1/deduction-requests/{be_request.pk}/transition/"
    refused = api_as(coordinator).post(
        url, {"transition": "grant_partial", "granted_percent": "50", "reason": REASON, **ACT}, format="json"
    )
    assert (refused.status_code, error(refused)["code"]) == (409, "deduction_below_activated")


def test_the_deduction_list_runs_a_constant_number_of_queries(cycle, coordinator, django_assert_max_num_queries):
    client = api_as(coordinator)
    client.get("/api/v1/deduction-requests/")  # warm the user's cached roles
    for count, codes in ((1, ("AT",)), (4, ("CZ", "HR", "PL"))):
        for code in codes:
            DeductionRequest.objects.create(
                cycle=cycle, member_state=state(code), article="62", scope="full", requested_percent=100, grounds="x"
            )
        # the page and the count of rows, whatever their number
        with django_assert_max_num_queries(2):
            assert len(client.get("/api/v1/deduction-requests/").json()["results"]) == count


# --- Indicative adjustments: figures of the act that differ from the key, not deductions --------------------------


def test_an_indicative_zero_is_shown_beside_the_fair_share_with_its_source(
    client, cycle, coordinator, django_assert_max_num_queries
):
    IndicativeAdjustment.objects.create(
        cycle=cycle,
        member_state=state("AT"),
        figure="relocations",
        source="council_act",
        value=0,
        source_text="Reported as zero in the annex of the act",
        note="Spain's statement disputes that the Council decided deductions",
    )
    response = api_as(coordinator).get("/api/v1/cycles/2026/fair-shares/")
    at = next(r for r in response.json() if r["member_state"] == "AT")
    assert at["indicative_adjustments"] == [
        {
            "figure": "relocations",
            "source": "council_act",
            "value": "0.00",
            "source_text": "Reported as zero in the annex of the act",
            "legal_basis_verified": False,
            "status": "legal basis not verified",
            "note": "Spain's statement disputes that the Council decided deductions",
        }
    ]
    # The fair share is the key's, not the annex's zero.
    assert at["relocations"] == at["obligation_relocations"] > 0
    assert at["deduction_percent"] == "0.0000"
    as_user(client, coordinator)
    client.get("/cycles/2026/fair-shares/")
    with django_assert_max_num_queries(12):
        html = page(client.get("/cycles/2026/fair-shares/"))
    assert "in the Council implementing act, annex (Art. 57); legal basis not verified." in html
    assert "Reported as zero in the annex of the act" in html
