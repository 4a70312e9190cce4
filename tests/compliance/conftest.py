"""Fixtures shared by the compliance tests: the pages' cycle and records, and the API's records.

Helpers that are not fixtures live in ``tests.compliance.page_helpers`` and ``tests.compliance.api.helpers``.
"""

import datetime
from decimal import Decimal

import pytest

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, SecondaryMovementIndicator
from tests.compliance.api.helpers import JANUARY, Q1, Records, measure, record
from tests.compliance.page_helpers import benchmark, dublin, plan_for
from tests.conftest import api_as
from tests.factories import COMMISSION_REPORT, CycleFactory, state

# The pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026, status="in_application")


@pytest.fixture
def form_records(cycle):
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
        "finding": Finding.objects.create(
            member_state=state("IT"), cycle=cycle, scope="Transfers", description="-", **COMMISSION_REPORT
        ),
    }


# The API ------------------------------------------------------------------------------------------------


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
            **COMMISSION_REPORT,
        ),
    )
