"""The measurement series of benchmarks, and benchmarks measured automatically from Dublin performance.

A benchmark with a ``linked_indicator`` is not measured by hand: its series is the value of that indicator
in each Dublin-performance period of the plan's state, dated at the end of the period (the day the figure
stands for). Every other benchmark's series is its recorded measurements. Status and latest value come
from the series in both cases, so that a page or list shows one truth.

``attach_measurements`` works on benchmarks already loaded by ``selectors.benchmarks_with_measurements``
and adds one query for the Dublin rows of every state concerned: a list stays at a constant query count.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from compliance.models import Benchmark, DublinPerformance, LinkedIndicator
from compliance.selectors import benchmark_status

MEASURED_BY_HAND = "measurements"
MEASURED_FROM_DUBLIN = "dublin_performance"


@dataclass(frozen=True)
class SeriesPoint:
    """One value of a benchmark's indicator; ``benchmark_status`` reads ``date`` and ``value``."""

    date: datetime.date
    value: Decimal
    source: str = ""
    period_kind: str = ""
    period_start: datetime.date | None = None
    dublin_performance_id: int | None = None
    measurement_id: int | None = None


# How each linked indicator reads one Dublin-performance row; None where the period has no value
# (no request received, or no delay reported).
LINKED_VALUE: dict[str, Callable[[DublinPerformance], Decimal | None]] = {
    LinkedIndicator.ACCEPTANCE_RATE: lambda row: row.acceptance_rate,
    LinkedIndicator.TRANSFER_RATE: lambda row: row.transfer_rate,
    LinkedIndicator.AVERAGE_REPLY_DAYS: lambda row: row.average_reply_days,
    LinkedIndicator.AVERAGE_TRANSFER_DAYS: lambda row: row.average_transfer_days,
}


def is_linked(benchmark: Benchmark) -> bool:
    return bool(benchmark.linked_indicator)


def dublin_series(benchmark: Benchmark, rows: Iterable[DublinPerformance]) -> list[SeriesPoint]:
    """The linked indicator per period of ``rows`` (the state's Dublin performance), oldest first.

    Periods that ended before the baseline date describe the state before the plan, not progress under it,
    so they are left out. Where a month and a quarter end on the same day the month comes last: it is the
    more recent figure.
    """
    read = LINKED_VALUE[benchmark.linked_indicator]
    points = []
    for row in sorted(rows, key=lambda r: (r.period_end, r.period_start)):
        if row.period_end < benchmark.baseline_date:
            continue
        value = read(row)
        if value is None:
            continue
        points.append(
            SeriesPoint(
                date=row.period_end,
                value=value,
                source=row.source,
                period_kind=row.period_kind,
                period_start=row.period_start,
                dublin_performance_id=row.pk,
            )
        )
    return points


def measurement_series(benchmark: Benchmark) -> list[SeriesPoint]:
    """The recorded measurements, oldest first (prefetched in that order by ``benchmarks_with_measurements``)."""
    return [
        SeriesPoint(date=m.date, value=m.value, source=m.source, measurement_id=m.pk)
        for m in sorted(benchmark.measurements.all(), key=lambda m: (m.date, m.pk))
    ]


def dublin_rows_by_state(state_ids: Iterable[str]) -> dict[str, list[DublinPerformance]]:
    """Dublin-performance rows of the given states, in one query."""
    state_ids = set(state_ids)
    grouped: dict[str, list[DublinPerformance]] = defaultdict(list)
    if not state_ids:
        return grouped
    for row in DublinPerformance.objects.filter(member_state_id__in=state_ids).order_by("period_end", "period_start"):
        grouped[row.member_state_id].append(row)
    return grouped


def attach_measurements(benchmarks: Iterable[Benchmark], *, today: datetime.date | None = None) -> list[Benchmark]:
    """Set ``series``, ``latest_point``, ``measured_from`` and ``derived_status`` on each benchmark.

    The benchmarks must come with their plan (``select_related``) and measurements (``prefetch_related``),
    as ``selectors.benchmarks_with_measurements`` gives them; the Dublin rows of the linked ones are read
    here in one query.
    """
    benchmarks = list(benchmarks)
    today = today or timezone.localdate()
    rows = dublin_rows_by_state(b.action_plan.member_state_id for b in benchmarks if is_linked(b))
    for benchmark in benchmarks:
        if is_linked(benchmark):
            benchmark.series = dublin_series(benchmark, rows.get(benchmark.action_plan.member_state_id, ()))
            benchmark.measured_from = MEASURED_FROM_DUBLIN
        else:
            benchmark.series = measurement_series(benchmark)
            benchmark.measured_from = MEASURED_BY_HAND
        benchmark.latest_point = benchmark.series[-1] if benchmark.series else None
        benchmark.derived_status = benchmark_status(benchmark, benchmark.latest_point, today=today)
    return benchmarks


def benchmark_series(benchmark: Benchmark) -> list[SeriesPoint]:
    """The series of one benchmark (a detail page or endpoint)."""
    return attach_measurements([benchmark])[0].series
