"""The pages of action plans, benchmarks and measurements: created, moved through the workflow, measured."""

from decimal import Decimal

import pytest

from compliance.models import ActionPlan, Benchmark, Measurement
from tests.compliance.page_helpers import days, page, plan_for, text

pytestmark = pytest.mark.django_db


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
    assert "The transition complete is not allowed for an action plan whose status is draft." in text(page(too_early))
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
