"""The benchmark's table and its targets."""

from dataclasses import dataclass, field

from bench.load import LoadResult
from bench.lost_update import LostUpdateResult
from bench.queries import QueryCount

FLOOR = "health"


@dataclass
class Row:
    key: str
    label: str
    request: str
    result: LoadResult
    queries: QueryCount | None
    rss_mb: float | None
    floor_rps: float = 0.0
    app_cpu_ms: float | None = None  # CPU of the gunicorn workers per request
    db_cpu_ms: float | None = None  # CPU of their PostgreSQL backends per request

    @property
    def ratio(self) -> float | None:
        return self.result.rps / self.floor_rps if self.floor_rps else None


@dataclass(frozen=True)
class Target:
    key: str  # the row it concerns
    text: str
    check: object  # Row -> bool


@dataclass
class Report:
    machine: dict[str, str]
    settings: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    lost_update: LostUpdateResult | None = None
    seed: dict = field(default_factory=dict)

    def row(self, key: str) -> Row | None:
        return next((row for row in self.rows if row.key == key), None)


TARGETS = [
    Target("pledge_list", "pledge list >= 0.15 x floor", lambda r: r.ratio is not None and r.ratio >= 0.15),
    Target("pledge_list", "pledge list p95 <= 50 ms", lambda r: r.result.p95_ms <= 50),
    Target("pledge_detail", "pledge detail >= 0.2 x floor", lambda r: r.ratio is not None and r.ratio >= 0.2),
    Target("matrix", "position matrix p95 <= 100 ms", lambda r: r.result.p95_ms <= 100),
    Target("fair_shares", "fair-share table p95 <= 100 ms", lambda r: r.result.p95_ms <= 100),
    Target("audit_api", "audit log (history/, by object) p95 <= 50 ms", lambda r: r.result.p95_ms <= 50),
    Target("audit_page", "audit log page (by object) p95 <= 50 ms", lambda r: r.result.p95_ms <= 50),
]


def target_results(report: Report) -> list[tuple[str, bool | None, str]]:
    """(target, met or None when not measured, the measured value in words)."""
    results = []
    for target in TARGETS:
        row = report.row(target.key)
        if row is None:
            results.append((target.text, None, "not run"))
            continue
        ratio = f"{row.ratio:.2f} x floor, " if row.ratio is not None else ""
        results.append((target.text, bool(target.check(row)), f"{ratio}p95 {row.result.p95_ms:.1f} ms"))
    errors = sum(row.result.errors for row in report.rows)
    results.append(("0 errors", errors == 0 if report.rows else None, f"{errors} errors"))
    counted = [row for row in report.rows if row.queries is not None]
    varying = [row.label for row in counted if not row.queries.constant]
    results.append(
        (
            "queries per request constant",
            not varying if counted else None,
            "constant on every endpoint" if not varying else "varies: " + ", ".join(varying),
        )
    )
    if report.lost_update is not None:
        lost = report.lost_update
        results.append(
            (
                "no lost update (16 clients, If-Match, retry on 412)",
                lost.ok,
                f"{lost.accepted} accepted, {lost.applied} applied, {lost.lost} lost, {lost.duplicated} duplicated, "
                f"{lost.retries_on_412} retries on 412, {len(lost.errors)} errors",
            )
        )
    return results


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown_table(report: Report) -> str:
    lines = [
        "| endpoint | request | req/s | x floor | p50 ms | p95 ms | errors | SQL queries / request "
        "| CPU ms / request: app + db | worker RSS MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report.rows:
        errors = str(row.result.errors)
        if row.result.bad_status:
            errors += f" (first: {row.result.first_bad_status})"
        lines.append(
            f"| {row.label} | `{row.request}` | {_number(row.result.rps, 0)} | {_number(row.ratio, 2)} | "
            f"{_number(row.result.p50_ms)} | {_number(row.result.p95_ms)} | {errors} | "
            f"{row.queries if row.queries is not None else '-'} | "
            f"{_number(row.app_cpu_ms)} + {_number(row.db_cpu_ms)} | {_number(row.rss_mb, 0)} |"
        )
    return "\n".join(lines)


def markdown_targets(report: Report) -> str:
    lines = ["| target | met | measured |", "| --- | --- | --- |"]
    for text, met, measured in target_results(report):
        lines.append(f"| {text} | {'-' if met is None else 'yes' if met else '**no**'} | {measured} |")
    return "\n".join(lines)


def markdown(report: Report) -> str:
    machine = ", ".join(f"{k}: {v}" for k, v in report.machine.items())
    setup = ", ".join(f"{k}: {v}" for k, v in report.settings.items())
    if report.seed.get("seeded"):
        seeding = f"seeded into `{report.seed['template']}` in {report.seed['seed_seconds']:.0f} s, then copied"
    else:
        seeding = f"copied from the template `{report.seed.get('template', '?')}` seeded by an earlier run"
    parts = [
        f"Machine: {machine}.",
        "",
        f"Set-up: {setup}; the database `{report.seed.get('database', '?')}` {seeding}.",
        "",
        markdown_table(report),
        "",
        markdown_targets(report),
    ]
    if report.lost_update is not None:
        lost = report.lost_update
        parts += [
            "",
            f"Lost-update check: {lost.clients} clients on {lost.pledges} pledges for {lost.seconds:.1f} s: "
            f"{lost.accepted} updates accepted, {lost.retries_on_412} answers 412 (each retried), "
            f"{lost.applied} applied in the database, {lost.lost} lost, {lost.duplicated} applied twice, "
            f"{lost.amount_mismatches} amount and {lost.version_mismatches} version mismatches"
            + (f", errors: {'; '.join(lost.errors[:3])}" if lost.errors else "")
            + ".",
        ]
    return "\n".join(parts)
