"""The compliance pages that read across records: the overview, a state's page and the early-warning list."""

import datetime
import re
from decimal import Decimal

import pytest

from compliance.models import DublinPerformance, Finding, SecondaryMovementIndicator
from compliance.services import finding_transition
from pledges.implementation import services as pledge_services
from tests.compliance.page_helpers import (
    REASON,
    activations_towards,
    benchmark,
    confirmed_finding,
    days,
    dublin,
    five_statuses,
    page,
    plan_for,
    table_row,
    text,
)
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db


READ_URLS = ["/compliance/", "/compliance/states/IT/", "/compliance/early-warning/"]


@pytest.mark.parametrize("url", [*READ_URLS, "/compliance/findings/new/", "/compliance/dublin-performance/new/"])
def test_compliance_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_nav_links_to_the_compliance_overview_and_marks_it_current(client, be_official):
    client.force_login(be_official)
    assert '<a href="/compliance/" aria-current="page">Compliance</a>' in page(client.get("/compliance/"))
    assert '<a href="/compliance/">Compliance</a>' in page(client.get("/"))


def test_overview_shows_latest_rates_benchmark_counts_and_open_findings(
    client, be_negotiator, cycle, compliance_officer
):
    dublin("IT", datetime.date(2026, 1, 1), received=100, accepted=40, transfers=10)
    dublin("IT", datetime.date(2026, 2, 1), received=200, accepted=150, transfers=30)  # the latest
    five_statuses(plan_for("IT", cycle))
    plan_2027 = plan_for("IT", CycleFactory(year=2027, status="pledging"))
    benchmark(plan_2027, "Another cycle: at risk", measured=[(-10, "21")])
    confirmed_finding("IT", cycle, compliance_officer)
    under = Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Reception", description="-")
    finding_transition(finding=under, transition="assess", actor=compliance_officer, reason=REASON)
    Finding.objects.create(member_state=state("ES"), cycle=cycle, scope="Draft only", description="-")

    client.force_login(be_negotiator)
    response = client.get("/compliance/?cycle=2026")
    assert response.status_code == 200
    # Period, acceptance 150/200, transfers 30/150, then met / on track / at risk / missed / no data, then
    # findings under assessment / confirmed.
    assert table_row(response, "/compliance/states/IT/") == [
        "Italy (IT)",
        "Feb 2026",
        "75.00",
        "20.00",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
        "1",
    ]
    assert table_row(response, "/compliance/states/ES/")[1:] == ["Not recorded", *["0"] * 7]
    # All cycles: the 2027 plan's at-risk benchmark counts too.
    every_cycle = client.get("/compliance/?cycle=all")
    assert table_row(every_cycle, "/compliance/states/IT/")[6] == "2"
    assert "Record Dublin performance" not in page(response)  # a negotiator only reads


def test_overview_defaults_to_the_current_cycle(client, be_official, cycle, compliance_officer):
    five_statuses(plan_for("IT", cycle))
    benchmark(plan_for("IT", CycleFactory(year=2028, status="preparation")), "Later cycle")
    client.force_login(be_official)
    response = client.get("/compliance/")
    assert "action plans and findings of the 2026 cycle" in text(page(response))
    # No Dublin figures: one "Not recorded" cell, then met / on track / at risk / missed / no data.
    assert table_row(response, "/compliance/states/IT/")[1:7] == ["Not recorded", "1", "1", "1", "1", "1"]


def test_state_page_draws_dublin_performance_with_text_alternatives_and_a_table(client, be_official):
    for month, (received, accepted, transfers) in enumerate([(100, 40, 10), (100, 60, 30), (100, 80, 60)], 1):
        dublin("IT", datetime.date(2026, month, 1), received=received, accepted=accepted, transfers=transfers)
    SecondaryMovementIndicator.objects.create(
        member_state=state("IT"),
        period_kind="month",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        secondary_movement_share_percent=Decimal("61.50"),
        source="Schengen Barometer+ (illustrative)",
    )
    client.force_login(be_official)
    response = client.get("/compliance/states/it/")
    assert response.status_code == 200
    body = page(response)
    assert body.count('role="img"') == 3  # rates, delays, secondary movements
    assert '<title id="dublin-rates-title">Acceptance and transfer rates (%)</title>' in body
    desc = re.search(r'<desc id="dublin-rates-desc">(.*?)</desc>', body).group(1)
    assert "3 periods from Jan 2026 to Mar 2026" in desc
    assert "Acceptance rate: from 40.00 % in Jan 2026 to 80.00 % in Mar 2026" in desc
    assert "Transfer rate: from 25.00 % in Jan 2026 to 75.00 % in Mar 2026" in desc
    # Three points per rate series, each with its value in words for pointer users.
    assert len(re.findall(r"<title>Acceptance rate, [A-Z][a-z]{2} 2026: \d+\.\d\d %</title>", body)) == 3
    march = DublinPerformance.objects.get(period_start=datetime.date(2026, 3, 1))
    row = table_row(response, f"/compliance/dublin-performance/{march.pk}/")
    assert row[:6] == ["Mar 2026", "100", "80", "80.00", "60", "75.00"]
    assert "61.50" in text(body) and "Schengen Barometer+ (illustrative)" in body


