import datetime
from decimal import Decimal

import pytest

from compliance.models import ActionPlan, Benchmark, Measurement
from compliance.selectors import BenchmarkStatus, benchmark_status, expected_value
from tests.factories import CycleFactory, state

BASELINE_DATE = datetime.date(2026, 1, 1)
DUE = datetime.date(2026, 12, 31)  # 364 days after the baseline


@pytest.fixture
def transfer_rate(db):
    plan = ActionPlan.objects.create(member_state=state("IT"), cycle=CycleFactory(year=2026), title="Dublin plan")
    # Transfer rate from 20 % to 60 % over the year: +40 points in 364 days.
    return Benchmark.objects.create(
        action_plan=plan,
        indicator="Transfer rate",
        baseline=Decimal(20),
        baseline_date=BASELINE_DATE,
        target=Decimal(60),
        due_date=DUE,
        direction="higher",
    )


def measure(benchmark, date, value):
    return Measurement.objects.create(benchmark=benchmark, date=date, value=Decimal(value), source="test")


def test_the_line_from_baseline_to_target(transfer_rate):
    assert expected_value(transfer_rate, datetime.date(2026, 7, 2)) == Decimal(40)  # day 182 of 364: half way
    assert expected_value(transfer_rate, datetime.date(2025, 6, 1)) == Decimal(20)
    assert expected_value(transfer_rate, datetime.date(2027, 6, 1)) == Decimal(60)


@pytest.mark.parametrize(
    ("measured_on", "value", "today", "status"),
    [
        (None, None, datetime.date(2026, 6, 1), BenchmarkStatus.NO_DATA),
        (None, None, datetime.date(2027, 1, 5), BenchmarkStatus.MISSED),
        (datetime.date(2026, 7, 2), "40", datetime.date(2026, 7, 3), BenchmarkStatus.ON_TRACK),
        (datetime.date(2026, 7, 2), "39.99", datetime.date(2026, 7, 3), BenchmarkStatus.AT_RISK),
        (datetime.date(2026, 7, 2), "60", datetime.date(2026, 7, 3), BenchmarkStatus.MET),
        (datetime.date(2026, 12, 1), "55", datetime.date(2027, 1, 2), BenchmarkStatus.MISSED),
        (datetime.date(2026, 12, 30), "61", datetime.date(2027, 3, 1), BenchmarkStatus.MET),
    ],
)
def test_status_of_a_higher_is_better_benchmark(transfer_rate, measured_on, value, today, status):
    latest = measure(transfer_rate, measured_on, value) if measured_on else None
    assert benchmark_status(transfer_rate, latest, today=today) == status


def test_status_of_a_lower_is_better_benchmark(transfer_rate):
    transfer_rate.direction, transfer_rate.baseline, transfer_rate.target = "lower", Decimal(90), Decimal(30)
    transfer_rate.save()
    # Half way the line stands at 60 days.
    on_line = measure(transfer_rate, datetime.date(2026, 7, 2), "60")
    assert benchmark_status(transfer_rate, on_line, today=datetime.date(2026, 7, 2)) == BenchmarkStatus.ON_TRACK
    behind = measure(transfer_rate, datetime.date(2026, 7, 3), "61")
    assert benchmark_status(transfer_rate, behind, today=datetime.date(2026, 7, 3)) == BenchmarkStatus.AT_RISK
    done = measure(transfer_rate, datetime.date(2026, 8, 1), "30")
    assert benchmark_status(transfer_rate, done, today=datetime.date(2026, 8, 1)) == BenchmarkStatus.MET
