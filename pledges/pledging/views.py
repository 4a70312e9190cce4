"""Pages of officials' pledges: the list (with its exports), the pledge form with a preview, the pledge
itself with its history and workflow buttons, and the edit form.

Every write goes through ``pledges.pledging.services``; a refusal from a service is shown in words on the page, with
the status the API would give (403, 409, 412).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pledges.pledging import services
from pledges.pledging.filters import PledgeFilter
from pledges.pledging.forms import PledgeCreateForm, PledgeEditForm, PledgeFilterForm, PledgeTransitionForm
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus, implementation_parties_filter
from pledges.pledging.selectors import pledge_history, pledge_list, pledge_preview
from solidarity.platform import exports
from solidarity.platform.errors import Conflict, DomainError, NotPermitted, StaleVersion

PAGE_SIZE = 25


def _refused(request, error: DomainError, *, title: str, pledge: Pledge | None = None):
    """The page that says why an action cannot be offered, with the status of the refusal."""
    context = {"title": title, "message": error.message, "pledge": pledge}
    return render(request, "pledges/refused.html", context, status=error.status)


def _visible_pledge(user, pk: int) -> Pledge:
    # Outside its scope a user learns nothing of a pledge's existence: 404, not 403.
    pledge = pledge_list(user).select_related("recorded_by").filter(pk=pk).first()
    if pledge is None:
        raise Http404("No pledge with this number is shared with you.")
    return pledge


# List -----------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    exports.Column("Id"),
    exports.Column("Cycle"),
    exports.Column("Code"),
    exports.Column("Member State"),
    exports.Column("Kind"),
    exports.Column("Persons", exports.INTEGER),
    exports.Column("Amount (EUR)", exports.EUR),
    exports.Column("Relocation equivalent", exports.EUR),
    exports.Column("Activated", exports.EUR),
    exports.Column("Description"),
    exports.Column("Earmarked for"),
    exports.Column("Status"),
    exports.Column("Illustrative"),
    exports.Column("Version"),
]


def _export_row(pledge: Pledge, user) -> list:
    return [
        pledge.pk,
        pledge.cycle.year,
        pledge.member_state_id,
        pledge.member_state.name,
        pledge.get_kind_display(),
        pledge.quantity,
        pledge.amount_eur,
        pledge.relocation_equivalent,
        # The parties', the coordinator's and auditors' only (AMMR Arts 57, 60): empty for anyone else.
        pledge.activated if pledge.implementation_visible_to(user) else None,
        pledge.description,
        pledge.earmark_id or "",
        pledge.get_status_display(),
        pledge.illustrative,
        pledge.version,
    ]


@login_required
@require_http_methods(["GET", "HEAD"])
def pledge_list_page(request):
    """Pledges the user may read, filtered and paginated; ``?format=csv|xlsx`` downloads the filtered list."""
    export_format = request.GET.get("format", "")
    if export_format and export_format not in exports.FORMATS:
        return HttpResponseBadRequest(f"Unknown format {export_format!r}: use csv or xlsx.")
    queryset = pledge_list(request.user).order_by("-cycle__year", "member_state__protocol_order", "kind", "pk")
    filterset = PledgeFilter(request.GET, queryset=queryset, request=request, form_class=PledgeFilterForm)
    pledges = filterset.qs
    if export_format and filterset.is_valid():
        return exports.export_response(
            export_format, title="Pledges", columns=EXPORT_COLUMNS, rows=(_export_row(p, request.user) for p in pledges)
        )
    page = Paginator(pledges, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page_obj": page,
        "pledges": page.object_list,
        "may_create": services.may_record_pledges(request.user),
        "filters_active": any(filterset.form.cleaned_data.values()) if filterset.is_valid() else True,
    }
    return render(request, "pledges/list.html", context, status=200 if filterset.is_valid() else 400)


# Create ---------------------------------------------------------------------------------------------------


def _create_page(request, form, state, *, status=200, preview=None):
    context = {"form": form, "member_state": state, "preview": preview}
    return render(request, "pledges/create.html", context, status=status)


def _preview_page(request, form, state):
    """What the pledge would add, saving nothing; a measure the services refuse is shown on its field."""
    values = form.cleaned_data
    try:
        draft = services.unsaved_pledge(
            cycle=values["cycle"],
            member_state=state,
            kind=values["kind"],
            quantity=values["quantity"],
            amount_eur=values["amount_eur"],
            description=values["description"],
            earmark=values["earmark"],
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _create_page(request, form, state, status=400)
    return _create_page(request, form, state, preview=pledge_preview(draft, viewer=request.user))


def _save_page(request, form, state):
    """Save the pledge as a draft, or save and submit it; a refusal is shown on the form, or on its own page."""
    record = services.pledge_create_and_submit if form.action == form.SUBMIT else services.pledge_create
    try:
        pledge = record(
            cycle=form.cleaned_data["cycle"],
            kind=form.cleaned_data["kind"],
            member_state=state,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            **form.measure_values(),
        )
    except NotPermitted as error:
        return _refused(request, error, title="You may not record this pledge")
    except DomainError as error:
        form.add_domain_error(error)
        return _create_page(request, form, state, status=error.status)
    done = "recorded and submitted" if form.action == form.SUBMIT else "saved as a draft"
    messages.success(request, f"Pledge {pledge.pk} ({pledge.get_kind_display().lower()}) {done}.")
    return redirect("pledges:detail", pk=pledge.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pledge_create_page(request):
    """The pledge form of the user's delegation: preview, save as a draft, or save and submit."""
    if not services.may_record_pledges(request.user):
        error = NotPermitted("Only an official of a Member State records pledges.")
        return _refused(request, error, title="You may not record pledges")
    try:
        state = services.pledging_state(request.user, (request.POST or request.GET).get("member_state"))
        open_cycle = services.open_pledging_cycle()
    except NotPermitted as error:
        return _refused(request, error, title="You may not record this pledge")
    except Conflict as error:
        return _refused(request, error, title="Pledging is not open")
    data = request.POST if request.method == "POST" else None
    form = PledgeCreateForm(data, member_state_id=request.user.member_state_id, initial={"member_state": state.code})
    if data is None:
        form.initial["cycle"] = request.GET.get("cycle") or open_cycle.year
        return _create_page(request, form, state)
    if not form.is_valid():
        return _create_page(request, form, state, status=400)
    if form.action == form.PREVIEW:
        return _preview_page(request, form, state)
    return _save_page(request, form, state)


