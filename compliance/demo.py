"""Illustrative compliance data for the demo (called by solidarity.demo): Dublin figures, secondary
movements, one action plan with benchmarks due June 2026, and a finding under assessment."""

import calendar
import datetime
import json
from decimal import Decimal
from pathlib import Path

from compliance.models import (
    ActionPlan,
    Benchmark,
    DublinPerformance,
    Finding,
    Measurement,
    SecondaryMovementIndicator,
)
from compliance.services import action_plan_transition, compliance_record_create, finding_transition
from solidarity.accounts.models import User
from solidarity.domain.models import SolidarityCycle

DATA = Path(__file__).resolve().parent / "data" / "demo_2026.json"
REASON = "Demo data (illustrative)"
DUBLIN_COLUMNS = (
    "take_charge_received",
    "take_charge_accepted",
    "take_charge_refused",
    "take_back_received",
    "take_back_accepted",
    "take_back_refused",
    "transfers_carried_out",
    "average_reply_days",
    "average_transfer_days",
)


def _month(value: str) -> tuple[datetime.date, datetime.date]:
    year, month = (int(part) for part in value.split("-"))
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def load(cycle: SolidarityCycle, *, summary) -> None:
    if ActionPlan.objects.filter(cycle=cycle).exists():
        return
    officer = User.objects.get(username="compliance")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    source = data["source"]
    for code, months in data["dublin"].items():
        for month, *values in months:
            start, end = _month(month)
            if DublinPerformance.objects.filter(member_state_id=code, period_kind="month", period_start=start).exists():
                continue
            compliance_record_create(
                model=DublinPerformance,
                actor=officer,
                reason=REASON,
                member_state_id=code,
                period_kind="month",
                period_start=start,
                period_end=end,
                source=source,
                illustrative=True,
                **dict(zip(DUBLIN_COLUMNS, values, strict=True)),
            )
            summary.created["Dublin performance records (illustrative)"] += 1
    for spec in data["secondary_movements"]:
        compliance_record_create(
            model=SecondaryMovementIndicator,
            actor=officer,
            reason=REASON,
            member_state_id=spec["state"],
            period_kind="quarter",
            period_start=datetime.date.fromisoformat(spec["period_start"]),
            period_end=datetime.date.fromisoformat(spec["period_end"]),
            applications_lodged=spec["applications_lodged"],
            secondary_movement_share_percent=Decimal(spec["secondary_movement_share_percent"]),
            source=spec["source"],
            illustrative=True,
        )
        summary.created["secondary-movement indicators"] += 1

    plan_spec = data["action_plan"]
    plan = compliance_record_create(
        model=ActionPlan,
        actor=officer,
        reason=REASON,
        member_state_id=plan_spec["state"],
        cycle=cycle,
        title=plan_spec["title"],
        summary=plan_spec["summary"],
        illustrative=True,
    )
    for transition in ("agree", "start"):
        plan = action_plan_transition(plan=plan, transition=transition, actor=officer, reason=REASON)
    summary.created["action plans (illustrative)"] += 1
    for spec in plan_spec["benchmarks"]:
        measurements = spec.pop("measurements")
        benchmark = compliance_record_create(
            model=Benchmark,
            actor=officer,
            reason=REASON,
            action_plan=plan,
            **{
                **spec,
                "baseline": Decimal(spec["baseline"]),
                "target": Decimal(spec["target"]),
                "baseline_date": datetime.date.fromisoformat(spec["baseline_date"]),
                "due_date": datetime.date.fromisoformat(spec["due_date"]),
            },
        )
        for date, value in measurements:
            compliance_record_create(
                model=Measurement,
                actor=officer,
                reason=REASON,
                benchmark=benchmark,
                date=datetime.date.fromisoformat(date),
                value=Decimal(value),
                source=source,
            )
        summary.created["benchmarks (illustrative)"] += 1

    finding_spec = data["finding"]
    finding = compliance_record_create(
        model=Finding,
        actor=officer,
        reason=REASON,
        member_state_id=finding_spec["state"],
        cycle=cycle,
        scope=finding_spec["scope"],
        description=finding_spec["description"],
        evidence_references=finding_spec["evidence_references"],
        commission_report_reference=finding_spec["commission_report_reference"],
        commission_report_date=datetime.date.fromisoformat(finding_spec["commission_report_date"]),
        illustrative=True,
    )
    if finding_spec["status"] == "under_assessment":
        finding_transition(finding=finding, transition="assess", actor=officer, reason=REASON)
    summary.created["findings (illustrative)"] += 1
