"""The compliance pages that read across records: the overview of all states, a state's page and the
early-warning list of benchmarks at risk or missed (AMMR Art. 60(3) for the findings they show).

Their filters choose with the page's own forms and filter with the API's FilterSets (``compliance.filters``).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from compliance import charts, hooks, summaries
from compliance.filters import BenchmarkFilter, DublinPerformanceFilter, FindingFilter, SecondaryMovementFilter
from compliance.form_views import require_view
from compliance.forms import EarlyWarningFilterForm, OverviewFilterForm, PeriodFilterForm
from compliance.models import Benchmark, DublinPerformance, Finding, FindingStatus, SecondaryMovementIndicator
from compliance.periods import most_common_kind, period_label
from compliance.selectors import period_kind_counts
from solidarity.domain.models import MemberState

OPEN_FINDING = [FindingStatus.UNDER_ASSESSMENT, FindingStatus.CONFIRMED]


@login_required
@require_GET
def overview(request):
    """Every state: its latest Dublin rates, the status of its benchmarks and its open findings."""
    require_view(request)
    form = OverviewFilterForm.from_query(request.GET)
    cycle = form.filterset_data()
    benchmarks = BenchmarkFilter(cycle, queryset=Benchmark.objects.all()).qs
    open_findings = FindingFilter({**cycle, "status": OPEN_FINDING}, queryset=Finding.objects.all()).qs
    context = {
        "form": form,
        "year": form.cycle_year(),
        **summaries.overview(benchmarks, open_findings, today=timezone.localdate()),
        "can_manage": request.user.has_perm("compliance.manage"),
    }
    return render(request, "compliance/overview.html", context)


@login_required
@require_GET
def state_page(request, code: str):
    """One state: Dublin performance over time, secondary movements, action plans and findings."""
    require_view(request)
    state = get_object_or_404(MemberState, code=code.upper())
    dublin = DublinPerformance.objects.filter(member_state=state)
    secondary = SecondaryMovementIndicator.objects.filter(member_state=state)
    dublin_kinds, secondary_kinds = period_kind_counts(dublin), period_kind_counts(secondary)
    default_kind = most_common_kind(dublin_kinds + secondary_kinds)
    form = PeriodFilterForm(request.GET or None, initial={"period_kind": default_kind})
    periods = form.filterset_data(default_kind)
    dublin_shown = list(DublinPerformanceFilter(periods, queryset=dublin.order_by("period_start", "period_kind")).qs)
    secondary_shown = list(
        SecondaryMovementFilter(periods, queryset=secondary.order_by("period_start", "period_kind")).qs
    )
    kind = periods["period_kind"]
    label = period_label(kind)
    context = {
        "state": state,
        "form": form,
        "kind": kind,
        "dublin": [(r, label(r.period_start)) for r in dublin_shown],
        "dublin_total": dublin_kinds.total(),
        "dublin_charts": charts.dublin_charts(dublin_shown, kind),
        "secondary": [(r, label(r.period_start)) for r in secondary_shown],
        "secondary_total": secondary_kinds.total(),
        "secondary_chart": charts.secondary_chart(secondary_shown, kind),
        "plans": summaries.state_plans(state, today=timezone.localdate()),
        "findings": hooks.findings_with_effect(viewer=request.user, state=state),
        "can_manage": request.user.has_perm("compliance.manage"),
    }
    return render(request, "compliance/state.html", context)


@login_required
@require_GET
def early_warning(request):
    """Benchmarks at risk (behind the line to their target) or missed, soonest due first."""
    require_view(request)
    form = EarlyWarningFilterForm(request.GET or None)
    benchmarks = BenchmarkFilter(form.filterset_data(), queryset=Benchmark.objects.all()).qs
    rows = summaries.early_warning(benchmarks, wanted=form.wanted_statuses(), today=timezone.localdate())
    return render(request, "compliance/early_warning.html", {"form": form, "rows": rows})
