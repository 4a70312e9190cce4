"""Pages of activations and their fulfilment (AMMR Art. 60): the list, the pledges left to activate, the proposal,
and an activation with its answer and fulfilment forms.

The pool dashboard is in ``pool_views``, deductions in ``deduction_views``, offsets in ``offset_views``; what
they share in ``view_support``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import can_proceed

from compliance.services import confirmed_finding_for
from pledges.implementation import exports, pool
from pledges.implementation.filters import ActivationFilter
from pledges.implementation.forms import (
    ActivatablePledgeFilterForm,
    ActivationAnswerForm,
    ActivationFilterForm,
    ActivationProposeForm,
    FulfilmentForm,
    in_unit,
)
from pledges.implementation.models import Activation, ActivationStatus
from pledges.implementation.selectors import (
    activatable_pledges,
    activations_visible_to,
    is_activatable,
    left_to_activate,
    under_pressure,
)
from pledges.implementation.services import activation_propose, activation_transition, fulfilment_record
from pledges.implementation.view_support import (
    BadFormat,
    attempt,
    export_format,
    history_context,
    keep_current_version,
    list_context,
    locked_at_version,
    paginate,
    query_without,
    stale_notice,
    status_code,
)
from pledges.pledging.filters import PledgeFilter
from pledges.pledging.models import Pledge
from solidarity.domain.models import SolidarityCycle


@login_required
@require_GET
def activation_list(request):
    """Activations the viewer may see: all for the coordinator and auditors, else those from or to its state."""
    try:
        download = export_format(request)
    except BadFormat as error:
        return error.response()
    filters = ActivationFilter(
        request.GET or None,
        queryset=activations_visible_to(request.user),
        request=request,
        form_class=ActivationFilterForm,
    )
    if download:
        return exports.activations(download, filters.qs)
    context = list_context(request, filters, paginate(request, filters.qs))
    context["may_propose"] = request.user.has_perm("pledges.propose_activation")
    context["sar"] = _sar_summary(request)
    return render(request, "pledges/implementation/activations.html", context)


def _sar_summary(request) -> pool.SarShare | None:
    """The SAR indicative share (AMMR Art. 57(2)) of the cycle the list is filtered on, else the current one."""
    raw = request.GET.get("cycle", "").strip()
    if raw.isdigit():
        cycle = SolidarityCycle.objects.filter(year=int(raw)).first()
    else:
        cycle = SolidarityCycle.objects.current()
    return None if cycle is None else pool.sar_share(cycle, viewer=request.user)


@login_required
@require_GET
def activation_pledges(request):
    """The coordinator's starting point: recorded pledges with something left to activate."""
    if not request.user.has_perm("pledges.propose_activation"):
        raise PermissionDenied("Only the coordinator proposes activations.")
    filters = PledgeFilter(
        request.GET or None, queryset=activatable_pledges(), request=request, form_class=ActivatablePledgeFilterForm
    )
    return render(
        request,
        "pledges/implementation/activation_pledges.html",
        {"filters": filters, "page_obj": paginate(request, filters.qs), "query": query_without(request, "page")},
    )


def _propose_page(request, pledge: Pledge, form: ActivationProposeForm, status: int | None):
    remaining = left_to_activate(pledge)
    context = {
        "pledge": pledge,
        "remaining": remaining,
        "unit_remaining": in_unit(pledge.kind, remaining),
        "unit_measure": in_unit(pledge.kind, pledge.measure),
        "unit_activated": in_unit(pledge.kind, pledge.activated),
        "activatable": is_activatable(pledge),
        "under_pressure": under_pressure(pledge.cycle),
        # AMMR Art. 57(2): the coordinator distributes in view of the SAR indicative share.
        "sar": pool.sar_share(pledge.cycle, viewer=request.user),
        "form": form,
    }
    return render(request, "pledges/implementation/activation_propose.html", context, status=status_code(status))


