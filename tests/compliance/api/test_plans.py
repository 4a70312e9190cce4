"""``action-plans/``, ``benchmarks/`` and ``measurements/`` (compliance.api.plans): stages, derived status, series."""

import datetime
from decimal import Decimal

import pytest

from compliance.models import ActionPlan, DublinPerformance
from tests.compliance.api.helpers import (
    REASON,
    TODAY,
    first_error,
    line_benchmark,
    measure,
    month_before,
    record,
    transition,
)
from tests.conftest import api_as
from tests.factories import state

pytestmark = pytest.mark.django_db


def test_measurements_are_not_edited_or_deleted_over_the_api(officer_api, records):
    url = f"/api/v1/measurements/{records.measurement.pk}/"
    assert officer_api.patch(url, {"value": "1.00", "reason": REASON}, format="json").status_code == 405
    assert officer_api.delete(url).status_code == 405
    records.measurement.refresh_from_db()
    assert records.measurement.value == Decimal(64)


def test_a_benchmark_cannot_be_moved_to_another_plan(officer_api, compliance_officer, records):
    other = record(compliance_officer, ActionPlan, member_state=state("EL"), cycle=records.cycle, title="Other")
    response = officer_api.patch(
        f"/api/v1/benchmarks/{records.benchmark.pk}/",
        {"action_plan": other.pk, "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 400
    records.benchmark.refresh_from_db()
    assert records.benchmark.action_plan_id == records.plan.pk


def test_a_benchmark_whose_target_does_not_improve_is_refused(officer_api, records):
    response = officer_api.patch(
        f"/api/v1/benchmarks/{records.benchmark.pk}/",
        {"target": "40.00", "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 400
    records.benchmark.refresh_from_db()
    assert (records.benchmark.target, records.benchmark.version) == (Decimal(90), 1)


def test_action_plan_moves_through_its_stages(officer_api, records):
    pk = records.plan.pk
    refused = transition(officer_api, "action-plans", pk, "complete")
    assert refused.status_code == 409
    assert first_error(refused)["code"] == "transition_not_allowed"
    for name, status in (("agree", "agreed"), ("start", "in_progress"), ("complete", "completed")):
        response = transition(officer_api, "action-plans", pk, name)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    assert response["ETag"] == '"4"'
    assert [h.history_transition for h in ActionPlan.objects.get(pk=pk).history.order_by("history_id")] == [
        "",
        "agree",
        "start",
        "complete",
    ]


def test_measurements_filter_by_benchmark_and_date(be_official, compliance_officer, records):
    measure(compliance_officer, records.benchmark, datetime.date(2026, 5, 31), 70)
    client = api_as(be_official)
    assert client.get(f"/api/v1/measurements/?benchmark={records.benchmark.pk}").json()["count"] == 2
    later = client.get("/api/v1/measurements/?date_from=2026-04-01&member_state=IT&cycle=2026").json()["results"]
    assert [row["value"] for row in later] == ["70.00"]
    assert client.get("/api/v1/measurements/?member_state=EL").json()["count"] == 0


# The line runs from 20 (baseline, 182 days ago) to 60 (target, in 182 days): today it stands at 40.
@pytest.fixture
def hand_measured(compliance_officer, records):
    """Five benchmarks whose status is computed by hand from their series."""
    today = TODAY()
    start, due = today - datetime.timedelta(days=182), today + datetime.timedelta(days=182)
    made = {}
    for name, value in (("on_track", "40.00"), ("at_risk", "39.99"), ("met", "60.00"), ("no_data", None)):
        made[name] = line_benchmark(compliance_officer, records.plan, indicator=name, baseline_date=start, due_date=due)
        if value is not None:
            measure(compliance_officer, made[name], today - datetime.timedelta(days=30), 0)
            measure(compliance_officer, made[name], today, value)
    # Due a month ago at 60 and last measured at 55 then: missed.
    made["missed"] = line_benchmark(
        compliance_officer,
        records.plan,
        indicator="missed",
        baseline_date=today - datetime.timedelta(days=400),
        due_date=today - datetime.timedelta(days=30),
    )
    measure(compliance_officer, made["missed"], today - datetime.timedelta(days=31), 55)
    return made


def test_benchmark_status_for_hand_computed_series(be_negotiator, hand_measured):
    client = api_as(be_negotiator)
    rows = {row["indicator"]: row for row in client.get("/api/v1/benchmarks/?page_size=100").json()["results"]}
    for name in ("on_track", "at_risk", "met", "no_data", "missed"):
        assert rows[name]["status"] == name, name
        assert rows[name]["measured_from"] == "measurements"
    assert (rows["on_track"]["latest_value"], rows["on_track"]["expected_value"]) == ("40.00", "40.00")
    assert rows["on_track"]["latest_date"] == TODAY().isoformat()
    assert (rows["at_risk"]["latest_value"], rows["at_risk"]["expected_value"]) == ("39.99", "40.00")
    assert (rows["no_data"]["latest_value"], rows["no_data"]["latest_date"], rows["no_data"]["expected_value"]) == (
        None,
        None,
        None,
    )
    assert rows["missed"]["latest_value"] == "55.00"
    detail = client.get(f"/api/v1/benchmarks/{hand_measured['at_risk'].pk}/")
    assert (detail.json()["status"], detail["ETag"]) == ("at_risk", '"1"')


def test_the_early_warning_list_filters_by_derived_status(coordinator, hand_measured):
    client = api_as(coordinator)
    body = client.get("/api/v1/benchmarks/?status=at_risk&status=missed").json()
    # The fixture's own benchmark was due on 30 June 2026 at 90 and last measured at 64: missed as well.
    assert {row["indicator"] for row in body["results"]} == {
        "at_risk",
        "missed",
        "Share of reception places meeting the standards",
    }
    assert client.get("/api/v1/benchmarks/?status=met&member_state=EL").json()["count"] == 0
    assert client.get("/api/v1/benchmarks/?status=unknown").status_code == 400


def test_a_new_measurement_changes_the_status(officer_api, hand_measured):
    at_risk = hand_measured["at_risk"]
    response = officer_api.post(
        "/api/v1/measurements/",
        {"benchmark": at_risk.pk, "date": TODAY().isoformat(), "value": "41.00", "source": "x", "reason": REASON},
        format="json",
    )
    assert response.status_code == 409  # one measurement per benchmark and day
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = officer_api.post(
        "/api/v1/measurements/",
        {"benchmark": at_risk.pk, "date": tomorrow, "value": "41.00", "source": "x", "reason": REASON},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert officer_api.get(f"/api/v1/benchmarks/{at_risk.pk}/").json()["status"] == "on_track"


@pytest.fixture
def linked(compliance_officer, records):
    """PT's transfer rate benchmark, from 20 % to 60 %, with the line at 40 % on the last complete month's end."""
    _, last_end = month_before(TODAY(), 1)
    plan = record(compliance_officer, ActionPlan, member_state=state("PT"), cycle=records.cycle, title="Transfers")
    benchmark = line_benchmark(
        compliance_officer,
        plan,
        indicator="Dublin transfer rate",
        linked="transfer_rate",
        baseline_date=last_end - datetime.timedelta(days=100),
        due_date=last_end + datetime.timedelta(days=100),
    )

    def dublin(months_ago: int, accepted: int, transfers: int):
        start, end = month_before(TODAY(), months_ago)
        return record(
            compliance_officer,
            DublinPerformance,
            member_state=state("PT"),
            period_kind="month",
            period_start=start,
            period_end=end,
            take_charge_received=accepted * 2,
            take_charge_accepted=accepted,
            transfers_carried_out=transfers,
            source="Illustrative",
        )

    return benchmark, dublin


def test_linked_benchmark_is_measured_from_the_states_dublin_performance(be_official, compliance_officer, linked):
    benchmark, dublin = linked
    client = api_as(be_official)
    url = f"/api/v1/benchmarks/{benchmark.pk}/"
    assert client.get(url).json()["status"] == "no_data"

    dublin(6, accepted=100, transfers=90)  # ended before the baseline date: the state before the plan
    dublin(2, accepted=200, transfers=60)  # 30 %
    last = dublin(1, accepted=200, transfers=79)  # 39.5 %, below the line's 40 %
    start, end = month_before(TODAY(), 1)
    record(  # another state's month, at 100 %: not this benchmark's
        compliance_officer,
        DublinPerformance,
        member_state=state("IT"),
        period_kind="month",
        period_start=start,
        period_end=end,
        take_charge_received=10,
        take_charge_accepted=10,
        transfers_carried_out=10,
    )

    body = client.get(url).json()
    assert body["measured_from"] == "dublin_performance"
    assert (body["latest_value"], body["expected_value"], body["status"]) == ("39.50", "40.00", "at_risk")
    assert body["latest_date"] == last.period_end.isoformat()

    series = client.get(f"{url}series/").json()
    assert [point["value"] for point in series] == ["30.00", "39.50"]
    assert series[-1]["dublin_performance"] == last.pk
    assert series[-1]["period_kind"] == "month"
    assert series[-1]["expected_value"] == "40.00"

    # Correcting the month's transfers over the API moves the benchmark onto the line.
    fixed = api_as(compliance_officer).patch(
        f"/api/v1/dublin-performance/{last.pk}/",
        {"transfers_carried_out": 80, "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert fixed.status_code == 200
    assert client.get(url).json()["status"] == "on_track"
    listed = client.get("/api/v1/benchmarks/?linked_indicator=transfer_rate").json()["results"]
    assert [(row["id"], row["latest_value"], row["status"]) for row in listed] == [(benchmark.pk, "40.00", "on_track")]


def test_hand_measurements_of_a_linked_benchmark_are_refused(officer_api, linked):
    benchmark, _ = linked
    response = officer_api.post(
        "/api/v1/measurements/",
        {"benchmark": benchmark.pk, "date": "2026-06-30", "value": "50.00", "source": "x", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert (first_error(response)["code"], first_error(response)["attr"]) == ("measured_automatically", "benchmark")
    assert not benchmark.measurements.exists()


def test_hand_measured_series_endpoint(be_official, records):
    series = api_as(be_official).get(f"/api/v1/benchmarks/{records.benchmark.pk}/series/").json()
    assert series == [
        {
            "date": "2026-03-31",
            "value": "64.00",
            # 50 -> 90 from 1 January to 30 June (180 days): 89 days in, the line stands at 69.78.
            "expected_value": "69.78",
            "source": "Inspection",
            "period_kind": "",
            "period_start": None,
            "dublin_performance": None,
            "measurement": records.measurement.pk,
        }
    ]
