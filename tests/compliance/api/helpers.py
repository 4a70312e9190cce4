"""What the compliance API tests share: the personas, one valid body per endpoint, and records written
through the services."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement, SecondaryMovementIndicator
from compliance.services import compliance_record_create
from tests.conftest import api_as

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


def transition(client, endpoint: str, pk: int, name: str, reason: str = REASON):
    return client.post(f"/api/v1/{endpoint}/{pk}/transition/", {"transition": name, "reason": reason}, format="json")


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


def month_before(day: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The calendar month ``months`` before the one of ``day``: (first day, last day)."""
    first = day.replace(day=1)
    for _ in range(months):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return first, last
