"""What-if scenarios of a cycle's key: the side-by-side page, and building, changing and deleting one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from solidarity.domain import hooks
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.forms import ScenarioDeleteForm, ScenarioEditForm, ScenarioForm
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.domain.scenarios import (
    scenario_create,
    scenario_delete,
    scenario_fair_shares,
    scenario_update,
    scenarios_side_by_side,
    scenarios_visible_to,
)
from solidarity.platform.errors import DomainError
from solidarity.platform.history import object_history

# Side by side, a table stays readable with this many scenarios; the reader picks which.
MAX_COMPARED = 4


def _cycle(year: int) -> SolidarityCycle:
    return get_object_or_404(SolidarityCycle, year=year)


def _compared(request, scenarios: list) -> list:
    chosen = request.GET.getlist("compare")
    if chosen:
        picked = [scenario for scenario in scenarios if str(scenario.pk) in chosen]
    else:
        picked = sorted(scenarios, key=lambda scenario: scenario.created_at, reverse=True)
    return picked[:MAX_COMPARED]


@login_required
def scenario_list(request, year: int):
    cycle = _cycle(year)
    scenarios = list(scenarios_visible_to(request.user, cycle.scenarios.all()))
    compared = _compared(request, scenarios)
    try:
        official_rows, comparisons = scenarios_side_by_side(cycle, compared, viewer=request.user)
        key_error = ""
    except FairShareError as error:
        official_rows, comparisons, key_error = [], [], str(error)
    rows = [
        {
            "official": official,
            "scenarios": [comparison.rows[index].scenario if comparison.rows else None for comparison in comparisons],
        }
        for index, official in enumerate(official_rows)
    ]
    return render(
        request,
        "solidarity/scenarios.html",
        {
            "cycle": cycle,
            "scenarios": scenarios,
            "comparisons": comparisons,
            "compared_ids": {scenario.pk for scenario in compared},
            "rows": rows,
            "key_error": key_error,
            "max_compared": MAX_COMPARED,
            "may_add": request.user.has_perm("solidarity.add_scenario"),
        },
    )


def _key_states():
    return list(MemberState.objects.order_by("protocol_order"))


@login_required
@require_http_methods(["GET", "POST"])
def scenario_new(request, year: int):
    cycle = _cycle(year)
    if not request.user.has_perm("solidarity.add_scenario"):
        raise PermissionDenied("Only negotiators and the coordinator build scenarios.")
    states = _key_states()
    if request.method == "POST":
        form = ScenarioForm(request.POST, states=states)
        if form.is_valid():
            try:
                scenario = scenario_create(
                    cycle=cycle, actor=request.user, reason=form.cleaned_data["reason"], **form.service_values()
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, f"Scenario “{scenario.title}” saved.")
                return redirect("scenario", pk=scenario.pk)
        status = 400
    else:
        initial = ScenarioForm.initial_from(cycle)
        initial["states_in_key"] = [state.code for state in states if cycle.counts_in_key(state)]
        initial["deductions"] = ", ".join(
            f"{code} {percent}" for code, percent in hooks.granted_deductions_percent(cycle).items()
        )
        form, status = ScenarioForm(initial=initial, states=states), 200
    return render(request, "solidarity/scenario_form.html", {"cycle": cycle, "form": form}, status=status)


def _visible_scenario(user, pk: int):
    scenario = scenarios_visible_to(user).filter(pk=pk).first()
    if scenario is None:
        # Another delegation's private scenario is as unknown as one that does not exist.
        raise Http404("No such scenario.")
    return scenario


def _detail(request, scenario, *, edit_form=None, delete_form=None, status: int = 200):
    may_change = request.user.has_perm("solidarity.change_scenario", scenario)
    if may_change and edit_form is None:
        edit_form = ScenarioEditForm(initial=ScenarioForm.initial_from(scenario), states=_key_states())
    if request.user.has_perm("solidarity.delete_scenario", scenario) and delete_form is None:
        delete_form = ScenarioDeleteForm(initial={"version": scenario.version}, prefix="delete")
    try:
        rows, key_error = scenario_fair_shares(scenario, viewer=request.user), ""
    except FairShareError as error:
        rows, key_error = [], str(error)
    entries, has_more = object_history(scenario)
    return render(
        request,
        "solidarity/scenario.html",
        {
            "scenario": scenario,
            "cycle": scenario.cycle,
            "rows": rows,
            "key_error": key_error,
            "edit_form": edit_form if may_change else None,
            "delete_form": delete_form,
            "entries": entries,
            "has_more": has_more,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scenario_detail(request, pk: int):
    scenario = _visible_scenario(request.user, pk)
    if request.method == "GET":
        return _detail(request, scenario)
    if not request.user.has_perm("solidarity.change_scenario", scenario):
        raise PermissionDenied("Only the delegation that built a scenario changes it.")
    form = ScenarioEditForm(request.POST, states=_key_states())
    if form.is_valid():
        try:
            scenario_update(
                scenario=scenario,
                changes=form.service_values(),
                expected_version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_domain_error(error)
            return _detail(request, scenario, edit_form=form, status=error.status)
        messages.success(request, "Scenario saved.")
        return redirect("scenario", pk=scenario.pk)
    return _detail(request, scenario, edit_form=form, status=400)


@login_required
@require_POST
def scenario_remove(request, pk: int):
    scenario = _visible_scenario(request.user, pk)
    if not request.user.has_perm("solidarity.delete_scenario", scenario):
        raise PermissionDenied("Only the delegation that built a scenario deletes it.")
    form = ScenarioDeleteForm(request.POST, prefix="delete")
    if form.is_valid():
        try:
            scenario_delete(
                scenario=scenario,
                expected_version=form.cleaned_data["version"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_domain_error(error)
            return _detail(request, scenario, delete_form=form, status=error.status)
        messages.success(request, f"Scenario “{scenario.title}” deleted; its history is kept.")
        return redirect(reverse("scenarios", args=[scenario.cycle.year]))
    return _detail(request, scenario, delete_form=form, status=400)
