"""The /api/v1/ compliance endpoints over real HTTP (DRF's APIClient) on PostgreSQL."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import (
    ActionPlan,
    Benchmark,
    DublinPerformance,
    Finding,
    Measurement,
    SecondaryMovementIndicator,
)
from compliance.services import compliance_record_create
from tests.conftest import api_as
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db

REASON = "Figures from the Commission's monitoring"
READERS = ["be_official", "nl_official", "be_negotiator", "nl_negotiator", "coordinator", "auditor", "outsider"]
EVERYONE = ["compliance_officer", *READERS]
JANUARY = {"period_kind": "month", "period_start": "2026-01-01", "period_end": "2026-01-31"}
FEBRUARY = {"period_kind": "month", "period_start": "2026-02-01", "period_end": "2026-02-28"}
Q1 = {"period_kind": "quarter", "period_start": "2026-01-01", "period_end": "2026-03-31"}
MODELS = {
    "dublin-performance": DublinPerformance,
    "secondary-movements": SecondaryMovementIndicator,
    "action-plans": ActionPlan,
    "benchmarks": Benchmark,
    "measurements": Measurement,
    "findings": Finding,
}
VERSIONED = ["dublin-performance", "secondary-movements", "action-plans", "benchmarks", "findings"]


def first_error(response) -> dict:
    return response.json()["errors"][0]


def record(officer, model, **values):
    return compliance_record_create(model=model, actor=officer, reason=REASON, **values)


def measure(officer, benchmark, day: datetime.date, value) -> Measurement:
    return record(officer, Measurement, benchmark=benchmark, date=day, value=Decimal(value), source="Inspection")


@dataclass
class Records:
    cycle: object
    dublin: DublinPerformance
    secondary: SecondaryMovementIndicator
    plan: ActionPlan
    benchmark: Benchmark
    measurement: Measurement
    finding: Finding

    def of(self, endpoint: str):
        return {
            "dublin-performance": self.dublin,
            "secondary-movements": self.secondary,
            "action-plans": self.plan,
            "benchmarks": self.benchmark,
            "measurements": self.measurement,
            "findings": self.finding,
        }[endpoint]


@pytest.fixture
def officer_api(compliance_officer):
    return api_as(compliance_officer)


@pytest.fixture
def records(compliance_officer):
    """One record of each kind, written through the services."""
    cycle = CycleFactory(year=2026)
    plan = record(compliance_officer, ActionPlan, member_state=state("IT"), cycle=cycle, title="Dublin transfers")
    benchmark = record(
        compliance_officer,
        Benchmark,
        action_plan=plan,
        indicator="Share of reception places meeting the standards",
        unit="%",
        baseline=Decimal(50),
        baseline_date=datetime.date(2026, 1, 1),
        target=Decimal(90),
        due_date=datetime.date(2026, 6, 30),
        direction="higher",
    )
    return Records(
        cycle=cycle,
        dublin=record(
            compliance_officer,
            DublinPerformance,
            member_state=state("IT"),
            **JANUARY,
            take_charge_received=300,
            take_charge_accepted=240,
            take_back_received=200,
            take_back_accepted=160,
            transfers_carried_out=40,
        ),
        secondary=record(
            compliance_officer,
            SecondaryMovementIndicator,
            member_state=state("BE"),
            **Q1,
            applications_lodged=9100,
            secondary_movement_share_percent=Decimal("61.50"),
            source="Illustrative",
        ),
        plan=plan,
        benchmark=benchmark,
        measurement=measure(compliance_officer, benchmark, datetime.date(2026, 3, 31), 64),
        finding=record(
            compliance_officer,
            Finding,
            member_state=state("EL"),
            cycle=cycle,
            scope="Take-back replies",
            description="Replies to take-back notifications beyond the time limit",
        ),
    )


def new_payload(endpoint: str, records: Records) -> dict:
    """A valid create body for each endpoint (new state, period or date, so no duplicate)."""
    return {
        "dublin-performance": {
            "member_state": "EL",
            **FEBRUARY,
            "take_charge_received": 100,
            "take_charge_accepted": 50,
            "transfers_carried_out": 10,
        },
        "secondary-movements": {"member_state": "NL", **Q1, "applications_lodged": 8200, "source": "Illustrative"},
        "action-plans": {"member_state": "EL", "cycle": 2026, "title": "Reception capacity"},
        "benchmarks": {
            "action_plan": records.plan.pk,
            "indicator": "Average reply delay",
            "linked_indicator": "average_reply_days",
            "unit": "days",
            "baseline": "60.00",
            "baseline_date": "2026-01-01",
            "target": "30.00",
            "due_date": "2026-06-30",
            "direction": "lower",
        },
        "measurements": {"benchmark": records.benchmark.pk, "date": "2026-04-30", "value": "70.00", "source": "Audit"},
        "findings": {"member_state": "MT", "cycle": 2026, "scope": "Transfers", "description": "No transfers"},
    }[endpoint]


PATCHES = {
    "dublin-performance": {"transfers_carried_out": 80},
    "secondary-movements": {"reception_occupancy_percent": "101.50"},
    "action-plans": {"title": "Dublin transfers and take-back replies"},
    "benchmarks": {"target": "95.00"},
    "findings": {"evidence_references": "Commission report of 12 July 2026"},
}


def as_persona(request, name: str):
    return api_as(request.getfixturevalue(name))


# --- Reading --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(MODELS))
@pytest.mark.parametrize("persona", EVERYONE)
def test_every_logged_in_user_reads_every_compliance_endpoint(request, persona, endpoint, records):
    client = as_persona(request, persona)
    listing = client.get(f"/api/v1/{endpoint}/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    obj = records.of(endpoint)
    assert listing.json()["results"][0]["id"] == obj.pk
    detail = client.get(f"/api/v1/{endpoint}/{obj.pk}/")
    assert detail.status_code == 200
    assert "reason" not in detail.json()
    if endpoint in VERSIONED:
        assert detail["ETag"] == '"1"'
        assert detail.json()["version"] == 1


@pytest.mark.parametrize("endpoint", list(MODELS))
def test_anonymous_users_read_nothing(api, endpoint, records):
    response = api.get(f"/api/v1/{endpoint}/")
    assert response.status_code in (401, 403)
    assert first_error(response)["code"] == "not_authenticated"


def test_dublin_performance_shows_the_derived_rates(be_official, records):
    body = api_as(be_official).get(f"/api/v1/dublin-performance/{records.dublin.pk}/").json()
    # 400 of 500 requests accepted; 40 transfers of 400 accepted requests.
    assert body["member_state"] == "IT"
    assert (body["requests_received"], body["requests_accepted"]) == (500, 400)
    assert (body["acceptance_rate"], body["transfer_rate"]) == ("80.00", "10.00")


def test_derived_rates_are_read_only(officer_api, records):
    response = officer_api.patch(
        f"/api/v1/dublin-performance/{records.dublin.pk}/",
        {"acceptance_rate": "99.00", "transfer_rate": "99.00", "transfers_carried_out": 100, "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["acceptance_rate"], response.json()["transfer_rate"]) == ("80.00", "25.00")
    assert response["ETag"] == '"2"'


def test_rates_are_null_without_requests(officer_api):
    response = officer_api.post(
        "/api/v1/dublin-performance/", {"member_state": "MT", **JANUARY, "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["acceptance_rate"], response.json()["transfer_rate"]) == (None, None)


# --- Writing: compliance officers only ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(MODELS))
def test_compliance_officer_creates_every_record_with_its_reason(officer_api, compliance_officer, endpoint, records):
    model = MODELS[endpoint]
    before = model.objects.count()
    response = officer_api.post(
        f"/api/v1/{endpoint}/", {**new_payload(endpoint, records), "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert model.objects.count() == before + 1
    created = model.objects.get(pk=response.json()["id"])
    last = created.history.first()
    assert (last.history_user, last.history_change_reason) == (compliance_officer, REASON)
    if endpoint in VERSIONED:
        assert response["ETag"] == '"1"'
    if endpoint == "measurements":
        assert response.json()["recorded_by"] == "compliance"


@pytest.mark.parametrize("endpoint", list(MODELS))
@pytest.mark.parametrize("persona", READERS)
def test_other_roles_cannot_create_and_nothing_is_written(request, persona, endpoint, records):
    model = MODELS[endpoint]
    before = model.objects.count()
    response = as_persona(request, persona).post(
        f"/api/v1/{endpoint}/", {**new_payload(endpoint, records), "reason": REASON}, format="json"
    )
    assert response.status_code == 403
    assert first_error(response)["code"] == "permission_denied"
    assert model.objects.count() == before


@pytest.mark.parametrize("endpoint", VERSIONED)
@pytest.mark.parametrize("persona", READERS)
def test_other_roles_cannot_change_and_nothing_is_written(request, persona, endpoint, records):
    obj = records.of(endpoint)
    history_before = obj.history.count()
    response = as_persona(request, persona).patch(
        f"/api/v1/{endpoint}/{obj.pk}/",
        {**PATCHES[endpoint], "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.version == 1
    assert obj.history.count() == history_before


def test_measurements_are_not_edited_or_deleted_over_the_api(officer_api, records):
    url = f"/api/v1/measurements/{records.measurement.pk}/"
    assert officer_api.patch(url, {"value": "1.00", "reason": REASON}, format="json").status_code == 405
    assert officer_api.delete(url).status_code == 405
    records.measurement.refresh_from_db()
    assert records.measurement.value == Decimal(64)


@pytest.mark.parametrize("endpoint", VERSIONED)
def test_no_compliance_record_is_deleted_over_the_api(officer_api, endpoint, records):
    assert officer_api.delete(f"/api/v1/{endpoint}/{records.of(endpoint).pk}/").status_code == 405
    assert MODELS[endpoint].objects.filter(pk=records.of(endpoint).pk).exists()


def test_a_second_record_of_the_same_state_and_period_is_a_conflict(officer_api, records):
    response = officer_api.post(
        "/api/v1/dublin-performance/", {"member_state": "IT", **JANUARY, "reason": REASON}, format="json"
    )
    assert response.status_code == 409
    assert first_error(response)["code"] == "unique"
    assert DublinPerformance.objects.count() == 1


def test_accepted_requests_beyond_those_received_are_refused(officer_api):
    response = officer_api.post(
        "/api/v1/dublin-performance/",
        {"member_state": "IT", **JANUARY, "take_charge_received": 10, "take_charge_accepted": 11, "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert "cannot exceed" in first_error(response)["detail"]
    assert not DublinPerformance.objects.exists()


def test_a_share_above_100_percent_is_refused(officer_api):
    response = officer_api.post(
        "/api/v1/secondary-movements/",
        {"member_state": "BE", **Q1, "secondary_movement_share_percent": "101.00", "source": "X", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert not SecondaryMovementIndicator.objects.exists()


def test_a_write_without_a_reason_is_refused(officer_api, records):
    response = officer_api.post("/api/v1/findings/", new_payload("findings", records), format="json")
    assert response.status_code == 400
    assert first_error(response)["code"] == "reason_required"
    assert Finding.objects.count() == 1


# --- Concurrency: If-Match or version -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", VERSIONED)
def test_updates_need_the_version_last_read(officer_api, endpoint, records):
    obj = records.of(endpoint)
    url = f"/api/v1/{endpoint}/{obj.pk}/"
    body = {**PATCHES[endpoint], "reason": REASON}

    missing = officer_api.patch(url, body, format="json")
    assert missing.status_code == 428
    assert first_error(missing)["code"] == "version_required"

    done = officer_api.patch(url, body, format="json", headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.json()
    assert done["ETag"] == '"2"'
    field, value = next(iter(PATCHES[endpoint].items()))
    assert str(done.json()[field]) == str(value)

    stale = officer_api.patch(url, {**body, "version": 1}, format="json")
    assert stale.status_code == 412
    assert first_error(stale)["code"] == "stale_version"
    assert stale.json()["current"]["current_version"] == 2
    stale_header = officer_api.patch(url, body, format="json", headers={"If-Match": '"1"'})
    assert stale_header.status_code == 412

    obj.refresh_from_db()
    assert obj.version == 2
    assert obj.history.count() == 2


def test_the_version_field_stands_in_for_if_match(officer_api, records):
    response = officer_api.patch(
        f"/api/v1/findings/{records.finding.pk}/", {"scope": "Take-back", "version": 1, "reason": REASON}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("dublin-performance", "member_state", "EL"),
        ("dublin-performance", "period_start", "2026-02-01"),
        ("secondary-movements", "member_state", "NL"),
        ("action-plans", "cycle", 2027),
        ("action-plans", "status", "completed"),
        ("findings", "status", "confirmed"),
        ("findings", "member_state", "IT"),
    ],
)
def test_what_a_record_is_about_and_its_status_cannot_be_patched(officer_api, records, endpoint, field, value):
    CycleFactory(year=2027)
    obj = records.of(endpoint)
    response = officer_api.patch(
        f"/api/v1/{endpoint}/{obj.pk}/", {field: value, "reason": REASON}, format="json", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 400
    assert (first_error(response)["code"], first_error(response)["attr"]) == ("read_only", field)
    obj.refresh_from_db()
    assert obj.version == 1


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


# --- Transitions ----------------------------------------------------------------------------------------------


def transition(client, endpoint: str, pk: int, name: str, reason: str = REASON):
    return client.post(f"/api/v1/{endpoint}/{pk}/transition/", {"transition": name, "reason": reason}, format="json")


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


def test_unknown_transition_or_missing_reason_is_a_bad_request(officer_api, records):
    unknown = transition(officer_api, "findings", records.finding.pk, "publish")
    assert (unknown.status_code, first_error(unknown)["code"]) == (400, "transition_unknown")
    no_reason = transition(officer_api, "findings", records.finding.pk, "assess", reason="")
    assert (no_reason.status_code, first_error(no_reason)["code"]) == (400, "reason_required")
    records.finding.refresh_from_db()
    assert records.finding.status == "draft"


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize(("endpoint", "name"), [("action-plans", "agree"), ("findings", "assess")])
def test_other_roles_cannot_move_plans_or_findings(request, persona, endpoint, name, records):
    obj = records.of(endpoint)
    response = transition(as_persona(request, persona), endpoint, obj.pk, name)
    assert response.status_code == 403
    obj.refresh_from_db()
    assert (obj.status, obj.version, obj.history.count()) == ("draft", 1, 1)


def test_finding_is_confirmed_lifted_and_cannot_be_dismissed_afterwards(officer_api, records):
    pk = records.finding.pk
    assert transition(officer_api, "findings", pk, "confirm").status_code == 409  # not assessed yet
    assert transition(officer_api, "findings", pk, "assess").json()["status"] == "under_assessment"
    confirmed = transition(officer_api, "findings", pk, "confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_on"] == timezone.localdate().isoformat()
    refused = transition(officer_api, "findings", pk, "dismiss")
    assert refused.status_code == 409
    assert refused.json()["current"]["status"] == "confirmed"
    lifted = transition(officer_api, "findings", pk, "lift")
    assert (lifted.status_code, lifted.json()["status"]) == (200, "lifted")
    assert lifted.json()["lifted_on"] == timezone.localdate().isoformat()


def test_a_draft_finding_is_dismissed(officer_api, records):
    response = transition(officer_api, "findings", records.finding.pk, "dismiss")
    assert (response.status_code, response.json()["status"]) == (200, "dismissed")
    assert transition(officer_api, "findings", records.finding.pk, "assess").status_code == 409


# --- Filters and ordering -------------------------------------------------------------------------------------


def test_period_records_filter_by_state_kind_year_and_period_range(be_official, compliance_officer, records):
    fourth_quarter = {"period_kind": "quarter", "period_start": "2025-10-01", "period_end": "2025-12-31"}
    for code, period in (("IT", FEBRUARY), ("EL", JANUARY), ("IT", fourth_quarter)):
        record(compliance_officer, DublinPerformance, member_state=state(code), **period)
    client = api_as(be_official)

    def periods(query):
        body = client.get(f"/api/v1/dublin-performance/?{query}").json()
        return [(row["member_state"], row["period_start"]) for row in body["results"]]

    assert periods("member_state=it") == [("IT", "2025-10-01"), ("IT", "2026-01-01"), ("IT", "2026-02-01")]
    assert periods("year=2025") == [("IT", "2025-10-01")]
    assert periods("period_kind=quarter") == [("IT", "2025-10-01")]
    # Overlap: the quarter ending 31 December touches a range that starts on 15 December. EL comes before IT
    # in protocol order.
    assert periods("period_from=2025-12-15&period_to=2026-01-15") == [
        ("EL", "2026-01-01"),
        ("IT", "2025-10-01"),
        ("IT", "2026-01-01"),
    ]
    assert periods("period_from=2026-02-01") == [("IT", "2026-02-01")]
    assert periods("ordering=-period_start&member_state=IT")[0] == ("IT", "2026-02-01")
    assert client.get("/api/v1/dublin-performance/?period_from=not-a-date").status_code == 400


def test_findings_and_plans_filter_by_state_cycle_and_status(be_official, officer_api, compliance_officer, records):
    other_cycle = CycleFactory(year=2027)
    record(compliance_officer, Finding, member_state=state("EL"), cycle=other_cycle, scope="Later", description="-")
    transition(officer_api, "findings", records.finding.pk, "dismiss")
    client = api_as(be_official)
    assert [f["cycle"] for f in client.get("/api/v1/findings/?member_state=EL&ordering=cycle").json()["results"]] == [
        2026,
        2027,
    ]
    dismissed = client.get("/api/v1/findings/?status=dismissed").json()["results"]
    assert [f["id"] for f in dismissed] == [records.finding.pk]
    both = client.get("/api/v1/findings/?status=dismissed&status=draft").json()
    assert both["count"] == 2
    assert client.get("/api/v1/findings/?cycle=2027").json()["count"] == 1
    assert client.get("/api/v1/action-plans/?member_state=IT&cycle=2026&status=draft").json()["count"] == 1
    assert client.get("/api/v1/action-plans/?status=agreed").json()["count"] == 0
    assert client.get("/api/v1/findings/?status=nonsense").status_code == 400


def test_measurements_filter_by_benchmark_and_date(be_official, compliance_officer, records):
    measure(compliance_officer, records.benchmark, datetime.date(2026, 5, 31), 70)
    client = api_as(be_official)
    assert client.get(f"/api/v1/measurements/?benchmark={records.benchmark.pk}").json()["count"] == 2
    later = client.get("/api/v1/measurements/?date_from=2026-04-01&member_state=IT&cycle=2026").json()["results"]
    assert [row["value"] for row in later] == ["70.00"]
    assert client.get("/api/v1/measurements/?member_state=EL").json()["count"] == 0


# --- Benchmark status through the API -------------------------------------------------------------------------

# The line runs from 20 (baseline, 182 days ago) to 60 (target, in 182 days): today it stands at 40.
TODAY = timezone.localdate


def line_benchmark(officer, plan, *, indicator, baseline_date, due_date, linked="", direction="higher", **kw):
    return record(
        officer,
        Benchmark,
        action_plan=plan,
        indicator=indicator,
        linked_indicator=linked,
        baseline=Decimal(kw.get("baseline", 20)),
        baseline_date=baseline_date,
        target=Decimal(kw.get("target", 60)),
        due_date=due_date,
        direction=direction,
    )


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


# --- A benchmark measured from Dublin performance -------------------------------------------------------------


def month_before(day: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The calendar month ``months`` before the one of ``day``: (first day, last day)."""
    first = day.replace(day=1)
    for _ in range(months):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return first, last


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


