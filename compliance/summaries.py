"""What the compliance pages show at a glance: a row per benchmark with its derived status, the counts per
status, the overview's row per state and a state's plans, each read in a fixed number of queries.

The status of a benchmark is ``selectors.benchmark_status`` of its latest measurement; this module only
gathers the records a page needs and groups them.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from compliance.models import ActionPlan, Benchmark, Measurement
from compliance.periods import record_period
from compliance.selectors import (
    BenchmarkStatus,
    benchmark_status,
    benchmarks_with_measurements,
    expected_value,
    latest_dublin_by_state,
    latest_measurement,
    open_finding_counts_by_state,
)
from solidarity.domain.models import MemberState

STATUS_ORDER = (
    BenchmarkStatus.MET,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.MISSED,
    BenchmarkStatus.NO_DATA,
)
CENTS = Decimal("0.01")


def planned_value(benchmark: Benchmark, on: datetime.date) -> Decimal:
    """Where the line from baseline to target stands on ``on``, to the cent, as the pages show it."""
    return expected_value(benchmark, on).quantize(CENTS)


@dataclass(frozen=True)
class BenchmarkRow:
    benchmark: Benchmark
    latest: Measurement | None
    status: str
    today: datetime.date

    @property
    def status_label(self) -> str:
        return BenchmarkStatus.LABELS[self.status]

    @property
    def expected_at_latest(self) -> Decimal | None:
        """Where the line from baseline to target stood when the latest value was measured."""
        if self.latest is None:
            return None
        return planned_value(self.benchmark, self.latest.date)

    @property
    def days_to_due(self) -> int:
        return (self.benchmark.due_date - self.today).days

    @property
    def days_overdue(self) -> int:
        return -self.days_to_due


def benchmark_rows(benchmarks, today: datetime.date) -> list[BenchmarkRow]:
    """Status of each benchmark from its prefetched measurements (see ``benchmarks_with_measurements``)."""
    rows = []
    for benchmark in benchmarks:
        latest = latest_measurement(benchmark)
        rows.append(BenchmarkRow(benchmark, latest, benchmark_status(benchmark, latest, today=today), today))
    return rows


def status_counts(rows: list[BenchmarkRow]) -> list[dict]:
    counts = Counter(row.status for row in rows)
    return [{"status": s, "label": BenchmarkStatus.LABELS[s], "count": counts[s]} for s in STATUS_ORDER]


def status_headers() -> list[dict]:
    return [{"status": s, "label": BenchmarkStatus.LABELS[s]} for s in STATUS_ORDER]


def overview(benchmarks, open_findings, *, today: datetime.date) -> dict:
    """Every state with its latest Dublin rates, the status of the given benchmarks and its counts of the
    given open findings (under assessment, confirmed), and the totals over all states."""
    rows_by_state = defaultdict(list)
    for row in benchmark_rows(benchmarks_with_measurements(benchmarks), today):
        rows_by_state[row.benchmark.action_plan.member_state_id].append(row)
    latest = latest_dublin_by_state()
    findings = open_finding_counts_by_state(open_findings)
    table = []
    for state in MemberState.objects.all():
        counts = findings.get(state.code, {})
        table.append(
            {
                "state": state,
                "latest": latest.get(state.code),
                "period": record_period(latest[state.code]) if state.code in latest else "",
                "statuses": status_counts(rows_by_state[state.code]),
                "benchmarks": len(rows_by_state[state.code]),
                "under_assessment": counts.get("under_assessment", 0),
                "confirmed": counts.get("confirmed", 0),
            }
        )
    return {
        "table": table,
        "status_headers": status_headers(),
        "totals": status_counts([row for rows in rows_by_state.values() for row in rows]),
        "total_under_assessment": sum(row["under_assessment"] for row in table),
        "total_confirmed": sum(row["confirmed"] for row in table),
    }


def state_plans(state: MemberState, *, today: datetime.date) -> list[dict]:
    """The state's action plans, newest cycle first, each with its benchmark rows and counts per status."""
    plans = ActionPlan.objects.filter(member_state=state).select_related("cycle").order_by("-cycle__year")
    rows_by_plan = defaultdict(list)
    benchmarks = benchmarks_with_measurements(Benchmark.objects.filter(action_plan__member_state=state))
    for row in benchmark_rows(benchmarks, today):
        rows_by_plan[row.benchmark.action_plan_id].append(row)
    return [
        {"plan": plan, "rows": rows_by_plan[plan.pk], "statuses": status_counts(rows_by_plan[plan.pk])}
        for plan in plans
    ]


def early_warning(benchmarks, *, wanted: set[str], today: datetime.date) -> list[BenchmarkRow]:
    """The rows of the benchmarks whose status is ``wanted``, soonest due first (then in protocol order)."""
    rows = [row for row in benchmark_rows(benchmarks_with_measurements(benchmarks), today) if row.status in wanted]
    rows.sort(key=lambda r: (r.benchmark.due_date, r.benchmark.action_plan.member_state.protocol_order, r.benchmark.pk))
    return rows


def measurements_against_line(benchmark: Benchmark) -> list[tuple[Measurement, Decimal]]:
    """Each prefetched measurement with where the planned line stood on its date."""
    return [(m, planned_value(benchmark, m.date)) for m in benchmark.measurements.all()]
