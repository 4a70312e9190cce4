"""Every page of the pool in implementation: constant queries, no inline script or style, navigation, login."""

from decimal import Decimal

import pytest
from django.utils import timezone

from pledges.implementation.models import Activation
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_request,
)
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.domain.models import Designation
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import (
    BASE,
    INLINE_SCRIPT,
    REASON,
    as_user,
    page,
)

pytestmark = pytest.mark.django_db


# Every page: constant queries, no inline script or style -----------------------------------------------------------


def _grow(cycle, coordinator, be_official, times: int) -> None:
    """More pledges, activations, fulfilments, deductions and offsets: each list gains ``times`` rows."""
    codes = ["FR", "DE", "ES", "AT", "PL", "PT", "SE", "FI", "IE", "LU"]
    for index in range(times):
        contributor = codes[index % len(codes)]
        pledge = PledgeFactory(
            cycle=cycle,
            member_state=state(contributor),
            kind="alternative",
            amount_eur=Decimal("100000.00"),
            description=f"Equipment {index}",
            status="recorded",
        )
        activation = activation_propose(
            pledge=pledge, benefitting_state=state("IT"), amount="50000", actor=coordinator, reason=REASON
        )
        official = UserFactory(member_state=state(contributor), roles=["official"])
        activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
        fulfilment_record(
            activation=activation,
            date=timezone.localdate(),
            amount="10000",
            evidence_reference=f"Payment {index}",
            actor=official,
            reason=REASON,
        )
        Designation.objects.get_or_create(cycle=cycle, member_state=state(contributor), kind="significant_situation")
        deduction = deduction_request(
            cycle=cycle,
            article="62",
            scope="partial",
            requested_percent="10",
            grounds="Situation",
            actor=official,
            reason=REASON,
        )
        deduction_decide(deduction=deduction, transition="refuse", actor=coordinator, reason=REASON)
        offset_request(
            cycle=cycle,
            benefitting_state=state("IT"),
            contributing_state=state(contributor),
            applications_requested=5 + index,
            actor=coordinator,
            reason=REASON,
        )


LIST_PAGES = [
    "/pool/?cycle=2026",
    "/pool/?cycle=2026&table=states&format=csv",
    "/activations/",
    "/activations/?status=accepted&benefitting_state=IT&cycle=2026",
    "/activations/?format=csv",
    "/activations/propose/",
    "/deductions/",
    "/deductions/?format=xlsx",
    "/offsets/",
    "/offsets/?overdue=on&format=csv",
]


@pytest.mark.parametrize("viewer", ["coordinator", "it_official"])
def test_the_dashboard_and_every_list_run_a_constant_number_of_queries(
    request, client, viewer, coordinator, be_official, pool_data, django_assert_max_num_queries
):
    user = request.getfixturevalue(viewer)
    as_user(client, user)
    pages = [url for url in LIST_PAGES if viewer == "coordinator" or "/propose/" not in url]
    # Relocation pledges at half the proposal: offsets are open (Art. 63(1)).
    PledgeFactory(cycle=pool_data, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    _grow(pool_data, coordinator, be_official, 2)
    small = {}
    for url in pages:
        with django_assert_max_num_queries(16) as captured:
            assert client.get(BASE + url).status_code == 200, url
        small[url] = len(captured)
    _grow(pool_data, coordinator, be_official, 8)
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            response = client.get(BASE + url)
        assert response.status_code == 200, url
    # The bigger data really is on the pages.
    assert page(client.get(f"{BASE}/activations/")).count("/pledges/implementation/activations/") >= 11


def test_detail_pages_run_a_constant_number_of_queries(
    client, coordinator, be_official, pool_data, django_assert_max_num_queries
):
    activation = Activation.objects.get()
    as_user(client, be_official)
    urls = [f"{BASE}/activations/{activation.pk}/", f"{BASE}/activations/{activation.pk}/?tab=history"]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(16) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for index in range(5):
        fulfilment_record(
            activation=activation,
            date=timezone.localdate(),
            amount=1,
            evidence_reference=f"Transfer {index}",
            actor=be_official,
            reason=REASON,
        )
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_every_page_carries_no_inline_script_or_style(client, coordinator, be_official, pool_data, today):
    Designation.objects.create(cycle=pool_data, member_state=state("BE"), kind="under_pressure", ground="arrivals")
    deduction = deduction_request(
        cycle=pool_data, article="61", scope="full", grounds="Arrivals", actor=be_official, reason=REASON
    )
    PledgeFactory(cycle=pool_data, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    offset = offset_request(
        cycle=pool_data,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=3,
        actor=coordinator,
        reason=REASON,
    )
    activation = Activation.objects.get()
    pledge = activation.pledge
    urls = [
        "/pool/",
        "/activations/",
        "/activations/propose/",
        f"/activations/propose/{pledge.pk}/",
        f"/activations/{activation.pk}/",
        f"/activations/{activation.pk}/?tab=history",
        "/deductions/",
        f"/deductions/{deduction.pk}/",
        f"/deductions/{deduction.pk}/?tab=history",
        "/offsets/",
        "/offsets/request/",
        f"/offsets/{offset.pk}/",
        f"/offsets/{offset.pk}/?tab=history",
    ]
    as_user(client, coordinator)
    for url in urls:
        response = client.get(BASE + url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response.headers
        html = page(response)
        assert not INLINE_SCRIPT.search(html), url
        assert "style=" not in html.lower() and "<style" not in html.lower(), url
        assert '<main id="main"' in html and "<h1>" in html, url
    as_user(client, be_official)
    for url in ("/deductions/request/", f"/activations/{activation.pk}/"):
        html = page(client.get(BASE + url))
        assert not INLINE_SCRIPT.search(html) and "style=" not in html.lower(), url


def test_the_navigation_links_to_the_pool_and_the_activations(client, be_official, cycle):
    html = page(as_user(client, be_official).get(f"{BASE}/pool/"))
    assert f'href="{BASE}/pool/" aria-current="page">Pool<' in html
    assert f'href="{BASE}/activations/">Activations<' in html


def test_pages_need_a_login(client, cycle):
    for url in ("/pool/", "/activations/", "/deductions/", "/offsets/"):
        response = client.get(BASE + url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