# --- Constant queries -----------------------------------------------------------------------------------------


def populate(officer, cycle, states):
    """For each state: Dublin months, a secondary-movement quarter, a plan with a linked and a hand benchmark
    (with measurements), and a finding."""
    today = TODAY()
    for code in states:
        member_state = state(code)
        for months_ago in (1, 2, 3):
            start, end = month_before(today, months_ago)
            record(
                officer,
                DublinPerformance,
                member_state=member_state,
                period_kind="month",
                period_start=start,
                period_end=end,
                take_charge_received=100,
                take_charge_accepted=50,
                transfers_carried_out=10 * months_ago,
            )
        record(officer, SecondaryMovementIndicator, member_state=member_state, **Q1, source="Illustrative")
        plan = record(officer, ActionPlan, member_state=member_state, cycle=cycle, title=f"Plan {code}")
        for linked_indicator in ("transfer_rate", ""):
            benchmark = line_benchmark(
                officer,
                plan,
                indicator=f"{code} {linked_indicator or 'by hand'}",
                linked=linked_indicator,
                baseline_date=today - datetime.timedelta(days=200),
                due_date=today + datetime.timedelta(days=100),
            )
            if not linked_indicator:
                for days in (10, 20):
                    measure(officer, benchmark, today - datetime.timedelta(days=days), 30)
        record(officer, Finding, member_state=member_state, cycle=cycle, scope="Transfers", description="Few")


