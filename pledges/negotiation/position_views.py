"""Negotiation pages of one position: its detail with its change and history tab, and its edit form.

Outside the reader's scope (``positions_visible_to``) a position does not exist: 404, never 403. Negotiators
of the delegation that recorded it revise it (``pledges.change_position``), on the version they read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pledges.negotiation.display import shown, stored_values
from pledges.negotiation.forms import PositionEditForm
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.negotiation.pages import page_context, page_number
from pledges.negotiation.selectors import position_history_for, positions_visible_to, previous_position_visible_to
from pledges.negotiation.services import position_update
from solidarity.domain.models import MemberState
from solidarity.platform.errors import NotPermitted, StaleVersion, ValidationFailed


def _visible_position(user, pk: int) -> Position:
    # Outside the viewer's scope a position does not exist: 404, never 403 (no existence leak).
    return get_object_or_404(positions_visible_to(user), pk=pk)


@login_required
@require_GET
def position_detail(request, pk: int):
    position = _visible_position(request.user, pk)
    page = page_number(request.GET, "history_page")
    entries, has_more = position_history_for(request.user, position, page=page)
    context = page_context(position.cycle, "position")
    context.update(
        position=position,
        shown=shown(position, previous_position_visible_to(request.user, position), position.topic.unit),
        may_change=request.user.has_perm("pledges.change_position", position),
        entries=entries,
        has_more=has_more,
        next_history_page=page + 1,
    )
    return render(request, "pledges/negotiation/position_detail.html", context)


def _edit_form(position: Position, data=None) -> PositionEditForm:
    """The edit form, bound to ``data`` or showing the stored position, with the cycle's choices."""
    choices = {
        "states": list(MemberState.objects.all()),
        "topics": list(Topic.objects.filter(cycle_id=position.cycle_id)),
        "meetings": list(ForumMeeting.objects.filter(cycle_id=position.cycle_id)),
    }
    if data is None:
        return PositionEditForm(initial=PositionEditForm.initial_for(position), **choices)
    return PositionEditForm(data, **choices)


def _save_edit(request, position: Position, form: PositionEditForm) -> tuple[bool, list | None]:
    """Call the service with the form's values: whether it saved and, after a stale version, what is stored now.

    Saving again after a stale version applies the user's values on top of what is stored now, knowingly.
    """
    try:
        position_update(
            position=position,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except StaleVersion as error:
        form.add_domain_error(error)
        current = Position.objects.select_related("topic", "member_state", "meeting").get(pk=position.pk)
        form.data = form.data.copy()
        form.data["version"] = str(current.version)
        return False, stored_values(current)
    except ValidationFailed as error:
        form.add_domain_error(error)
        return False, None
    return True, None


@login_required
@require_http_methods(["GET", "POST"])
def position_edit(request, pk: int):
    """Revise a position: negotiators of the recording delegation only, on the version they read."""
    position = _visible_position(request.user, pk)
    if not request.user.has_perm("pledges.change_position", position):
        raise PermissionDenied(_("Only the recording delegation (or the coordinator, for its own) revises a position."))
    form = _edit_form(position, request.POST if request.method == "POST" else None)
    saved, stored = False, None
    if request.method == "POST" and form.is_valid():
        saved, stored = _save_edit(request, position, form)
    if saved:
        messages.success(request, "The position is saved; its earlier version is kept in the history.")
        return redirect("pledges:position", pk=position.pk)
    context = page_context(position.cycle, "position")
    context.update(
        position=position,
        form=form,
        stale=form.stale,
        stored=stored,
        cancel_url=reverse("pledges:position", kwargs={"pk": position.pk}),
    )
    return render(request, "pledges/negotiation/position_edit.html", context)
