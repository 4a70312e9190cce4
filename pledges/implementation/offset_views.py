"""Pages of responsibility offsets (AMMR Arts 63, 69): the list, with whether offsets are mandatory in the cycle
(Art. 63(3), ``selectors.mandatory_offsets``), the request of a benefitting state (or the coordinator) with the
eligibility it rests on, and an offset with the requested state's answer form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pledges.implementation import exports, pool
from pledges.implementation.filters import OffsetFilter
from pledges.implementation.forms import OffsetAnswerForm, OffsetFilterForm, OffsetRequestForm
from pledges.implementation.models import ResponsibilityOffset
from pledges.implementation.selectors import is_overdue, mandatory_offsets, offset_eligibility, offsets_visible_to
from pledges.implementation.services import offset_answer, offset_request
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
from pledges.pledging.models import sees_every_state_pledges
from solidarity.domain.models import SolidarityCycle


def _may_request_offset(user) -> bool:
    probe = ResponsibilityOffset(benefitting_state_id=user.member_state_id)
    return user.has_perm("pledges.request_offset", probe)


def _fixed_benefitting_state(user):
    """An official requests for its own state; the coordinator chooses (None)."""
    return None if user.has_perm("pledges.request_offset", ResponsibilityOffset()) else user.member_state


def _mandatory_context(request, filters) -> dict:
    """The section on mandatory offsets (AMMR Art. 63(3)) of the cycle filtered on, else the current one; its
    figures only for a viewer who may read every state's pledges (Art. 57)."""
    year = filters.form.cleaned_data.get("cycle") if filters.form.is_valid() else None
    cycle = SolidarityCycle.objects.filter(year=year).first() if year else SolidarityCycle.objects.current()
    if cycle is None:
        return {"mandatory_cycle": None, "mandatory": None}
    shown = sees_every_state_pledges(request.user, cycle)
    return {"mandatory_cycle": cycle, "mandatory": mandatory_offsets(cycle) if shown else None}


@login_required
@require_GET
def offset_list(request):
    try:
        download = export_format(request)
    except BadFormat as error:
        return error.response()
    filters = OffsetFilter(
        request.GET or None, queryset=offsets_visible_to(request.user), request=request, form_class=OffsetFilterForm
    )
    today = timezone.localdate()
    if download:
        return exports.offsets(download, filters.qs, today=today)
    page_obj = paginate(request, filters.qs)
    for offset in page_obj:
        offset.overdue = is_overdue(offset, today)
    context = list_context(request, filters, page_obj)
    context["may_request"] = _may_request_offset(request.user)
    context.update(_mandatory_context(request, filters))
    return render(request, "pledges/implementation/offsets.html", context)


def _request_page(request, cycle, cycles, form: OffsetRequestForm, status: int | None):
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "form": form,
        "fixed_state": form.fixed_benefitting_state,
        "form_action": f"{reverse('pledges:offset-request')}?cycle={cycle.year}",
        "eligibility": offset_eligibility(cycle),
        "state_eligibility": pool.states_open_to_offsets(cycle, viewer=request.user),
    }
    return render(request, "pledges/implementation/offset_request.html", context, status=status_code(status))


def _request(request, cycle, form: OffsetRequestForm, fixed):
    data = form.cleaned_data
    return attempt(
        form,
        lambda: offset_request(
            cycle=cycle,
            benefitting_state=fixed or data["benefitting_state"],
            contributing_state=data["contributing_state"],
            applications_requested=data["applications_requested"],
            actor=request.user,
            reason=data["reason"],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def offset_request_view(request):
    """A benefitting state, or the coordinator, asks a contributing state to take applications (Arts 63, 69)."""
    if not _may_request_offset(request.user):
        raise PermissionDenied("Only an official of a benefitting state, or the coordinator, requests offsets.")
    cycles = all_cycles()
    cycle = cycle_from_query(request, cycles)
    if cycle is None:
        raise Http404("No solidarity cycle has been recorded yet.")
    fixed = _fixed_benefitting_state(request.user)
    if request.method != "POST":
        return _request_page(request, cycle, cycles, OffsetRequestForm(fixed_benefitting_state=fixed), None)
    form = OffsetRequestForm(request.POST, fixed_benefitting_state=fixed)
    if not form.is_valid():
        return _request_page(request, cycle, cycles, form, 400)
    offset, status = _request(request, cycle, form, fixed)
    if status is not None:
        return _request_page(request, cycle, cycles, form, status)
    messages.success(
        request,
        f"Offset requested from {offset.contributing_state_id}: it answers by "
        f"{offset.answer_deadline:%d %B %Y} (AMMR Art. 69).",
    )
    return redirect("pledges:offset", pk=offset.pk)


def _offset_or_404(request, pk: int) -> ResponsibilityOffset:
    offset = offsets_visible_to(request.user).filter(pk=pk).first()
    if offset is None:
        raise Http404("No such offset is visible to you.")
    return offset


def _offset_page(request, offset: ResponsibilityOffset, *, form=None, status=None):
    # The answer form is shown while the workflow lets the viewer answer the offset.
    if form is None and any(offset.get_available_user_status_transitions(request.user)):
        form = OffsetAnswerForm(initial={"version": offset.version})
    today = timezone.localdate()
    context = {
        "offset": offset,
        "overdue": is_overdue(offset, today),
        "days_left": (offset.answer_deadline - today).days,
        "days_overdue": (today - offset.answer_deadline).days,
        "eligibility": offset_eligibility(offset.cycle, contributing_state=offset.contributing_state),
        "form": form,
        **stale_notice(
            form,
            lambda: [
                ("Status", offset.get_status_display()),
                ("Applications accepted", offset.applications_accepted),
                ("Version", offset.version),
            ],
        ),
        **history_context(request, offset),
    }
    return render(request, "pledges/implementation/offset_detail.html", context, status=status_code(status))


@login_required
@require_GET
def offset_detail(request, pk: int):
    return _offset_page(request, _offset_or_404(request, pk))


def _answer(request, offset: ResponsibilityOffset, form: OffsetAnswerForm):
    data = form.cleaned_data

    def answer():
        with transaction.atomic():
            locked = locked_at_version(ResponsibilityOffset, offset.pk, data["version"])
            return offset_answer(
                offset=locked,
                transition=data["transition"],
                applications_accepted=data["applications_accepted"],
                explanation=data["explanation"],
                actor=request.user,
                reason=data["reason"],
            )

    return attempt(form, answer)


@login_required
@require_POST
def offset_answer_view(request, pk: int):
    """The requested state (or the coordinator) accepts, accepts fewer, or refuses (AMMR Art. 69)."""
    offset = _offset_or_404(request, pk)
    if not request.user.has_perm("pledges.answer_offset", offset):
        raise PermissionDenied("Only an official of the requested state, or the coordinator, answers an offset.")
    form = OffsetAnswerForm(request.POST)
    if not form.is_valid():
        return _offset_page(request, offset, form=form, status=400)
    answered, status = _answer(request, offset, form)
    if status is None:
        messages.success(request, f"Offset {answered.get_status_display().lower()}.")
        return redirect("pledges:offset", pk=offset.pk)
    offset = _offset_or_404(request, pk)
    keep_current_version(form, offset.version)
    return _offset_page(request, offset, form=form, status=status)