# Count and page; benchmarks add their measurements and the Dublin rows of linked ones; filtering by the
# derived status measures the candidates once more.
LIST_URLS = [
    ("/api/v1/dublin-performance/", 2),
    ("/api/v1/dublin-performance/?period_kind=month&period_from=2026-01-01&ordering=-period_start", 2),
    ("/api/v1/secondary-movements/", 2),
    ("/api/v1/action-plans/", 2),
    ("/api/v1/benchmarks/", 4),
    ("/api/v1/benchmarks/?status=at_risk&status=on_track&status=met", 7),
    ("/api/v1/measurements/", 2),
    ("/api/v1/findings/", 2),
    ("/api/v1/findings/?status=draft&cycle=2026&ordering=member_state", 2),
]


@pytest.mark.parametrize(("url", "queries"), LIST_URLS)
def test_lists_run_a_constant_number_of_queries(
    url, queries, be_official, compliance_officer, django_assert_max_num_queries
):
    cycle = CycleFactory(year=2026)
    client = api_as(be_official)
    populate(compliance_officer, cycle, ["IT", "EL"])
    client.get(url)  # warm the user's cached roles
    with django_assert_max_num_queries(queries) as small_queries:
        small = client.get(url)
    populate(compliance_officer, cycle, ["MT", "CY", "ES", "BG", "LV", "PT"])  # four times the data
    with django_assert_max_num_queries(queries) as large_queries:
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert large.json()["count"] == 4 * small.json()["count"] > 0
    assert len(large_queries) == len(small_queries)
