"""Pages of deduction requests (AMMR Arts 61-62): the list, the request of an official for its state, and a
request with the coordinator's form for the Commission's assessment and the Council's decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pledges.implementation import exports
from pledges.implementation.filters import DeductionRequestFilter
from pledges.implementation.forms import DeductionDecideForm, DeductionFilterForm, DeductionRequestForm
from pledges.implementation.selectors import assessment_due, cycles_open_to_deduction_requests, designations_of
from pledges.implementation.view_support import (
    BadFormat,
    all_cycles,
    attempt,
    cycle_from_query,
    export_format,
    history_context,
    keep_current_version,
    list_context,
    locked_at_version,
    paginate,
    stale_notice,
    status_code,
)
from pledges.pledging.models import DeductionRequest, PledgeKind
from pledges.pledging.selectors import deductions_visible_to
from pledges.pledging.services import deduction_decide, deduction_request


def _may_request_deduction(user) -> bool:
    return bool(user.member_state_id) and user.has_perm(
        "pledges.request_deduction", DeductionRequest(member_state_id=user.member_state_id)
    )


@login_required
@require_GET
def deduction_list(request):
    try:
        download = export_format(request)
    except BadFormat as error:
        return error.response()
    filters = DeductionRequestFilter(
        request.GET or None,
        queryset=deductions_visible_to(request.user),
        request=request,
        form_class=DeductionFilterForm,
    )
    if download:
        return exports.deductions(download, filters.qs)
    page_obj = paginate(request, filters.qs)
    for deduction in page_obj:
        deduction.assessment_due = assessment_due(deduction)
    context = list_context(request, filters, page_obj)
    context["may_request"] = _may_request_deduction(request.user)
    return render(request, "pledges/implementation/deductions.html", context)


def _request_page(request, cycle, cycles, form: DeductionRequestForm, status: int | None):
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "form": form,
        "form_action": f"{reverse('pledges:deduction-request')}?cycle={cycle.year}",
        "designations": designations_of(cycle, request.user.member_state_id),
    }
    return render(request, "pledges/implementation/deduction_request.html", context, status=status_code(status))


def _request(request, cycle, form: DeductionRequestForm):
    data = form.cleaned_data
    return attempt(
        form,
        lambda: deduction_request(
            cycle=cycle,
            article=data["article"],
            scope=data["scope"],
            requested_percent=data["requested_percent"],
            grounds=data["grounds"],
            actor=request.user,
            reason=data["reason"],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def deduction_request_view(request):
    """An official asks for a full or partial deduction of its state's contributions (AMMR Arts 61-62)."""
    if not _may_request_deduction(request.user):
        raise PermissionDenied("Only an official of a Member State requests a deduction for its state.")
    cycles = cycles_open_to_deduction_requests(all_cycles())
    cycle = cycle_from_query(request, cycles)
    if cycle not in cycles:  # no cycle yet, or the current one is closed
        raise Http404("There is no open cycle to request a deduction in.")
    if request.method != "POST":
        return _request_page(request, cycle, cycles, DeductionRequestForm(), None)
    form = DeductionRequestForm(request.POST)
    if not form.is_valid():
        return _request_page(request, cycle, cycles, form, 400)
    deduction, status = _request(request, cycle, form)
    if status is not None:
        return _request_page(request, cycle, cycles, form, status)
    messages.success(
        request,
        f"Deduction requested for {deduction.member_state_id} in {cycle.year}. The Commission assesses "
        "it within four weeks; the Council decides by implementing act.",
    )
    return redirect("pledges:deduction", pk=deduction.pk)


def _deduction_or_404(request, pk: int) -> DeductionRequest:
    deduction = deductions_visible_to(request.user).filter(pk=pk).first()
    if deduction is None:
        raise Http404("No such deduction request is visible to you.")
    return deduction


def _decisions(deduction: DeductionRequest, user) -> list[str]:
    """The decisions the workflow lets ``user`` take on ``deduction`` now, in the order of the form."""
    available = {t.name for t in deduction.get_available_user_status_transitions(user)}
    return [name for name in DeductionRequest.TRANSITIONS if name in available]


def _deduction_page(request, deduction: DeductionRequest, *, form=None, status=None):
    if form is None:
        decisions = _decisions(deduction, request.user)
        form = DeductionDecideForm(initial={"version": deduction.version}, offered=decisions) if decisions else None
    context = {
        "deduction": deduction,
        "assessment_due": assessment_due(deduction),
        "form": form,
        **stale_notice(
            form,
            lambda: [
                ("Status", deduction.get_status_display()),
                ("Granted (%)", deduction.granted_percent),
                ("Council act", deduction.council_act_reference),
                ("Date of the act", deduction.council_act_date),
                ("Version", deduction.version),
            ],
        ),
        **history_context(request, deduction),
    }
    return render(request, "pledges/implementation/deduction_detail.html", context, status=status_code(status))


@login_required
@require_GET
def deduction_detail(request, pk: int):
    return _deduction_page(request, _deduction_or_404(request, pk))


def _decide(request, deduction: DeductionRequest, form: DeductionDecideForm):
    data = form.cleaned_data

    def decide():
        with transaction.atomic():
            locked = locked_at_version(DeductionRequest, deduction.pk, data["version"])
            return deduction_decide(
                deduction=locked,
                transition=data["transition"],
                granted_percent=data["granted_percent"],
                council_act_reference=data["council_act_reference"],
                council_act_date=data["council_act_date"],
                percent_by_kind={
                    PledgeKind.RELOCATION: data["relocations_percent"],
                    PledgeKind.FINANCIAL: data["financial_percent"],
                    PledgeKind.ALTERNATIVE: data["alternative_percent"],
                },
                actor=request.user,
                reason=data["reason"],
            )

    return attempt(form, decide)


@login_required
@require_POST
def deduction_decide_view(request, pk: int):
    """The coordinator records the Commission's assessment or the Council's decision (Art. 62(3)-(4))."""
    deduction = _deduction_or_404(request, pk)
    if not request.user.has_perm("pledges.decide_deduction", deduction):
        raise PermissionDenied("Only the coordinator records the decision on a deduction.")
    form = DeductionDecideForm(request.POST, offered=_decisions(deduction, request.user))
    if not form.is_valid():
        return _deduction_page(request, deduction, form=form, status=400)
    decided, status = _decide(request, deduction, form)
    if status is None:
        messages.success(request, f"Deduction request {decided.get_status_display().lower()}.")
        return redirect("pledges:deduction", pk=deduction.pk)
    deduction = _deduction_or_404(request, pk)
    keep_current_version(form, deduction.version)
    return _deduction_page(request, deduction, form=form, status=status)
