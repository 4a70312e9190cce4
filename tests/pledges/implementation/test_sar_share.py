"""The SAR indicative share of the pool (AMMR Art. 57(2)) against the distribution of the activations: the
selector, by hand-computed cases, and the pool and activation pages that show it."""

from decimal import Decimal

import pytest
from django.utils import timezone

from pledges.implementation import pool
from pledges.implementation.services import activation_propose, activation_transition, fulfilment_record
from solidarity.domain.models import Designation
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import BASE, REASON, as_user, page, set_cycle

pytestmark = pytest.mark.django_db

POOL_URL = f"{BASE}/pool/?cycle=2026"


@pytest.fixture
def sar_cycle(cycle):
    """A pool of 1 000 relocation equivalents with a 42 % SAR share: BE pledges 600 relocations, FR EUR 8 million
    (400 relocations at EUR 20 000). IT is under pressure after SAR disembarkations, ES after arrivals."""
    set_cycle(cycle, sar_share_percent=Decimal("42.00"))
    Designation.objects.create(cycle=cycle, member_state=state("IT"), kind="under_pressure", ground="sar")
    Designation.objects.create(cycle=cycle, member_state=state("ES"), kind="under_pressure", ground="arrivals")
    PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=600, status="recorded")
    PledgeFactory(
        cycle=cycle, member_state=state("FR"), kind="financial", amount_eur=Decimal("8000000.00"), status="recorded"
    )
    return cycle


def _pledge(cycle, code):
    return cycle.pledges.get(member_state_id=code)


def activate(cycle, coordinator, code, towards, amount):
    return activation_propose(
        pledge=_pledge(cycle, code), benefitting_state=state(towards), amount=amount, actor=coordinator, reason=REASON
    )


def official(code):
    return UserFactory(member_state=state(code), roles=["official"])


def test_the_indicated_part_is_the_pool_times_the_share(sar_cycle, coordinator):
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert share.applies and share.empty == ""
    assert [s.code for s in share.states] == ["IT"]
    assert (share.pool_equivalent, share.share_percent, share.indicated_equivalent) == (
        Decimal("1000.00"),
        Decimal("42.00"),
        Decimal("420.00"),
    )
    # Nothing activated yet: no distribution, so no departure.
    assert (share.activated_equivalent, share.sar_activated_equivalent) == (Decimal("0.00"), Decimal("0.00"))
    assert (share.percent_of_activated, share.departure, share.departs) == (None, pool.SAR_NOTHING_ACTIVATED, False)
    assert share.left_to_indicated == Decimal("420.00")


def test_a_distribution_above_the_share_is_a_departure(sar_cycle, coordinator):
    activate(sar_cycle, coordinator, "BE", "IT", 300)  # 300 towards the SAR state
    activate(sar_cycle, coordinator, "FR", "ES", "4000000")  # 200 relocation equivalents elsewhere
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.activated_equivalent, share.sar_activated_equivalent) == (Decimal("500.00"), Decimal("300.00"))
    # 300 / 500 = 60 % of the distribution against the indicative 42 %; 300 / 1 000 = 30 % of the pool.
    assert (share.percent_of_activated, share.percent_of_pool) == (Decimal("60.00"), Decimal("30.00"))
    assert (share.departure, share.departs) == (pool.SAR_ABOVE, True)
    assert share.left_to_indicated == Decimal("120.00")


def test_a_distribution_below_the_share_is_a_departure(sar_cycle, coordinator):
    activate(sar_cycle, coordinator, "BE", "IT", 100)
    activate(sar_cycle, coordinator, "BE", "ES", 200)
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.percent_of_activated, share.departure, share.departs) == (Decimal("33.33"), pool.SAR_BELOW, True)


def test_a_distribution_at_the_share_is_in_line(sar_cycle, coordinator):
    activate(sar_cycle, coordinator, "BE", "IT", 42)
    activate(sar_cycle, coordinator, "FR", "ES", "1160000")  # 58 relocation equivalents
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.activated_equivalent, share.sar_activated_equivalent) == (Decimal("100.00"), Decimal("42.00"))
    assert (share.percent_of_activated, share.departure, share.departs) == (Decimal("42.00"), pool.SAR_IN_LINE, False)


def test_open_and_fulfilled_activations_count_declined_ones_do_not(sar_cycle, coordinator):
    be = official("BE")
    fulfilled = activate(sar_cycle, coordinator, "BE", "IT", 40)
    activation_transition(activation=fulfilled, transition="accept", actor=be, reason=REASON)
    fulfilment_record(
        activation=fulfilled, date=timezone.localdate(), amount=40, evidence_reference="List 1", actor=be, reason=REASON
    )
    activate(sar_cycle, coordinator, "BE", "IT", 2)  # proposed: open
    declined = activate(sar_cycle, coordinator, "BE", "IT", 500)
    activation_transition(
        activation=declined, transition="decline", actor=be, reason=REASON, decline_ground="other", explanation="No"
    )
    activate(sar_cycle, coordinator, "FR", "ES", "1160000")
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.sar_activated_equivalent, share.activated_equivalent) == (Decimal("42.00"), Decimal("100.00"))
    assert share.departure == pool.SAR_IN_LINE


