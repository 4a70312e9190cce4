"""The pages of systemic-shortcoming findings (AMMR Art. 60(3)): opened, edited, moved through their workflow,
and shown with their effect on the activations towards the state (asked of the pledges layer through
``compliance.hooks``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance import hooks, services
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
from compliance.forms import FINDING_TRANSITIONS, FindingEditForm, FindingForm
from compliance.models import Finding


def _finding(pk: int) -> Finding:
    return get_object_or_404(Finding.objects.select_related("member_state", "cycle"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def finding_create(request):
    return create_page(
        request,
        form_class=FindingForm,
        model=Finding,
        initial=cycle_initial(request),
        context={"title": "New systemic-shortcoming finding", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int):
    record = _finding(pk)
    return edit_page(
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
    context = {
        "finding": finding,
        "state": finding.member_state,
        "effect": effect,
        "can_manage": request.user.has_perm("compliance.manage", finding),
        "transition_form": shown_transition_form(request, finding, FINDING_TRANSITIONS, transition_form),
        "transition_url": reverse("compliance:finding-transition", args=[finding.pk]),
        **history_context(request, finding),
    }
    return render(request, "compliance/finding_detail.html", context, status=status)


@login_required
@require_GET
def finding_detail(request, pk: int):
    require_view(request)
    return _finding_page(request, _finding(pk))


@login_required
@require_POST
def finding_transition(request, pk: int):
    return transition_page(
        request,
        _finding(pk),
        labels=FINDING_TRANSITIONS,
        apply=lambda finding, **step: services.finding_transition(finding=finding, **step),
        show=_finding_page,
    )
