"""Compliance pages: the overview of all states, a state's page, the early-warning list, and the forms with
which compliance officers record Dublin performance, action plans, benchmarks and findings (AMMR Art. 60(3)).

Every member reads these pages; only compliance officers write (403 for others, nothing written). Writes go
through ``compliance.services``; each page loads what it shows in a fixed number of queries.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance import charts, hooks, services
from compliance.forms import (
    ACTION_PLAN_TRANSITIONS,
    ALL,
    FINDING_TRANSITIONS,
    ActionPlanForm,
    BenchmarkEditForm,
    BenchmarkForm,
    DublinFilterForm,
    DublinPerformanceEditForm,
    DublinPerformanceForm,
    EarlyWarningFilterForm,
    FindingEditForm,
    FindingForm,
    MeasurementForm,
    OverviewFilterForm,
    SecondaryMovementEditForm,
    SecondaryMovementForm,
    TransitionForm,
    record_values,
)
from compliance.models import (
    ActionPlan,
    Benchmark,
    DublinPerformance,
    Finding,
    FindingStatus,
    Measurement,
    PeriodKind,
    SecondaryMovementIndicator,
)
from compliance.selectors import (
    BenchmarkStatus,
    benchmark_status,
    benchmarks_with_measurements,
    expected_value,
    latest_measurement,
)
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.errors import DomainError, NotPermitted, StaleVersion
from solidarity.platform.history import object_history

STATUS_ORDER = (
    BenchmarkStatus.MET,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.MISSED,
    BenchmarkStatus.NO_DATA,
)
OPEN_FINDING = (FindingStatus.UNDER_ASSESSMENT, FindingStatus.CONFIRMED)

DETAIL_URLS = {
    DublinPerformance: "compliance:dublin-detail",
    SecondaryMovementIndicator: "compliance:secondary-detail",
    ActionPlan: "compliance:action-plan-detail",
    Benchmark: "compliance:benchmark-detail",
    Finding: "compliance:finding-detail",
}


# Shared pieces ------------------------------------------------------------------------------------------


def _require_view(request) -> None:
    if not request.user.has_perm("compliance.view"):
        raise PermissionDenied


def _require_manage(request, obj=None) -> None:
    if not request.user.has_perm("compliance.manage", obj):
        raise PermissionDenied("Only compliance officers record compliance data.")


def detail_url(record) -> str:
    if isinstance(record, Measurement):
        return reverse("compliance:benchmark-detail", args=[record.benchmark_id])
    return reverse(DETAIL_URLS[type(record)], args=[record.pk])


def _refuse(form, error: DomainError) -> int:
    """Show a service's refusal on the form; the HTTP status says what kind of refusal it was."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message)
    form.add_domain_error(error)
    return error.status


def _display(record, name: str):
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if field.choices:
        value = getattr(record, f"get_{name}_display")()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return None if value == "" else value


def _field_rows(record, form_class) -> list[tuple[str, object]]:
    """(label, value) for each field a form edits, as the record stores it now."""
    return [(form_class.base_fields[name].label, _display(record, name)) for name in form_class._meta.fields]


def _history(request, record) -> dict:
    try:
        page = max(int(request.GET.get("history_page", 1)), 1)
    except ValueError:
        page = 1
    entries, has_more = object_history(record, page=page)
    return {"entries": entries, "has_more": has_more, "next_history_page": page + 1}


def _today() -> datetime.date:
    return timezone.localdate()


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
        return expected_value(self.benchmark, self.latest.date).quantize(Decimal("0.01"))

    @property
    def days_to_due(self) -> int:
        return (self.benchmark.due_date - self.today).days

    @property
    def days_overdue(self) -> int:
        return -self.days_to_due


def _benchmark_rows(benchmarks, today: datetime.date) -> list[BenchmarkRow]:
    """Status of each benchmark from its prefetched measurements (see ``benchmarks_with_measurements``)."""
    rows = []
    for benchmark in benchmarks:
        latest = latest_measurement(benchmark)
        rows.append(BenchmarkRow(benchmark, latest, benchmark_status(benchmark, latest, today=today), today))
    return rows


def _status_counts(rows: list[BenchmarkRow]) -> list[dict]:
    counts = Counter(row.status for row in rows)
    return [{"status": s, "label": BenchmarkStatus.LABELS[s], "count": counts[s]} for s in STATUS_ORDER]


