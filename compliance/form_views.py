"""What the compliance pages share: who may read and write, the create and edit flows of every record form,
the workflow step of action plans and findings, and the history shown under a record.

Every member reads; only compliance officers write (403 for others, nothing written). Writes go through
``compliance.services``; a refusal of a service is shown on the form with the status it stands for.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from compliance import services
from compliance.forms import TransitionForm, field_rows, record_values
from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement, SecondaryMovementIndicator
from solidarity.domain.models import SolidarityCycle
from solidarity.platform.errors import DomainError, NotPermitted, StaleVersion
from solidarity.platform.history import object_history

DETAIL_URLS = {
    DublinPerformance: "compliance:dublin-detail",
    SecondaryMovementIndicator: "compliance:secondary-detail",
    ActionPlan: "compliance:action-plan-detail",
    Benchmark: "compliance:benchmark-detail",
    Finding: "compliance:finding-detail",
}


def require_view(request) -> None:
    if not request.user.has_perm("compliance.view"):
        raise PermissionDenied


def require_manage(request, obj=None) -> None:
    if not request.user.has_perm("compliance.manage", obj):
        raise PermissionDenied("Only compliance officers record compliance data.")


def detail_url(record) -> str:
    if isinstance(record, Measurement):
        return reverse("compliance:benchmark-detail", args=[record.benchmark_id])
    return reverse(DETAIL_URLS[type(record)], args=[record.pk])


def refuse(form, error: DomainError) -> int:
    """Show a service's refusal on the form; the HTTP status says what kind of refusal it was."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message)
    form.add_domain_error(error)
    return error.status


def history_context(request, record) -> dict:
    """The page of the record's history asked for (``?history_page=``), for ``includes/history.html``."""
    try:
        page = max(int(request.GET.get("history_page", 1)), 1)
    except ValueError:
        page = 1
    entries, has_more = object_history(record, page=page)
    return {"entries": entries, "has_more": has_more, "next_history_page": page + 1}


def state_initial(request) -> dict:
    code = request.GET.get("state", "").upper()
    return {"member_state": code} if code else {}


def cycle_initial(request) -> dict:
    current = SolidarityCycle.objects.current()
    return {**state_initial(request), "cycle": current.pk} if current else state_initial(request)


def create_page(request, *, form_class, model, context: dict, initial=None, fixed=None):
    """A create form: on a valid POST the service records it (with the reason) and the user sees it."""
    require_manage(request)
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
                status = refuse(form, error)
            else:
                messages.success(request, f"{model._meta.verbose_name.capitalize()} recorded.")
                return redirect(detail_url(record))
        else:
            status = 400
    else:
        form = form_class(initial=initial)
    return render(request, "compliance/record_form.html", {**context, "form": form}, status=status)


def _stale_form(request, record, form_class, error: StaleVersion):
    """The user's values, now at the stored version, and the stored values to compare them with: saving
    again after comparing is a deliberate choice, not a lost update."""
    current = type(record).objects.get(pk=record.pk)
    stored = field_rows(current, form_class)  # before the form's validation sets the user's values on it
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = form_class(data, instance=current)
    form.is_valid()
    return form, stored, refuse(form, error)


def edit_page(request, *, record, form_class, context: dict):
    """An edit form carrying the version it was read at; a stale one is refused with the stored values."""
    require_manage(request, record)
    status, stored = 200, None
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
                form, stored, status = _stale_form(request, record, form_class, error)
            except DomainError as error:
                status = refuse(form, error)
            else:
                messages.success(request, f"{type(record)._meta.verbose_name.capitalize()} saved.")
                return redirect(detail_url(record))
        else:
            status = 400
    else:
        form = form_class(instance=record, initial={"version": record.version})
    context = {**context, "form": form, "stale": form.stale, "stored": stored, "editing": True}
    return render(request, "compliance/record_form.html", context, status=status)


def shown_transition_form(request, record, labels: dict[str, str], posted: TransitionForm | None):
    """The workflow form to show a compliance officer (none to anyone else): the steps django-fsm lets the
    user take now; a refused one keeps its errors and reason."""
    if not request.user.has_perm("compliance.manage", record):
        return None
    return TransitionForm.offered(record, user=request.user, labels=labels, posted=posted)


def transition_page(request, record, *, labels: dict[str, str], apply, show):
    """Take the posted step on ``record`` with ``apply(record, transition=, actor=, reason=)``; a refused
    step shows the record's page again (``show(request, record, transition_form=, status=)``) with the form."""
    require_manage(request, record)
    form = TransitionForm(request.POST, labels=labels)
    if not form.is_valid():
        return show(request, record, transition_form=form, status=400)
    try:
        moved = apply(
            record, transition=form.cleaned_data["transition"], actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        return show(request, record, transition_form=form, status=refuse(form, error))
    messages.success(request, f"The {moved._meta.verbose_name} is now {moved.get_status_display().lower()}.")
    return redirect(detail_url(moved))