def _propose(request, pledge: Pledge, form: ActivationProposeForm):
    data = form.cleaned_data
    return attempt(
        form,
        lambda: activation_propose(
            pledge=pledge,
            benefitting_state=data["benefitting_state"],
            amount=data["amount"],
            actor=request.user,
            reason=data["reason"],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activation_propose_view(request, pledge_id: int):
    """The coordinator calls part of a recorded pledge towards a benefitting state (AMMR Art. 60(2))."""
    visible = Pledge.objects.select_related("cycle", "member_state", "earmark").visible_to(request.user)
    pledge = visible.filter(pk=pledge_id).first()
    if pledge is None:
        raise Http404("No such pledge is visible to you.")
    if not request.user.has_perm("pledges.propose_activation"):
        raise PermissionDenied("Only the coordinator proposes activations.")
    if request.method != "POST":
        return _propose_page(request, pledge, ActivationProposeForm(pledge=pledge), None)
    form = ActivationProposeForm(request.POST, pledge=pledge)
    if not form.is_valid():
        return _propose_page(request, pledge, form, 400)
    activation, status = _propose(request, pledge, form)
    if status is not None:
        pledge.refresh_from_db(fields=["activated", "status"])
        return _propose_page(request, pledge, form, status)
    messages.success(
        request,
        f"Activation proposed: {in_unit(pledge.kind, activation.amount)} of {pledge.member_state_id}'s "
        f"pledge towards {activation.benefitting_state_id}. {pledge.member_state_id} now answers it.",
    )
    return redirect("pledges:activation", pk=activation.pk)


def _activation_or_404(request, pk: int) -> Activation:
    activation = (
        activations_visible_to(request.user, Activation.objects.select_related("finding", "proposed_by"))
        .filter(pk=pk)
        .first()
    )
    if activation is None:
        raise Http404("No such activation is visible to you.")
    return activation


def _activation_stored(activation: Activation) -> list:
    return [
        ("Status", activation.get_status_display()),
        ("Amount activated", in_unit(activation.pledge.kind, activation.amount)),
        ("Fulfilled", in_unit(activation.pledge.kind, activation.fulfilled)),
        ("Version", activation.version),
    ]


def _may_answer(activation: Activation, user) -> bool:
    """Whether the workflow lets ``user`` accept or decline ``activation`` now."""
    available = {t.name for t in activation.get_available_user_status_transitions(user)}
    return not available.isdisjoint(Activation.USER_TRANSITIONS)


def _may_fulfil(activation: Activation, user) -> bool:
    # Fulfilment is recorded while the activation may still complete (accepted, not yet fulfilled).
    return can_proceed(activation.complete) and user.has_perm("pledges.record_fulfilment", activation)


def _activation_page(request, activation: Activation, *, answer_form=None, fulfilment_form=None, status=None):
    may_answer = _may_answer(activation, request.user)
    if may_answer and answer_form is None:
        answer_form = ActivationAnswerForm(initial={"version": activation.version})
    if fulfilment_form is None and _may_fulfil(activation, request.user):
        fulfilment_form = FulfilmentForm(initial={"version": activation.version}, activation=activation)
    stale_form = next((f for f in (answer_form, fulfilment_form) if f is not None and f.stale), None)
    kind = activation.pledge.kind
    context = {
        "activation": activation,
        "pledge": activation.pledge,
        "kind": kind,
        "amount": in_unit(kind, activation.amount),
        "fulfilled": in_unit(kind, activation.fulfilled),
        "remaining": in_unit(kind, activation.amount - activation.fulfilled),
        "fulfilments": list(activation.fulfilments.select_related("recorded_by")),
        "answer_form": answer_form,
        "fulfilment_form": fulfilment_form,
        # Whether an Art. 60(3) decline is open to the contributing state at all, said before it tries.
        "confirmed_finding": (
            confirmed_finding_for(member_state_id=activation.benefitting_state_id, cycle_id=activation.pledge.cycle_id)
            if may_answer
            else None
        ),
        **stale_notice(stale_form, lambda: _activation_stored(activation)),
        **history_context(request, activation),
    }
    return render(request, "pledges/implementation/activation_detail.html", context, status=status_code(status))


@login_required
@require_GET
def activation_detail(request, pk: int):
    return _activation_page(request, _activation_or_404(request, pk))


@login_required
@require_POST
def activation_answer(request, pk: int):
    """The contributing state accepts or declines (Art. 60(3) ground only on a confirmed finding)."""
    activation = _activation_or_404(request, pk)
    if not request.user.has_perm("pledges.answer_activation", activation):
        raise PermissionDenied("Only an official of the contributing state answers an activation.")
    form = ActivationAnswerForm(request.POST)
    if not form.is_valid():
        return _activation_page(request, activation, answer_form=form, status=400)
    data = form.cleaned_data

    def answer():
        with transaction.atomic():
            locked = locked_at_version(Activation, activation.pk, data["version"], first=(Pledge, activation.pledge_id))
            return activation_transition(
                activation=locked,
                transition=data["transition"],
                actor=request.user,
                reason=data["reason"],
                decline_ground=data["decline_ground"],
                explanation=data["explanation"],
            )

    answered, status = attempt(form, answer)
    if status is None:
        messages.success(request, f"Activation {answered.get_status_display().lower()}.")
        return redirect("pledges:activation", pk=activation.pk)
    activation = _activation_or_404(request, pk)
    keep_current_version(form, activation.version)
    return _activation_page(request, activation, answer_form=form, status=status)


def _record_fulfilment(request, activation: Activation, form: FulfilmentForm):
    data = form.cleaned_data

    def record():
        # The activation's version guards against the same transfer being entered twice by two people.
        with transaction.atomic():
            locked = locked_at_version(Activation, activation.pk, data["version"])
            return fulfilment_record(
                activation=locked,
                date=data["date"],
                amount=data["amount"],
                evidence_reference=data["evidence_reference"],
                actor=request.user,
                reason=data["reason"],
            )

    return attempt(form, record)


@login_required
@require_POST
def activation_fulfilment(request, pk: int):
    """The contributing state records what it carried out under an accepted activation (Art. 60(3))."""
    activation = _activation_or_404(request, pk)
    if not request.user.has_perm("pledges.record_fulfilment", activation):
        raise PermissionDenied("Only an official of the contributing state records its fulfilment.")
    form = FulfilmentForm(request.POST, activation=activation)
    if not form.is_valid():
        return _activation_page(request, activation, fulfilment_form=form, status=400)
    fulfilment, status = _record_fulfilment(request, activation, form)
    if status is None:
        fulfilled = fulfilment.activation.status == ActivationStatus.FULFILLED
        done = " The activation is now fulfilled." if fulfilled else ""
        amount = in_unit(activation.pledge.kind, fulfilment.amount)
        messages.success(request, f"Fulfilment of {amount} recorded.{done}")
        return redirect("pledges:activation", pk=activation.pk)
    activation = _activation_or_404(request, pk)
    keep_current_version(form, activation.version)
    return _activation_page(request, activation, fulfilment_form=form, status=status)
