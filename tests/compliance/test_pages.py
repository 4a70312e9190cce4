"""Compliance pages: overview, state page, early-warning list, the officers' forms, and the Art. 60(3) banner."""

import datetime
import html as html_lib
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import charts
from compliance.models import (
    ActionPlan,
    Benchmark,
    DublinPerformance,
    Finding,
    Measurement,
    SecondaryMovementIndicator,
)
from compliance.services import compliance_record_create, compliance_record_update, finding_transition
from pledges.implementation import services as pledge_services
from pledges.pledging.models import Pledge
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
REASON = "Commission assessment of November"
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def page(response) -> str:
    return response.content.decode()


def text(fragment: str) -> str:
    """What a person reads in an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_row(response, href: str) -> list[str]:
    """The cells (as text) of the table row whose header links to ``href``."""
    match = re.search(rf'<tr>\s*<th scope="row"><a href="{re.escape(href)}">.*?</tr>', page(response), re.DOTALL)
    assert match, f"no row for {href}"
    return [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(0), re.DOTALL)]


def history_rows(model) -> int:
    return model.history.count()


# Data ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026, status="in_application")


def dublin(code: str, start: datetime.date, *, received=100, accepted=50, transfers=20, reply="30.0", **extra):
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return DublinPerformance.objects.create(
        member_state=state(code),
        period_kind="month",
        period_start=start,
        period_end=end,
        take_charge_received=received,
        take_charge_accepted=accepted,
        transfers_carried_out=transfers,
        average_reply_days=Decimal(reply),
        source="National Dublin unit",
        **extra,
    )


def plan_for(code: str, cycle, title="Dublin action plan") -> ActionPlan:
    return ActionPlan.objects.create(member_state=state(code), cycle=cycle, title=title)


def benchmark(plan, indicator, *, baseline=20, target=60, start=-100, due=100, direction="higher", measured=()):
    made = Benchmark.objects.create(
        action_plan=plan,
        indicator=indicator,
        unit="%",
        baseline=Decimal(baseline),
        baseline_date=days(start),
        target=Decimal(target),
        due_date=days(due),
        direction=direction,
    )
    for offset, value in measured:
        Measurement.objects.create(benchmark=made, date=days(offset), value=Decimal(value), source="test")
    return made


def five_statuses(plan) -> dict[str, Benchmark]:
    """One benchmark per status, computed by hand against today.

    The line runs from 20 (100 days ago) to 60 (in 100 days): ten days ago it stood at 20 + 40 * 90/200 = 38.
    The at-risk one is due in 50 days: its line stood at 20 + 40 * 90/150 = 44 ten days ago.
    """
    return {
        "met": benchmark(plan, "Met: 65 ten days ago", measured=[(-30, "30"), (-10, "65")]),
        "on_track": benchmark(plan, "On track: 45 against 38", measured=[(-10, "45")]),
        "at_risk": benchmark(plan, "At risk: 30 against 44", due=50, measured=[(-10, "30")]),
        "missed": benchmark(plan, "Missed: 50, due yesterday", start=-200, due=-1, measured=[(-5, "50")]),
        "no_data": benchmark(plan, "No data yet"),
    }


def confirmed_finding(code: str, cycle, officer, scope="Transfers not carried out") -> Finding:
    finding = Finding.objects.create(member_state=state(code), cycle=cycle, scope=scope, description="Delays")
    finding_transition(finding=finding, transition="assess", actor=officer, reason=REASON)
    return finding_transition(finding=finding, transition="confirm", actor=officer, reason=REASON)


def activations_towards(code: str, cycle, coordinator, *, contributor="BE", amounts=(20,)):
    # One relocation pledge per state and cycle (a database constraint): reuse it for every activation.
    pledge = Pledge.objects.filter(cycle=cycle, member_state=contributor, kind="relocation").first() or PledgeFactory(
        cycle=cycle, member_state=state(contributor), kind="relocation", quantity=500, status="recorded"
    )
    return [
        pledge_services.activation_propose(
            pledge=pledge, benefitting_state=state(code), amount=amount, actor=coordinator, reason=REASON
        )
        for amount in amounts
    ]


# Reading ------------------------------------------------------------------------------------------------

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


# Forms: compliance officers write -----------------------------------------------------------------------

DUBLIN_POST = {
    "member_state": "IT",
    "period_kind": "month",
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "take_charge_sent": "5",
    "take_charge_received": "120",
    "take_charge_accepted": "90",
    "take_charge_refused": "30",
    "take_back_sent": "0",
    "take_back_received": "80",
    "take_back_accepted": "60",
    "take_back_refused": "20",
    "transfers_carried_out": "45",
    "average_reply_days": "31.5",
    "average_transfer_days": "",
    "source": "Italian Dublin unit",
    "reason": "Monthly figures",
}


def test_officer_records_dublin_performance_through_the_form(client, compliance_officer):
    client.force_login(compliance_officer)
    form = client.get("/compliance/dublin-performance/new/?state=IT")
    assert form.status_code == 200
    assert '<option value="IT" selected>' in page(form)
    response = client.post("/compliance/dublin-performance/new/", DUBLIN_POST)
    record = DublinPerformance.objects.get()
    assert response.status_code == 302 and response.url == f"/compliance/dublin-performance/{record.pk}/"
    assert (record.requests_received, record.acceptance_rate, record.transfer_rate) == (200, Decimal("75.00"), 30)
    assert record.history.get().history_change_reason == "Monthly figures"
    detail = client.get(response.url)
    assert "Monthly figures" in page(detail) and 'id="history-heading"' in page(detail)
    again = client.post("/compliance/dublin-performance/new/", DUBLIN_POST)
    assert again.status_code == 400
    assert "This state already has a record for this period: edit that one." in page(again)
    assert DublinPerformance.objects.count() == 1


def test_dublin_form_errors_are_in_words_and_nothing_is_written(client, compliance_officer):
    client.force_login(compliance_officer)
    bad = {**DUBLIN_POST, "period_end": "2026-02-01", "take_back_accepted": "81", "reason": ""}
    response = client.post("/compliance/dublin-performance/new/", bad)
    assert response.status_code == 400
    body = text(page(response))
    assert "Last day of the period: The period must end on or after its first day." in body
    assert "Reason for this change: This field is required." in body
    assert DublinPerformance.objects.count() == 0


def test_officer_edits_dublin_performance_with_its_version(client, compliance_officer):
    record = compliance_record_create(
        model=DublinPerformance,
        actor=compliance_officer,
        reason="Import",
        **{k: v for k, v in DUBLIN_POST.items() if k not in ("reason", "member_state", "average_transfer_days")},
        member_state=state("IT"),
    )
    client.force_login(compliance_officer)
    form = page(client.get(f"/compliance/dublin-performance/{record.pk}/edit/"))
    assert '<input type="hidden" name="version" value="1"' in form
    data = {**DUBLIN_POST, "transfers_carried_out": "75", "version": "1", "reason": "Corrected transfers"}
    response = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version, record.member_state_id) == (75, 2, "IT")
    assert record.history.first().history_change_reason == "Corrected transfers"


def test_stale_edit_is_refused_with_the_stored_values(client, compliance_officer):
    other_officer = UserFactory(username="other_officer", roles=["compliance_officer"])
    record = dublin("IT", datetime.date(2026, 3, 1), received=100, accepted=50, transfers=20)
    client.force_login(compliance_officer)
    assert '<input type="hidden" name="version" value="1"' in page(
        client.get(f"/compliance/dublin-performance/{record.pk}/edit/")
    )
    # Meanwhile another officer corrects the transfers.
    compliance_record_update(
        instance=record,
        changes={"transfers_carried_out": 35},
        expected_version=1,
        actor=other_officer,
        reason="Late transfers",
    )
    mine = {
        **DUBLIN_POST,
        "take_charge_received": "100",
        "take_charge_accepted": "50",
        "take_back_received": "0",
        "take_back_accepted": "0",
        "transfers_carried_out": "25",
        "version": "1",
        "reason": "My correction",
    }
    response = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", mine)
    assert response.status_code == 412
    body = text(page(response))
    assert "Not saved." in body and "changed by other_officer" in body
    assert "What is stored now: " in body and "Transfers carried out 35" in body
    assert 'name="transfers_carried_out" value="25"' in page(response)  # what I typed is kept
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version) == (35, 2)
    # The form now carries the stored version: saving again after comparing is a deliberate overwrite.
    assert '<input type="hidden" name="version" value="2"' in page(response)
    again = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", {**mine, "version": "2"})
    assert again.status_code == 302
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version) == (25, 3)


SECONDARY_POST = {
    "member_state": "BE",
    "period_kind": "quarter",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "applications_lodged": "9000",
    "secondary_movement_share_percent": "62.00",
    "reception_occupancy_percent": "104.50",
    "source": "Schengen Barometer+",
    "reason": "Quarterly figures",
}


def test_officer_records_and_edits_secondary_movements(client, compliance_officer):
    client.force_login(compliance_officer)
    response = client.post("/compliance/secondary-movements/new/", SECONDARY_POST)
    record = SecondaryMovementIndicator.objects.get()
    assert response.status_code == 302 and response.url == f"/compliance/secondary-movements/{record.pk}/"
    assert record.secondary_movement_share_percent == Decimal("62.00")
    too_high = {**SECONDARY_POST, "secondary_movement_share_percent": "101", "version": "1", "reason": "Fix"}
    refused = client.post(f"/compliance/secondary-movements/{record.pk}/edit/", too_high)
    assert refused.status_code == 400
    assert "less than or equal to 100" in page(refused)
    fixed = {**SECONDARY_POST, "secondary_movement_share_percent": "60.00", "version": "1", "reason": "Fix"}
    assert client.post(f"/compliance/secondary-movements/{record.pk}/edit/", fixed).status_code == 302
    record.refresh_from_db()
    assert (record.secondary_movement_share_percent, record.version) == (Decimal("60.00"), 2)
    assert "Schengen Barometer+" in page(client.get(f"/compliance/secondary-movements/{record.pk}/"))


def test_officer_creates_an_action_plan_and_moves_it_through_its_workflow(client, compliance_officer, cycle):
    client.force_login(compliance_officer)
    response = client.post(
        "/compliance/action-plans/new/",
        {"member_state": "IT", "cycle": cycle.pk, "title": "Transfers plan", "summary": "", "reason": "Agreed at JHA"},
    )
    plan = ActionPlan.objects.get()
    assert response.status_code == 302 and response.url == f"/compliance/action-plans/{plan.pk}/"
    detail = page(client.get(response.url))
    assert 'value="agree"' in detail and 'value="complete"' not in detail  # only the next step is offered
    for transition, status in [("agree", "agreed"), ("start", "in_progress"), ("complete", "completed")]:
        moved = client.post(
            f"/compliance/action-plans/{plan.pk}/transition/", {"transition": transition, "reason": f"Step {status}"}
        )
        assert moved.status_code == 302
        plan.refresh_from_db()
        assert plan.status == status
    assert plan.history.first().history_change_reason == "Step completed"
    assert "No further step: this action plan is completed." in text(
        page(client.get(f"/compliance/action-plans/{plan.pk}/"))
    )


def test_a_transition_needs_a_reason_and_a_possible_step(client, compliance_officer, cycle):
    plan = plan_for("IT", cycle)
    client.force_login(compliance_officer)
    url = f"/compliance/action-plans/{plan.pk}/transition/"
    no_reason = client.post(url, {"transition": "agree", "reason": ""})
    assert no_reason.status_code == 400
    assert "Reason for this change: This field is required." in text(page(no_reason))
    too_early = client.post(url, {"transition": "complete", "reason": "Done"})
    assert too_early.status_code == 409
    assert "Cannot complete a action plan that is draft." in text(page(too_early))
    plan.refresh_from_db()
    assert (plan.status, plan.history.count()) == ("draft", 1)


def test_officer_adds_edits_and_measures_a_benchmark(client, compliance_officer, cycle):
    plan = plan_for("IT", cycle)
    client.force_login(compliance_officer)
    data = {
        "indicator": "Transfer rate",
        "linked_indicator": "",
        "unit": "%",
        "baseline": "20",
        "baseline_date": days(-100).isoformat(),
        "target": "60",
        "due_date": days(100).isoformat(),
        "direction": "higher",
        "reason": "Benchmark of the plan",
    }
    wrong_way = client.post(f"/compliance/action-plans/{plan.pk}/benchmarks/new/", {**data, "target": "10"})
    assert wrong_way.status_code == 400
    assert "When higher is better, the target must be above the baseline." in page(wrong_way)
    created = client.post(f"/compliance/action-plans/{plan.pk}/benchmarks/new/", data)
    made = Benchmark.objects.get()
    assert created.status_code == 302 and made.action_plan == plan
    edited = client.post(
        f"/compliance/benchmarks/{made.pk}/edit/", {**data, "target": "70", "version": "1", "reason": "Raised"}
    )
    assert edited.status_code == 302
    made.refresh_from_db()
    assert (made.target, made.version) == (Decimal("70.00"), 2)
    measured = client.post(
        f"/compliance/benchmarks/{made.pk}/measurements/new/",
        {"date": days(-10).isoformat(), "value": "25", "source": "Eurostat migr_dubto", "reason": "Monthly"},
    )
    assert measured.status_code == 302 and measured.url == f"/compliance/benchmarks/{made.pk}/"
    measurement = Measurement.objects.get()
    assert (measurement.value, measurement.recorded_by) == (Decimal("25.00"), compliance_officer)
    duplicate = client.post(
        f"/compliance/benchmarks/{made.pk}/measurements/new/",
        {"date": days(-10).isoformat(), "value": "26", "source": "Again", "reason": "Monthly"},
    )
    assert duplicate.status_code == 409 and Measurement.objects.count() == 1
    detail = page(client.get(f"/compliance/benchmarks/{made.pk}/"))
    # 25 measured when the line (20 -> 70 over 200 days) stood at 42.5: at risk.
    assert "At risk" in detail and "42.50 %" in detail and 'role="img"' in detail


def test_officer_records_a_finding_and_moves_it_with_reasons(client, compliance_officer, cycle):
    client.force_login(compliance_officer)
    data = {
        "member_state": "IT",
        "cycle": cycle.pk,
        "scope": "Transfers",
        "description": "Transfers are not carried out",
        "evidence_references": "Commission letter",
        "legal_reference": "Regulation (EU) 2024/1351, Art. 60(3)",
        "reason": "Opened",
    }
    response = client.post("/compliance/findings/new/", data)
    finding = Finding.objects.get()
    assert response.status_code == 302 and finding.status == "draft"
    edited = client.post(
        f"/compliance/findings/{finding.pk}/edit/", {**data, "scope": "Transfers and replies", "version": "1"}
    )
    assert edited.status_code == 302
    for transition, status in [("assess", "under_assessment"), ("confirm", "confirmed"), ("lift", "lifted")]:
        moved = client.post(
            f"/compliance/findings/{finding.pk}/transition/", {"transition": transition, "reason": f"To {status}"}
        )
        assert moved.status_code == 302
        finding.refresh_from_db()
        assert finding.status == status
    assert (finding.scope, finding.confirmed_on, finding.lifted_on) == ("Transfers and replies", TODAY, TODAY)
    assert [h.history_change_reason for h in finding.history.all()[:3]] == [
        "To lifted",
        "To confirmed",
        "To under_assessment",
    ]


def test_officer_dismisses_a_draft_finding(client, compliance_officer, cycle):
    finding = Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Reception", description="-")
    client.force_login(compliance_officer)
    response = client.post(f"/compliance/findings/{finding.pk}/transition/", {"transition": "dismiss", "reason": "No"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "dismissed"


@pytest.fixture
def records(cycle):
    """One record of each kind, so every form has something to edit or move."""
    plan = plan_for("IT", cycle)
    return {
        "dublin": dublin("IT", datetime.date(2026, 1, 1)),
        "secondary": SecondaryMovementIndicator.objects.create(
            member_state=state("BE"),
            period_kind="month",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 1, 31),
            source="Barometer",
        ),
        "plan": plan,
        "benchmark": benchmark(plan, "Transfer rate"),
        "finding": Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Transfers", description="-"),
    }


def writes(records, cycle) -> list[tuple[str, dict]]:
    dublin_pk, secondary_pk = records["dublin"].pk, records["secondary"].pk
    plan_pk, benchmark_pk, finding_pk = records["plan"].pk, records["benchmark"].pk, records["finding"].pk
    return [
        ("/compliance/dublin-performance/new/", DUBLIN_POST),
        (
            f"/compliance/dublin-performance/{dublin_pk}/edit/",
            {**DUBLIN_POST, "period_start": "2026-01-01", "period_end": "2026-01-31", "version": "1"},
        ),
        ("/compliance/secondary-movements/new/", SECONDARY_POST),
        (
            f"/compliance/secondary-movements/{secondary_pk}/edit/",
            {**SECONDARY_POST, "period_kind": "month", "period_end": "2026-01-31", "version": "1"},
        ),
        ("/compliance/action-plans/new/", {"member_state": "EL", "cycle": cycle.pk, "title": "T", "reason": "R"}),
        (f"/compliance/action-plans/{plan_pk}/transition/", {"transition": "agree", "reason": "R"}),
        (
            f"/compliance/action-plans/{plan_pk}/benchmarks/new/",
            {
                "indicator": "X",
                "baseline": "1",
                "baseline_date": "2026-01-01",
                "target": "2",
                "due_date": "2026-06-30",
                "direction": "higher",
                "reason": "R",
            },
        ),
        (
            f"/compliance/benchmarks/{benchmark_pk}/edit/",
            {
                "indicator": "Y",
                "baseline": "1",
                "baseline_date": "2026-01-01",
                "target": "2",
                "due_date": "2026-06-30",
                "direction": "higher",
                "version": "1",
                "reason": "R",
            },
        ),
        (
            f"/compliance/benchmarks/{benchmark_pk}/measurements/new/",
            {"date": "2026-02-01", "value": "3", "source": "S", "reason": "R"},
        ),
        (
            "/compliance/findings/new/",
            {
                "member_state": "EL",
                "cycle": cycle.pk,
                "scope": "S",
                "description": "D",
                "legal_reference": "Art. 60(3)",
                "reason": "R",
            },
        ),
        (
            f"/compliance/findings/{finding_pk}/edit/",
            {"scope": "S", "description": "D", "legal_reference": "L", "version": "1", "reason": "R"},
        ),
        (f"/compliance/findings/{finding_pk}/transition/", {"transition": "assess", "reason": "R"}),
    ]


AUDITED = [DublinPerformance, SecondaryMovementIndicator, ActionPlan, Benchmark, Measurement, Finding]


@pytest.mark.parametrize("role_fixture", ["be_official", "be_negotiator", "coordinator", "auditor", "outsider"])
def test_only_compliance_officers_may_use_the_forms(request, client, records, cycle, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))
    before = {model: (model.objects.count(), model.history.count()) for model in AUDITED}
    for url, data in writes(records, cycle):
        if not url.endswith("/transition/"):
            assert client.get(url).status_code == 403, url
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "You may not do this" in page(response)
    assert {model: (model.objects.count(), model.history.count()) for model in AUDITED} == before


def test_every_form_works_for_a_compliance_officer(client, compliance_officer, records, cycle):
    """The same requests the other roles were refused succeed for an officer (the refusals are not vacuous)."""
    client.force_login(compliance_officer)
    for url, data in writes(records, cycle):
        response = client.post(url, data)
        assert response.status_code == 302, (url, text(page(response))[:600])


def test_readers_see_no_write_links_and_officers_do(client, be_official, compliance_officer, records):
    client.force_login(be_official)
    for url in ["/compliance/states/IT/", f"/compliance/findings/{records['finding'].pk}/"]:
        body = page(client.get(url))
        assert "/new/" not in body and "/edit/" not in body and "/transition/" not in body
    client.force_login(compliance_officer)
    body = page(client.get(f"/compliance/findings/{records['finding'].pk}/"))
    assert f"/compliance/findings/{records['finding'].pk}/edit/" in body and 'value="assess"' in body


# The Art. 60(3) banner ----------------------------------------------------------------------------------


@pytest.fixture
def finding_with_open_activation(cycle, compliance_officer, coordinator):
    activations_towards("IT", cycle, coordinator, contributor="BE", amounts=(20,))
    return confirmed_finding("IT", cycle, compliance_officer)


def banner_items(client, user) -> list:
    client.force_login(user)
    response = client.get("/compliance/")
    assert response.status_code == 200
    return list(response.context.get("finding_banner") or [])


def test_banner_concerns_only_officials_of_a_state_with_open_activations_towards_a_confirmed_finding(
    client, finding_with_open_activation, be_official, nl_official, be_negotiator, coordinator
):
    (item,) = banner_items(client, be_official)
    assert (item.finding, item.open_activations, item.proposed) == (finding_with_open_activation, 1, 1)
    assert banner_items(client, nl_official) == []  # no activation towards IT
    assert banner_items(client, be_negotiator) == []  # BE, but not an official
    assert banner_items(client, coordinator) == []  # no delegation


def test_banner_goes_once_the_finding_is_lifted_or_the_activation_declined(
    client, finding_with_open_activation, be_official, compliance_officer, cycle, coordinator
):
    assert len(banner_items(client, be_official)) == 1
    activation = finding_with_open_activation.member_state.activations_received.get()
    pledge_services.activation_transition(
        activation=activation,
        transition="decline",
        decline_ground="systemic_shortcomings",
        actor=be_official,
        reason=REASON,
    )
    assert banner_items(client, be_official) == []
    activations_towards("IT", cycle, coordinator, contributor="BE", amounts=(5,))
    assert len(banner_items(client, be_official)) == 1
    finding_transition(finding=finding_with_open_activation, transition="lift", actor=compliance_officer, reason="Ok")
    assert banner_items(client, be_official) == []


def test_banner_ignores_findings_of_another_cycle(client, cycle, compliance_officer, coordinator, be_official):
    activations_towards("IT", cycle, coordinator, amounts=(20,))
    confirmed_finding("IT", CycleFactory(year=2027, status="pledging"), compliance_officer)
    assert banner_items(client, be_official) == []


def test_banner_partial_says_what_the_official_may_do(finding_with_open_activation, be_official):
    request = RequestFactory().get("/")
    request.user = be_official
    rendered = text(render_to_string("includes/finding_banner.html", request=request))
    assert "Systemic shortcomings confirmed: your state may decline activations (AMMR Art. 60(3))" in rendered
    assert "A systemic-shortcoming finding on Italy (IT) is confirmed for the 2026 cycle" in rendered
    assert "Your state has 1 open activation towards it, 1 of them still proposed" in rendered
    assert "may decline it on Art. 60(3) grounds. The pledge itself is not reduced." in rendered
    request.user = UserFactory(username="nl2", member_state=state("NL"), roles=["official"])
    assert render_to_string("includes/finding_banner.html", request=request).strip() == ""


def test_banner_appears_on_every_page_once_the_layout_includes_it(
    client, finding_with_open_activation, be_official, nl_official
):
    layout = Path(django_settings.BASE_DIR, "templates", "layout.html").read_text()
    if "includes/finding_banner.html" not in layout:
        pytest.skip("templates/layout.html does not include the banner partial yet")
    client.force_login(be_official)
    for url in ["/", "/compliance/", "/compliance/states/NL/"]:
        assert "Systemic shortcomings confirmed" in page(client.get(url)), url
    client.force_login(nl_official)
    assert "Systemic shortcomings confirmed" not in page(client.get("/"))


def test_banner_costs_one_query_and_only_for_officials(
    client, finding_with_open_activation, be_official, nl_official, be_negotiator
):
    def queries(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/compliance/early-warning/")
            list(response.context.get("finding_banner") or [])
        return len(captured)

    with_banner, no_activation, not_official = queries(be_official), queries(nl_official), queries(be_negotiator)
    assert with_banner == no_activation  # the query runs for any official, whatever it finds
    assert not_official == with_banner - 1


# Charts -------------------------------------------------------------------------------------------------


def test_chart_breaks_the_line_at_a_missing_value_and_spaces_its_date_labels():
    dates = [datetime.date(2026, 1, 1) + datetime.timedelta(days=n) for n in (0, 1, 2, 3, 200, 201, 202)]
    chart = charts.line_chart(
        chart_id="test",
        title="Rates",
        unit="%",
        dates=dates,
        series=[("Rate", [Decimal(10), Decimal(20), None, Decimal(40), Decimal(50), Decimal(60), Decimal(70)])],
        date_label=lambda d: d.isoformat(),
    )
    (series,) = chart.series
    assert len(series.segments) == 2 and len(series.points) == 6
    positions = [tick.position for tick in chart.x_ticks]
    assert chart.x_ticks[0].label == "2026-01-01" and chart.x_ticks[-1].label == "2026-07-22"
    assert all(b - a >= charts.MIN_LABEL_GAP for a, b in itertools.pairwise(positions))
    assert [tick.label for tick in chart.y_ticks] == ["0", "20", "40", "60", "80"]
    assert "Rate: from 10 % in 2026-01-01 to 70 % in 2026-07-22; lowest 10 %, highest 70 %." in chart.description


def test_chart_without_figures_says_so():
    chart = charts.line_chart(chart_id="empty", title="Rates", unit="%", dates=[], series=[("Rate", [])])
    assert not chart.has_data and chart.description == "No figures have been recorded yet."


# Query counts and CSP -----------------------------------------------------------------------------------


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
