"""Reusable reads of compliance records, and the derived status of benchmarks."""

import datetime
from collections import Counter
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from compliance.models import Benchmark, Direction, DublinPerformance, FindingStatus, Measurement


class BenchmarkStatus:
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"

    LABELS = {
        MET: "Met",
        ON_TRACK: "On track",
        AT_RISK: "At risk",
        MISSED: "Missed",
        NO_DATA: "No data",
    }


def _better_or_equal(value: Decimal, reference: Decimal, direction: str) -> bool:
    return value >= reference if direction == Direction.HIGHER_IS_BETTER else value <= reference


def expected_value(benchmark: Benchmark, on: datetime.date) -> Decimal:
    """Where the straight line from baseline to target stands on ``on`` (clamped to the two ends)."""
    span = (benchmark.due_date - benchmark.baseline_date).days
    elapsed = min(max((on - benchmark.baseline_date).days, 0), span)
    return benchmark.baseline + (benchmark.target - benchmark.baseline) * Decimal(elapsed) / Decimal(span)


def benchmark_status(benchmark: Benchmark, latest: Measurement | None, *, today: datetime.date | None = None) -> str:
    """met / on_track / at_risk / missed / no_data, from the latest measurement and the line to the target.

    ``latest`` is passed in (not queried) so that a list computes every status from one prefetch.
    """
    today = today or timezone.localdate()
    if latest is None:
        return BenchmarkStatus.MISSED if today > benchmark.due_date else BenchmarkStatus.NO_DATA
    if _better_or_equal(latest.value, benchmark.target, benchmark.direction):
        return BenchmarkStatus.MET
    if today > benchmark.due_date:
        return BenchmarkStatus.MISSED
    if _better_or_equal(latest.value, expected_value(benchmark, latest.date), benchmark.direction):
        return BenchmarkStatus.ON_TRACK
    return BenchmarkStatus.AT_RISK


def benchmarks_with_measurements(queryset=None):
    """Benchmarks with their plan, state and measurements (oldest first) in a constant number of queries."""
    queryset = Benchmark.objects.all() if queryset is None else queryset
    return queryset.select_related("action_plan__member_state", "action_plan__cycle").prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("date", "id"))
    )


def latest_measurement(benchmark: Benchmark) -> Measurement | None:
    measurements = list(benchmark.measurements.all())  # prefetched by benchmarks_with_measurements
    return measurements[-1] if measurements else None


def latest_dublin_by_state() -> dict[str, DublinPerformance]:
    """Each state's latest Dublin-performance record, by state code, in one query."""
    # For the same end date, the month (the later start) is the freshest.
    latest_pk = (
        DublinPerformance.objects.filter(member_state=OuterRef("member_state"))
        .order_by("-period_end", "-period_start")
        .values("pk")[:1]
    )
    return {r.member_state_id: r for r in DublinPerformance.objects.filter(pk=Subquery(latest_pk))}


def open_finding_counts_by_state(findings) -> dict[str, dict]:
    """Per state code, how many of ``findings`` are under assessment and how many confirmed, in one query."""
    return {
        f["member_state_id"]: f
        for f in findings.values("member_state_id").annotate(
            under_assessment=Count("pk", filter=Q(status=FindingStatus.UNDER_ASSESSMENT)),
            confirmed=Count("pk", filter=Q(status=FindingStatus.CONFIRMED)),
        )
    }


def period_kind_counts(records) -> Counter:
    """How many of ``records`` (Dublin performance or secondary movements) cover a month, and a quarter."""
    kinds = records.order_by().values("period_kind").annotate(count=Count("pk"))
    return Counter({row["period_kind"]: row["count"] for row in kinds})
