"""Every compliance page: a constant number of queries whatever the data, a CSP, and no inline script or style."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, SecondaryMovementIndicator
from compliance.services import compliance_record_update
from pledges.implementation import services as pledge_services
from tests.compliance.page_helpers import (
    INLINE_SCRIPT,
    REASON,
    activations_towards,
    confirmed_finding,
    days,
    dublin,
    five_statuses,
    page,
    plan_for,
)
from tests.factories import UserFactory, state

pytestmark = pytest.mark.django_db


def populate(cycle, officer, coordinator, codes) -> None:
    """Records for each state in ``codes``: Dublin months, secondary movements, a plan with benchmarks and
    measurements, a confirmed finding with declined and open activations."""
    for code in codes:
        for month in (1, 2, 3):
            dublin(code, datetime.date(2026, month, 1))
            SecondaryMovementIndicator.objects.create(
                member_state=state(code),
                period_kind="month",
                period_start=datetime.date(2026, month, 1),
                period_end=datetime.date(2026, month, 28),
                secondary_movement_share_percent=Decimal("55"),
                source="Barometer",
            )
        five_statuses(plan_for(code, cycle))
        contributor = "BE" if code != "BE" else "NL"
        first, _second = activations_towards(code, cycle, coordinator, contributor=contributor, amounts=(5, 6))
        finding = confirmed_finding(code, cycle, officer)
        contributor_official = UserFactory(member_state=state(contributor), roles=["official"])
        pledge_services.activation_transition(
            activation=first,
            transition="decline",
            decline_ground="systemic_shortcomings",
            actor=contributor_official,
            reason=REASON,
        )
        compliance_record_update(
            instance=finding, changes={"scope": "Wider"}, expected_version=finding.version, actor=officer, reason="R"
        )


def page_urls() -> list[str]:
    dublin_record = DublinPerformance.objects.filter(member_state="IT").first()
    secondary = SecondaryMovementIndicator.objects.filter(member_state="IT").first()
    plan = ActionPlan.objects.get(member_state="IT")
    made = Benchmark.objects.filter(action_plan=plan).first()
    finding = Finding.objects.get(member_state="IT")
    return [
        "/compliance/",
        "/compliance/?cycle=all",
        "/compliance/states/IT/",
        "/compliance/early-warning/",
        f"/compliance/dublin-performance/{dublin_record.pk}/",
        f"/compliance/dublin-performance/{dublin_record.pk}/edit/",
        f"/compliance/secondary-movements/{secondary.pk}/",
        f"/compliance/secondary-movements/{secondary.pk}/edit/",
        f"/compliance/action-plans/{plan.pk}/",
        f"/compliance/benchmarks/{made.pk}/",
        f"/compliance/benchmarks/{made.pk}/edit/",
        f"/compliance/benchmarks/{made.pk}/measurements/new/",
        f"/compliance/action-plans/{plan.pk}/benchmarks/new/",
        f"/compliance/findings/{finding.pk}/",
        f"/compliance/findings/{finding.pk}/edit/",
        "/compliance/findings/new/",
        "/compliance/action-plans/new/",
        "/compliance/dublin-performance/new/",
        "/compliance/secondary-movements/new/",
    ]


def query_counts(client, urls) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            list(response.context.get("finding_banner") or [])
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


@pytest.mark.parametrize("viewer", ["compliance_officer", "coordinator", "be_official"])
def test_every_page_runs_a_constant_number_of_queries(
    request, client, cycle, compliance_officer, coordinator, viewer, django_assert_max_num_queries
):
    user = request.getfixturevalue(viewer)
    populate(cycle, compliance_officer, coordinator, ["IT"])
    urls = page_urls()
    if viewer != "compliance_officer":
        urls = [url for url in urls if "/new/" not in url and "/edit/" not in url]
    client.force_login(user)
    small = query_counts(client, urls)
    populate(cycle, compliance_officer, coordinator, ["EL", "ES", "MT", "CY"])
    for extra in range(3):  # more measurements and activations on the same IT records
        for made in Benchmark.objects.filter(action_plan__member_state="IT"):
            made.measurements.create(date=days(-20 - extra), value=Decimal(30), source="more")
        activations_towards("IT", cycle, coordinator, contributor="FR", amounts=(1, 2))
    large = query_counts(client, urls)
    assert large == small
    for url in urls:
        with django_assert_max_num_queries(20):
            client.get(url)


@pytest.mark.parametrize("viewer", ["compliance_officer", "be_official"])
def test_pages_send_a_csp_and_carry_no_inline_script_or_style(
    request, client, cycle, compliance_officer, coordinator, viewer
):
    populate(cycle, compliance_officer, coordinator, ["IT", "BE"])
    client.force_login(request.getfixturevalue(viewer))
    for url in page_urls():
        response = client.get(url)
        if viewer != "compliance_officer" and ("/new/" in url or "/edit/" in url):
            assert response.status_code == 403
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        body = page(response)
        assert not INLINE_SCRIPT.search(body), url
        assert "style=" not in body.lower() and "<style" not in body.lower(), url