def _cycle_default(request, form_class):
    """Bind a filter form to the query, or to the current cycle when the query names none."""
    if "cycle" in request.GET:
        return form_class(request.GET)
    current = SolidarityCycle.objects.current()
    return form_class({**request.GET.dict(), "cycle": str(current.year) if current else ALL})


# Overview -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def overview(request):
    """Every state: its latest Dublin rates, the status of its benchmarks and its open findings."""
    _require_view(request)
    form = _cycle_default(request, OverviewFilterForm)
    year = form.cycle_year()
    states = list(MemberState.objects.all())
    # The latest period of each state; for the same end date, the month (the later start) is the freshest.
    latest_pk = (
        DublinPerformance.objects.filter(member_state=OuterRef("member_state"))
        .order_by("-period_end", "-period_start")
        .values("pk")[:1]
    )
    latest = {r.member_state_id: r for r in DublinPerformance.objects.filter(pk=Subquery(latest_pk))}
    benchmarks = Benchmark.objects.all() if year is None else Benchmark.objects.filter(action_plan__cycle__year=year)
    rows_by_state = defaultdict(list)
    for row in _benchmark_rows(benchmarks_with_measurements(benchmarks), _today()):
        rows_by_state[row.benchmark.action_plan.member_state_id].append(row)
    findings = Finding.objects.filter(status__in=OPEN_FINDING)
    if year is not None:
        findings = findings.filter(cycle__year=year)
    open_findings = {
        f["member_state_id"]: f
        for f in findings.values("member_state_id").annotate(
            under_assessment=Count("pk", filter=Q(status=FindingStatus.UNDER_ASSESSMENT)),
            confirmed=Count("pk", filter=Q(status=FindingStatus.CONFIRMED)),
        )
    }
    table = []
    for state in states:
        counts = open_findings.get(state.code, {})
        table.append(
            {
                "state": state,
                "latest": latest.get(state.code),
                "period": _record_period(latest[state.code]) if state.code in latest else "",
                "statuses": _status_counts(rows_by_state[state.code]),
                "benchmarks": len(rows_by_state[state.code]),
                "under_assessment": counts.get("under_assessment", 0),
                "confirmed": counts.get("confirmed", 0),
            }
        )
    all_rows = [row for rows in rows_by_state.values() for row in rows]
    context = {
        "form": form,
        "year": year,
        "table": table,
        "status_headers": [{"status": s, "label": BenchmarkStatus.LABELS[s]} for s in STATUS_ORDER],
        "totals": _status_counts(all_rows),
        "total_under_assessment": sum(row["under_assessment"] for row in table),
        "total_confirmed": sum(row["confirmed"] for row in table),
        "can_manage": request.user.has_perm("compliance.manage"),
    }
    return render(request, "compliance/overview.html", context)


# State page ---------------------------------------------------------------------------------------------


def _period_label(kind: str):
    if kind == PeriodKind.QUARTER:
        return lambda date: f"Q{(date.month - 1) // 3 + 1} {date.year}"
    return lambda date: date.strftime("%b %Y")


def _record_period(record) -> str:
    return _period_label(record.period_kind)(record.period_start)


def _filter_periods(records: list, form: DublinFilterForm, default_kind: str) -> tuple[list, str]:
    """Records of the chosen kind and range. Months and quarters are not mixed unless asked: a rate over a
    quarter drawn beside monthly rates would read as a jump."""
    if form.is_bound and form.is_valid():
        kind, since, until = form.cleaned_data["period_kind"], form.cleaned_data["since"], form.cleaned_data["until"]
    else:
        kind, since, until = default_kind, None, None
    chosen = [
        r
        for r in records
        if (not kind or r.period_kind == kind)
        and (since is None or r.period_end >= since)
        and (until is None or r.period_start <= until)
    ]
    return chosen, kind