# Detail and transitions -----------------------------------------------------------------------------------


def _history_page(request) -> int:
    raw = request.GET.get("history_page", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _pledge_activations(pledge: Pledge, user) -> list:
    """The pledge's activations ``user`` reads, oldest first: all of them for those who read the pledge's
    implementation, else those towards the user's own state (``implementation_parties_filter``, AMMR Arts 57,
    60). One query, none for a pledge the Council act has not recorded: only those are activated."""
    if pledge.status != PledgeStatus.RECORDED:
        return []
    activations = pledge.activations.select_related("benefitting_state").order_by("created_at", "id")
    if not pledge.implementation_visible_to(user):
        parties = implementation_parties_filter(
            user, pledging_state="pledge__member_state_id", benefitting_state="benefitting_state_id"
        )
        activations = activations if parties is None else activations.filter(parties)
    return list(activations)


def _detail_context(request, pledge: Pledge, *, failed: PledgeTransitionForm | None = None, error=None) -> dict:
    user = request.user
    blocker = services.pledge_change_blocker(pledge, user)
    forms = []
    if blocker is None:
        available = {t.name for t in pledge.get_available_user_status_transitions(user)}
        for name in Pledge.USER_TRANSITIONS:
            if name in available:
                if failed is not None and failed.name == name:
                    forms.append(failed)
                else:
                    forms.append(
                        PledgeTransitionForm(transition=name, initial={"transition": name, "version": pledge.version})
                    )
    history_page = _history_page(request)
    entries, has_more = pledge_history(pledge, viewer=user, page=history_page)
    activations = _pledge_activations(pledge, user)
    return {
        "pledge": pledge,
        "sees_implementation": pledge.implementation_visible_to(user),
        "activations": activations,
        # AMMR Art. 60(3): refused without a systemic-shortcomings ground, so still due (Activation.is_not_implemented).
        "not_implemented": [activation for activation in activations if activation.is_not_implemented],
        "may_edit": blocker is None,
        "blocker": blocker,
        "transition_forms": forms,
        "failed_form": failed,
        "error": error,
        "entries": entries,
        "has_more": has_more,
        "next_history_page": history_page + 1,
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def pledge_detail_page(request, pk: int):
    pledge = _visible_pledge(request.user, pk)
    return render(request, "pledges/detail.html", _detail_context(request, pledge))


@login_required
@require_POST
def pledge_transition_page(request, pk: int):
    """Submit, reopen or withdraw; a refusal shows the pledge again with the reason, and the status it has."""
    pledge = _visible_pledge(request.user, pk)
    blocker = services.pledge_change_blocker(pledge, request.user)
    if blocker is not None:
        return render(
            request, "pledges/detail.html", _detail_context(request, pledge, error=blocker), status=blocker.status
        )
    name = request.POST.get("transition", "")
    form = PledgeTransitionForm(request.POST, transition=name)
    if not form.is_valid():
        return render(request, "pledges/detail.html", _detail_context(request, pledge, failed=form), status=400)
    try:
        pledge = services.pledge_transition(
            pledge=pledge,
            transition=name,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        # Show what is stored now (the refusal may come from a change made meanwhile), and let the form
        # carry the stored version so that trying again, once the user has looked, applies to it.
        pledge = _visible_pledge(request.user, pk)
        data = request.POST.copy()
        data["version"] = str(pledge.version)
        form = PledgeTransitionForm(data, transition=name)
        form.is_valid()
        form.add_domain_error(error)
        context = _detail_context(request, pledge, failed=form, error=error)
        return render(request, "pledges/detail.html", context, status=error.status)
    messages.success(
        request, f"Pledge {pledge.pk}: {form.label.lower()} done; it is now {pledge.get_status_display().lower()}."
    )
    return redirect("pledges:detail", pk=pledge.pk)


# Edit -----------------------------------------------------------------------------------------------------


def _stored_values(pledge: Pledge) -> list[tuple[str, object]]:
    measure = (
        ("Persons to relocate", pledge.quantity)
        if pledge.kind == PledgeKind.RELOCATION
        else ("Amount in euros", pledge.amount_eur)
    )
    earmark = f"{pledge.earmark.name} ({pledge.earmark_id})" if pledge.earmark_id else None
    return [
        measure,
        ("Description", pledge.description or None),
        ("Earmarked for", earmark),
        ("Status", pledge.get_status_display()),
        ("Version", pledge.version),
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pledge_edit_page(request, pk: int):
    pledge = _visible_pledge(request.user, pk)
    blocker = services.pledge_change_blocker(pledge, request.user)
    if blocker is not None:
        return _refused(request, blocker, title="This pledge cannot be changed", pledge=pledge)
    if request.method != "POST":
        form = PledgeEditForm(pledge=pledge, initial=PledgeEditForm.initial_for(pledge))
        return render(request, "pledges/edit.html", {"form": form, "pledge": pledge})
    form = PledgeEditForm(request.POST, pledge=pledge)
    if not form.is_valid():
        return render(request, "pledges/edit.html", {"form": form, "pledge": pledge}, status=400)
    try:
        updated = services.pledge_update(
            pledge=pledge,
            changes=form.measure_values(),
            expected_version=form.cleaned_data["version"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except StaleVersion as error:
        stored = _visible_pledge(request.user, pk)
        # Keep what the user typed, but carry the stored version: saving again applies it on top.
        data = request.POST.copy()
        data["version"] = str(stored.version)
        form = PledgeEditForm(data, pledge=stored)
        form.is_valid()
        form.add_domain_error(error)
        context = {"form": form, "pledge": stored, "stale": error, "stored": _stored_values(stored)}
        return render(request, "pledges/edit.html", context, status=error.status)
    except DomainError as error:
        if isinstance(error, NotPermitted) or (error.status == 409 and error.field is None):
            return _refused(request, error, title="This pledge cannot be changed", pledge=pledge)
        form.add_domain_error(error)
        return render(request, "pledges/edit.html", {"form": form, "pledge": pledge}, status=error.status)
    messages.success(request, f"Pledge {updated.pk} saved (version {updated.version}).")
    return redirect("pledges:detail", pk=updated.pk)