def test_no_share_recorded_is_an_empty_state(sar_cycle, coordinator, client):
    set_cycle(sar_cycle, sar_share_percent=None)
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.applies, share.empty, share.indicated_equivalent, share.departs) == (
        False,
        pool.SAR_NO_SHARE,
        None,
        False,
    )
    html = page(as_user(client, coordinator).get(POOL_URL))
    assert 'id="sar-share"' in html and "No indicative share of the pool" in html


def test_no_sar_designated_state_is_an_empty_state(sar_cycle, coordinator, client):
    Designation.objects.filter(cycle=sar_cycle, ground="sar").update(ground="arrivals")
    share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert (share.applies, share.empty, share.states) == (False, pool.SAR_NO_STATE, [])
    html = page(as_user(client, coordinator).get(POOL_URL))
    assert "no state is designated under migratory pressure on the ground of arrivals after" in html


def _summary(html: str) -> str:
    start = html.index('id="sar-share"')
    return html[start : html.index("</section>", start)]


def test_the_pool_page_shows_the_figures_and_warns_of_a_departure(sar_cycle, coordinator, client):
    activate(sar_cycle, coordinator, "BE", "IT", 300)
    activate(sar_cycle, coordinator, "FR", "ES", "4000000")
    response = as_user(client, coordinator).get(POOL_URL)
    assert response.status_code == 200
    summary = _summary(page(response))
    figures = ("42.00 %", ">1,000.00<", ">420.00<", ">300.00 (30.00 % of the pool)<", "60.00 %", ">120.00<")
    for figure in (*figures, "Italy (IT)"):
        assert figure in summary, figure
    assert 'role="alert"' in summary and "above the indicative 42.00 %" in summary
    assert "is not verified" in summary


def test_the_pool_page_gives_no_warning_when_the_distribution_follows_the_share(sar_cycle, coordinator, client):
    activate(sar_cycle, coordinator, "BE", "IT", 42)
    activate(sar_cycle, coordinator, "FR", "ES", "1160000")
    summary = _summary(page(as_user(client, coordinator).get(POOL_URL)))
    assert 'role="alert"' not in summary and "follows the indicative share" in summary


def test_the_activation_pages_show_the_summary_to_the_coordinator(sar_cycle, coordinator, client):
    activate(sar_cycle, coordinator, "BE", "IT", 300)
    activate(sar_cycle, coordinator, "FR", "ES", "4000000")
    as_user(client, coordinator)
    for url in (
        f"{BASE}/activations/",
        f"{BASE}/activations/?cycle=2026",
        f"{BASE}/activations/propose/{_pledge(sar_cycle, 'BE').pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        summary = _summary(page(response))
        assert ">420.00<" in summary and "60.00 %" in summary and 'role="alert"' in summary, url
    # A year without a cycle: no summary, no error.
    assert 'id="sar-share"' not in page(client.get(f"{BASE}/activations/?cycle=2099"))


def test_the_pools_sar_totals_are_public_like_its_other_totals(sar_cycle, coordinator, client, it_official):
    """No state's own implementation figure: the totals over all states, which every reader of the pool sees
    once the Council act made the pledges public (AMMR Arts 57, 60)."""
    activate(sar_cycle, coordinator, "BE", "IT", 300)
    activate(sar_cycle, coordinator, "FR", "ES", "4000000")
    nl = official("NL")
    for reader in (coordinator, it_official, nl):
        assert pool.sar_share(sar_cycle, viewer=reader).sar_activated_equivalent == Decimal("300.00")
        assert ">420.00<" in _summary(page(as_user(client, reader).get(POOL_URL)))


def test_before_the_council_act_a_delegation_counts_only_its_own_pledges(sar_cycle, coordinator):
    set_cycle(sar_cycle, status="pledging")
    sar_cycle.pledges.update(status="submitted")
    be = official("BE")
    share = pool.sar_share(sar_cycle, viewer=be)
    assert (share.partial, share.pool_equivalent, share.indicated_equivalent) == (
        True,
        Decimal("600.00"),
        Decimal("252.00"),
    )
    assert pool.sar_share(sar_cycle, viewer=coordinator).pool_equivalent == Decimal("1000.00")


def test_the_selector_runs_a_constant_number_of_queries(sar_cycle, coordinator, django_assert_max_num_queries):
    activate(sar_cycle, coordinator, "BE", "IT", 1)
    with django_assert_max_num_queries(3) as captured:
        pool.sar_share(sar_cycle, viewer=coordinator)
    few = len(captured)
    for code in ("IT", "ES", "EL", "MT"):
        activate(sar_cycle, coordinator, "BE", code, 5)
        activate(sar_cycle, coordinator, "FR", code, "20000")
    Designation.objects.create(cycle=sar_cycle, member_state=state("MT"), kind="under_pressure", ground="sar")
    with django_assert_max_num_queries(few):
        share = pool.sar_share(sar_cycle, viewer=coordinator)
    assert [s.code for s in share.states] == ["IT", "MT"]
    assert share.sar_activated_equivalent == Decimal("13.00")


def test_the_pages_run_a_constant_number_of_queries(sar_cycle, coordinator, client, django_assert_max_num_queries):
    as_user(client, coordinator)
    urls = [POOL_URL, f"{BASE}/activations/", f"{BASE}/activations/propose/{_pledge(sar_cycle, 'BE').pk}/"]
    activate(sar_cycle, coordinator, "BE", "IT", 1)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for code in ("IT", "ES", "EL", "MT"):
        activate(sar_cycle, coordinator, "BE", code, 5)
        activate(sar_cycle, coordinator, "FR", code, "20000")
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