def _dublin_charts(records: list[DublinPerformance], kind: str) -> list[charts.LineChart]:
    dates = [r.period_start for r in records]
    label = _period_label(kind)
    return [
        charts.line_chart(
            chart_id="dublin-rates",
            title="Acceptance and transfer rates",
            unit="%",
            dates=dates,
            series=[
                ("Acceptance rate", [r.acceptance_rate for r in records]),
                ("Transfer rate", [r.transfer_rate for r in records]),
            ],
            date_label=label,
        ),
        charts.line_chart(
            chart_id="dublin-delays",
            title="Average delays",
            unit="days",
            dates=dates,
            series=[
                ("Reply to a request", [r.average_reply_days for r in records]),
                ("Transfer after acceptance", [r.average_transfer_days for r in records]),
            ],
            date_label=label,
        ),
    ]


def _secondary_chart(records: list[SecondaryMovementIndicator], kind: str) -> charts.LineChart:
    return charts.line_chart(
        chart_id="secondary-movements",
        title="Secondary movements and reception",
        unit="%",
        dates=[r.period_start for r in records],
        series=[
            ("Applications from secondary movements", [r.secondary_movement_share_percent for r in records]),
            ("Reception occupancy", [r.reception_occupancy_percent for r in records]),
        ],
        date_label=_period_label(kind),
    )


def _most_common_kind(*record_lists) -> str:
    counts = Counter(r.period_kind for records in record_lists for r in records)
    if not counts:
        return PeriodKind.MONTH
    return max(PeriodKind.values, key=lambda kind: counts[kind])  # a tie keeps months, listed first


@login_required
@require_GET
def state_page(request, code: str):
    """One state: Dublin performance over time, secondary movements, action plans and findings."""
    _require_view(request)
    state = get_object_or_404(MemberState, code=code.upper())
    form = DublinFilterForm(request.GET or None)
    dublin = list(DublinPerformance.objects.filter(member_state=state).order_by("period_start", "period_kind"))
    secondary = list(
        SecondaryMovementIndicator.objects.filter(member_state=state).order_by("period_start", "period_kind")
    )
    default_kind = _most_common_kind(dublin, secondary)
    if not form.is_bound:
        form = DublinFilterForm(initial={"period_kind": default_kind})
    dublin_shown, kind = _filter_periods(dublin, form, default_kind)
    secondary_shown, _ = _filter_periods(secondary, form, default_kind)
    label = _period_label(kind)

    plans = list(ActionPlan.objects.filter(member_state=state).select_related("cycle").order_by("-cycle__year"))
    rows_by_plan = defaultdict(list)
    benchmarks = benchmarks_with_measurements(Benchmark.objects.filter(action_plan__member_state=state))
    for row in _benchmark_rows(benchmarks, _today()):
        rows_by_plan[row.benchmark.action_plan_id].append(row)

    context = {
        "state": state,
        "form": form,
        "kind": kind,
        "dublin": [(r, label(r.period_start)) for r in dublin_shown],
        "dublin_total": len(dublin),
        "dublin_charts": _dublin_charts(dublin_shown, kind),
        "secondary": [(r, label(r.period_start)) for r in secondary_shown],
        "secondary_total": len(secondary),
        "secondary_chart": _secondary_chart(secondary_shown, kind),
        "plans": [
            {"plan": plan, "rows": rows_by_plan[plan.pk], "statuses": _status_counts(rows_by_plan[plan.pk])}
            for plan in plans
        ],
        "findings": hooks.findings_with_effect(viewer=request.user, state=state),
        "can_manage": request.user.has_perm("compliance.manage"),
    }
    return render(request, "compliance/state.html", context)


# Early warning ------------------------------------------------------------------------------------------


@login_required
@require_GET
def early_warning(request):
    """Benchmarks at risk (behind the line to their target) or missed, soonest due first."""
    _require_view(request)
    form = EarlyWarningFilterForm(request.GET or None)
    benchmarks = Benchmark.objects.all()
    wanted = {BenchmarkStatus.AT_RISK, BenchmarkStatus.MISSED}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["cycle"] and data["cycle"] != ALL:
            benchmarks = benchmarks.filter(action_plan__cycle__year=int(data["cycle"]))
        if data["member_state"]:
            benchmarks = benchmarks.filter(action_plan__member_state=data["member_state"])
        if data["status"]:
            wanted = {data["status"]}
    rows = [row for row in _benchmark_rows(benchmarks_with_measurements(benchmarks), _today()) if row.status in wanted]
    rows.sort(key=lambda r: (r.benchmark.due_date, r.benchmark.action_plan.member_state.protocol_order, r.benchmark.pk))
    return render(request, "compliance/early_warning.html", {"form": form, "rows": rows})