def test_state_page_keeps_months_and_quarters_apart(client, be_official):
    dublin("IT", datetime.date(2026, 1, 1))
    DublinPerformance.objects.create(
        member_state=state("IT"),
        period_kind="quarter",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        take_charge_received=300,
        take_charge_accepted=30,
        source="Quarterly report",
    )
    client.force_login(be_official)
    monthly = page(client.get("/compliance/states/IT/"))
    assert "Jan 2026" in monthly and "Q1 2026" not in monthly
    quarterly = page(client.get("/compliance/states/IT/?period_kind=quarter"))
    assert "Q1 2026" in quarterly and "10.00" in quarterly


def test_state_page_lists_plans_with_benchmark_status(client, be_official, cycle):
    plan = plan_for("IT", cycle)
    made = five_statuses(plan)
    client.force_login(be_official)
    response = client.get("/compliance/states/IT/")
    for status, label in [
        ("met", "Met"),
        ("on_track", "On track"),
        ("at_risk", "At risk"),
        ("missed", "Missed"),
        ("no_data", "No data"),
    ]:
        row = table_row(response, f"/compliance/benchmarks/{made[status].pk}/")
        assert row[-1].endswith(label), (status, row)
    at_risk = table_row(response, f"/compliance/benchmarks/{made['at_risk'].pk}/")
    assert at_risk[4] == f"30.00 % {days(-10):%-d %b %Y}" and at_risk[5] == "44.00 %"


def test_state_page_shows_the_findings_effect_on_activations(
    client, cycle, compliance_officer, coordinator, be_official, nl_official
):
    declined, accepted, _proposed = activations_towards("IT", cycle, coordinator, amounts=(20, 10, 5))
    finding = confirmed_finding("IT", cycle, compliance_officer)
    pledge_services.activation_transition(
        activation=declined,
        transition="decline",
        decline_ground="systemic_shortcomings",
        explanation="Transfers to IT are suspended",
        actor=be_official,
        reason=REASON,
    )
    pledge_services.activation_transition(activation=accepted, transition="accept", actor=be_official, reason=REASON)
    assert list(finding.declined_activations.all()) == [declined]

    client.force_login(coordinator)
    body = text(page(client.get("/compliance/states/IT/")))
    assert "1 activation declined on Art. 60(3) grounds resting on this finding" in body
    assert "2 activations of the 2026 cycle towards this state are open; 1 still proposed may be declined" in body
    assert "Belgium (BE) 20 persons Declined Transfers to IT are suspended" in body
    assert "Belgium (BE) 5 persons Proposed Yes, on Art. 60(3) grounds" in body
    assert "Belgium (BE) 10 persons Accepted No: already accepted" in body

    # Another delegation learns the counts, not which state pledged what.
    client.force_login(nl_official)
    other = text(page(client.get("/compliance/states/IT/")))
    assert "1 activation declined on Art. 60(3) grounds" in other
    assert "Belgium (BE)" not in other


def test_unknown_state_is_a_404(client, be_official):
    client.force_login(be_official)
    assert client.get("/compliance/states/XX/").status_code == 404


def test_early_warning_lists_at_risk_and_missed_benchmarks_by_due_date(client, be_official, cycle):
    made = five_statuses(plan_for("IT", cycle))
    lower = benchmark(
        plan_for("EL", cycle),
        "Reply delay: 70 days against 68.4",
        baseline=90,
        target=30,
        due=150,
        direction="lower",
        measured=[(-10, "70")],
    )
    client.force_login(be_official)
    response = client.get("/compliance/early-warning/")
    assert response.status_code == 200
    listed = re.findall(r'href="/compliance/benchmarks/(\d+)/"', page(response))
    assert listed == [str(made["missed"].pk), str(made["at_risk"].pk), str(lower.pk)]
    assert "1 day ago" in text(page(response)) and "in 50 days" in text(page(response))

    only_missed = client.get("/compliance/early-warning/?status=missed")
    assert re.findall(r'href="/compliance/benchmarks/(\d+)/"', page(only_missed)) == [str(made["missed"].pk)]
    greece = client.get("/compliance/early-warning/?member_state=EL")
    assert re.findall(r'href="/compliance/benchmarks/(\d+)/"', page(greece)) == [str(lower.pk)]


def test_early_warning_says_when_nothing_is_at_risk(client, be_official, cycle):
    benchmark(plan_for("IT", cycle), "On track", measured=[(-10, "45")])
    client.force_login(be_official)
    assert "No benchmark at risk or missed" in page(client.get("/compliance/early-warning/"))
