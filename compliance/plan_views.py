"""The pages of action plans, their benchmarks and the measurements of a benchmark: what a state committed
to, the workflow of its plan (draft, agreed, in progress, completed), and how far it got."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance import charts, services, summaries
from compliance.form_views import (
    create_page,
    cycle_initial,
    detail_url,
    edit_page,
    history_context,
    require_view,
    shown_transition_form,
    transition_page,
)
from compliance.forms import ACTION_PLAN_TRANSITIONS, ActionPlanForm, BenchmarkEditForm, BenchmarkForm, MeasurementForm
from compliance.models import ActionPlan, Benchmark, Measurement
from compliance.selectors import benchmarks_with_measurements


def _plan(pk: int) -> ActionPlan:
    return get_object_or_404(ActionPlan.objects.select_related("member_state", "cycle"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def action_plan_create(request):
    return create_page(
        request,
        form_class=ActionPlanForm,
        model=ActionPlan,
        initial=cycle_initial(request),
        context={"title": "New action plan", "back": reverse("compliance:overview")},
    )


def _action_plan_page(request, plan: ActionPlan, *, transition_form=None, status=200):
    rows = summaries.benchmark_rows(benchmarks_with_measurements(plan.benchmarks.all()), timezone.localdate())
    context = {
        "plan": plan,
        "state": plan.member_state,
        "rows": rows,
        "statuses": summaries.status_counts(rows),
        "can_manage": request.user.has_perm("compliance.manage", plan),
        "transition_form": shown_transition_form(request, plan, ACTION_PLAN_TRANSITIONS, transition_form),
        "transition_url": reverse("compliance:action-plan-transition", args=[plan.pk]),
        **history_context(request, plan),
    }
    return render(request, "compliance/action_plan_detail.html", context, status=status)


@login_required
@require_GET
def action_plan_detail(request, pk: int):
    require_view(request)
    return _action_plan_page(request, _plan(pk))


@login_required
@require_POST
def action_plan_transition(request, pk: int):
    return transition_page(
        request,
        _plan(pk),
        labels=ACTION_PLAN_TRANSITIONS,
        apply=lambda plan, **step: services.action_plan_transition(plan=plan, **step),
        show=_action_plan_page,
    )


@login_required
@require_http_methods(["GET", "POST"])
def benchmark_create(request, plan_pk: int):
    plan = _plan(plan_pk)
    return create_page(
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
    return edit_page(
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
    require_view(request)
    benchmark = get_object_or_404(benchmarks_with_measurements(), pk=pk)
    (row,) = summaries.benchmark_rows([benchmark], timezone.localdate())
    context = {
        "benchmark": benchmark,
        "row": row,
        "plan": benchmark.action_plan,
        "state": benchmark.action_plan.member_state,
        "measurements": summaries.measurements_against_line(benchmark),
        "chart": charts.benchmark_chart(benchmark),
        "can_manage": request.user.has_perm("compliance.manage", benchmark),
        **history_context(request, benchmark),
    }
    return render(request, "compliance/benchmark_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def measurement_create(request, benchmark_pk: int):
    benchmark = get_object_or_404(
        Benchmark.objects.select_related("action_plan__member_state", "action_plan__cycle"), pk=benchmark_pk
    )
    return create_page(
        request,
        form_class=MeasurementForm,
        model=Measurement,
        fixed={"benchmark": benchmark},
        initial={"date": timezone.localdate()},
        context={
            "title": f"New measurement of “{benchmark.indicator}”",
            "state": benchmark.action_plan.member_state,
            "back": detail_url(benchmark),
        },
    )