# Records: create, edit, detail --------------------------------------------------------------------------


def _create_page(request, *, form_class, model, context: dict, initial=None, fixed=None):
    """A create form whose valid values go to ``compliance_record_create``; ``fixed`` values come from the URL."""
    _require_manage(request)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                record = services.compliance_record_create(
                    model=model,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    **record_values(form),
                    **(fixed or {}),
                )
            except DomainError as error:
                status = _refuse(form, error)
            else:
                messages.success(request, f"{model._meta.verbose_name.capitalize()} recorded.")
                return redirect(detail_url(record))
        else:
            status = 400
    else:
        form = form_class(initial=initial)
    return render(request, "compliance/record_form.html", {**context, "form": form}, status=status)


def _edit_page(request, *, record, form_class, context: dict):
    """An edit form carrying the version it was read at; a stale one is refused with the stored values."""
    _require_manage(request, record)
    status, stored = 200, None
    model = type(record)
    if request.method == "POST":
        form = form_class(request.POST, instance=record)
        if form.is_valid():
            try:
                record = services.compliance_record_update(
                    instance=record,
                    changes=record_values(form),
                    expected_version=form.cleaned_data["version"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except StaleVersion as error:
                current = model.objects.get(pk=record.pk)
                stored = _field_rows(current, form_class)
                # The user's values stay in the form, now at the stored version: saving again after comparing
                # them with what is stored is a deliberate choice, not a lost update.
                data = request.POST.copy()
                data["version"] = str(current.version)
                form = form_class(data, instance=current)
                form.is_valid()
                status = _refuse(form, error)
            except DomainError as error:
                status = _refuse(form, error)
            else:
                messages.success(request, f"{model._meta.verbose_name.capitalize()} saved.")
                return redirect(detail_url(record))
        else:
            status = 400
    else:
        form = form_class(instance=record, initial={"version": record.version})
    context = {**context, "form": form, "stale": form.stale, "stored": stored, "editing": True}
    return render(request, "compliance/record_form.html", context, status=status)


def _state_initial(request) -> dict:
    code = request.GET.get("state", "").upper()
    return {"member_state": code} if code else {}


def _cycle_initial(request) -> dict:
    current = SolidarityCycle.objects.current()
    return {**_state_initial(request), "cycle": current.pk} if current else _state_initial(request)


@login_required
@require_http_methods(["GET", "POST"])
def dublin_create(request):
    return _create_page(
        request,
        form_class=DublinPerformanceForm,
        model=DublinPerformance,
        initial=_state_initial(request),
        context={"title": "Record Dublin performance", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dublin_edit(request, pk: int):
    record = get_object_or_404(DublinPerformance.objects.select_related("member_state"), pk=pk)
    return _edit_page(
        request,
        record=record,
        form_class=DublinPerformanceEditForm,
        context={"title": f"Edit {record}", "state": record.member_state, "back": detail_url(record)},
    )


@login_required
@require_GET
def dublin_detail(request, pk: int):
    _require_view(request)
    record = get_object_or_404(DublinPerformance.objects.select_related("member_state"), pk=pk)
    derived = [
        ("Requests received", record.requests_received),
        ("Requests accepted", record.requests_accepted),
        ("Acceptance rate (%)", record.acceptance_rate),
        ("Transfer rate (%)", record.transfer_rate),
    ]
    label = _record_period(record)
    context = {
        "title": f"Dublin performance of {record.member_state.name}, {label}",
        "record": record,
        "state": record.member_state,
        "fields": _field_rows(record, DublinPerformanceEditForm),
        "derived": derived,
        "edit_url": reverse("compliance:dublin-edit", args=[record.pk]),
        "can_manage": request.user.has_perm("compliance.manage", record),
        **_history(request, record),
    }
    return render(request, "compliance/record_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def secondary_create(request):
    return _create_page(
        request,
        form_class=SecondaryMovementForm,
        model=SecondaryMovementIndicator,
        initial=_state_initial(request),
        context={"title": "Record secondary-movement indicators", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def secondary_edit(request, pk: int):
    record = get_object_or_404(SecondaryMovementIndicator.objects.select_related("member_state"), pk=pk)
    return _edit_page(
        request,
        record=record,
        form_class=SecondaryMovementEditForm,
        context={"title": f"Edit {record}", "state": record.member_state, "back": detail_url(record)},
    )


@login_required
@require_GET
def secondary_detail(request, pk: int):
    _require_view(request)
    record = get_object_or_404(SecondaryMovementIndicator.objects.select_related("member_state"), pk=pk)
    label = _record_period(record)
    context = {
        "title": f"Secondary movements towards {record.member_state.name}, {label}",
        "record": record,
        "state": record.member_state,
        "fields": _field_rows(record, SecondaryMovementEditForm),
        "edit_url": reverse("compliance:secondary-edit", args=[record.pk]),
        "can_manage": request.user.has_perm("compliance.manage", record),
        **_history(request, record),
    }
    return render(request, "compliance/record_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def action_plan_create(request):
    return _create_page(
        request,
        form_class=ActionPlanForm,
        model=ActionPlan,
        initial=_cycle_initial(request),
        context={"title": "New action plan", "back": reverse("compliance:overview")},
    )


def _available(record, labels: dict[str, str]) -> list[str]:
    return [t.name for t in record.get_available_status_transitions() if t.name in labels]


def _transition_form(record, labels: dict[str, str], data=None) -> TransitionForm:
    if data is not None:
        return TransitionForm(data, labels=labels)
    return TransitionForm(labels=labels, available=_available(record, labels))


def _shown_transition_form(request, record, labels: dict[str, str], posted: TransitionForm | None):
    """The transition form to show: a refused one keeps its errors and reason but offers only the steps
    possible now."""
    if not request.user.has_perm("compliance.manage", record):
        return None
    if posted is None:
        return _transition_form(record, labels)
    posted.fields["transition"].choices = [(name, labels[name]) for name in _available(record, labels)]
    return posted


def _action_plan_page(request, plan: ActionPlan, *, transition_form=None, status=200):
    rows = _benchmark_rows(benchmarks_with_measurements(plan.benchmarks.all()), _today())
    can_manage = request.user.has_perm("compliance.manage", plan)
    context = {
        "plan": plan,
        "state": plan.member_state,
        "rows": rows,
        "statuses": _status_counts(rows),
        "can_manage": can_manage,
        "transition_form": _shown_transition_form(request, plan, ACTION_PLAN_TRANSITIONS, transition_form),
        "transition_url": reverse("compliance:action-plan-transition", args=[plan.pk]),
        **_history(request, plan),
    }
    return render(request, "compliance/action_plan_detail.html", context, status=status)


@login_required
@require_GET
def action_plan_detail(request, pk: int):
    _require_view(request)
    plan = get_object_or_404(ActionPlan.objects.select_related("member_state", "cycle"), pk=pk)
    return _action_plan_page(request, plan)


@login_required
@require_POST
def action_plan_transition(request, pk: int):
    plan = get_object_or_404(ActionPlan.objects.select_related("member_state", "cycle"), pk=pk)
    _require_manage(request, plan)
    form = _transition_form(plan, ACTION_PLAN_TRANSITIONS, data=request.POST)
    if not form.is_valid():
        return _action_plan_page(request, plan, transition_form=form, status=400)
    try:
        plan = services.action_plan_transition(
            plan=plan,
            transition=form.cleaned_data["transition"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        status = _refuse(form, error)
        return _action_plan_page(request, plan, transition_form=form, status=status)
    messages.success(request, f"The action plan is now {plan.get_status_display().lower()}.")
    return redirect(detail_url(plan))


@login_required
@require_http_methods(["GET", "POST"])
def benchmark_create(request, plan_pk: int):
    plan = get_object_or_404(ActionPlan.objects.select_related("member_state", "cycle"), pk=plan_pk)
    return _create_page(
        request,
        form_class=BenchmarkForm,
        model=Benchmark,
        fixed={"action_plan": plan},
        context={"title": f"New benchmark of the {plan}", "state": plan.member_state, "back": detail_url(plan)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def benchmark_edit(request, pk: int):
    record = get_object_or_404(Benchmark.objects.select_related("action_plan__member_state"), pk=pk)
    return _edit_page(
        request,
        record=record,
        form_class=BenchmarkEditForm,
        context={
            "title": f"Edit the benchmark “{record.indicator}”",
            "state": record.action_plan.member_state,
            "back": detail_url(record),
        },
    )


@login_required
@require_GET
def benchmark_detail(request, pk: int):
    _require_view(request)
    benchmark = get_object_or_404(benchmarks_with_measurements(), pk=pk)
    today = _today()
    (row,) = _benchmark_rows([benchmark], today)
    measurements = list(benchmark.measurements.all())
    dates = sorted({benchmark.baseline_date, benchmark.due_date, *(m.date for m in measurements)})
    measured = {m.date: m.value for m in measurements}
    chart = charts.line_chart(
        chart_id="benchmark-progress",
        title=f"{benchmark.indicator}: measured values against the line to the target",
        unit=benchmark.unit,
        dates=dates,
        series=[
            (
                "Planned line from baseline to target",
                [expected_value(benchmark, d).quantize(Decimal("0.01")) for d in dates],
            ),
            ("Measured", [measured.get(d) for d in dates]),
        ],
        date_label=lambda d: f"{d.day} {d:%b %Y}",
        floor=None,
        x_noun="dates",
    )
    context = {
        "benchmark": benchmark,
        "row": row,
        "plan": benchmark.action_plan,
        "state": benchmark.action_plan.member_state,
        "measurements": [(m, expected_value(benchmark, m.date).quantize(Decimal("0.01"))) for m in measurements],
        "chart": chart,
        "can_manage": request.user.has_perm("compliance.manage", benchmark),
        **_history(request, benchmark),
    }
    return render(request, "compliance/benchmark_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def measurement_create(request, benchmark_pk: int):
    benchmark = get_object_or_404(
        Benchmark.objects.select_related("action_plan__member_state", "action_plan__cycle"), pk=benchmark_pk
    )
    return _create_page(
        request,
        form_class=MeasurementForm,
        model=Measurement,
        fixed={"benchmark": benchmark},
        initial={"date": _today()},
        context={
            "title": f"New measurement of “{benchmark.indicator}”",
            "state": benchmark.action_plan.member_state,
            "back": detail_url(benchmark),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_create(request):
    return _create_page(
        request,
        form_class=FindingForm,
        model=Finding,
        initial=_cycle_initial(request),
        context={"title": "New systemic-shortcoming finding", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int):
    record = get_object_or_404(Finding.objects.select_related("member_state", "cycle"), pk=pk)
    return _edit_page(
        request,
        record=record,
        form_class=FindingEditForm,
        context={"title": f"Edit the {record}", "state": record.member_state, "back": detail_url(record)},
    )


def _finding_page(request, finding: Finding, *, transition_form=None, status=200):
    effect = next(
        item
        for item in hooks.findings_with_effect(viewer=request.user, state=finding.member_state)
        if item["finding"].pk == finding.pk
    )
    can_manage = request.user.has_perm("compliance.manage", finding)
    context = {
        "finding": finding,
        "state": finding.member_state,
        "effect": effect,
        "can_manage": can_manage,
        "transition_form": _shown_transition_form(request, finding, FINDING_TRANSITIONS, transition_form),
        "transition_url": reverse("compliance:finding-transition", args=[finding.pk]),
        **_history(request, finding),
    }
    return render(request, "compliance/finding_detail.html", context, status=status)


@login_required
@require_GET
def finding_detail(request, pk: int):
    _require_view(request)
    finding = get_object_or_404(Finding.objects.select_related("member_state", "cycle"), pk=pk)
    return _finding_page(request, finding)


@login_required
@require_POST
def finding_transition(request, pk: int):
    finding = get_object_or_404(Finding.objects.select_related("member_state", "cycle"), pk=pk)
    _require_manage(request, finding)
    form = _transition_form(finding, FINDING_TRANSITIONS, data=request.POST)
    if not form.is_valid():
        return _finding_page(request, finding, transition_form=form, status=400)
    try:
        finding = services.finding_transition(
            finding=finding,
            transition=form.cleaned_data["transition"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        status = _refuse(form, error)
        return _finding_page(request, finding, transition_form=form, status=status)
    messages.success(request, f"The finding is now {finding.get_status_display().lower()}.")
    return redirect(detail_url(finding))
