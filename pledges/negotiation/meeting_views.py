"""Negotiation pages of the forum meetings: a cycle's meetings, and one meeting with the positions stated at
it and, for negotiators, the quick entry of a whole round (all or nothing, ``positions_record_for_meeting``).

The positions shown are those ``positions_visible_to`` the reader.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pledges.negotiation.display import positions_by_topic
from pledges.negotiation.forms import MeetingEntry
from pledges.negotiation.models import ForumMeeting
from pledges.negotiation.pages import cycle_or_404, page_context
from pledges.negotiation.selectors import position_counts_by_meeting, positions_at_meeting
from pledges.negotiation.services import BulkRowErrors, positions_record_for_meeting
from solidarity.platform.errors import NotPermitted, ValidationFailed


@login_required
@require_GET
def meetings(request, year: int):
    cycle = cycle_or_404(year)
    listed = list(ForumMeeting.objects.filter(cycle=cycle))
    counts = position_counts_by_meeting(request.user, cycle)
    context = page_context(cycle, "meetings")
    context.update(
        meetings=[{"meeting": m, "positions": counts.get(m.pk, 0)} for m in listed],
        outside_meetings=counts.get(None, 0),
    )
    return render(request, "pledges/negotiation/meetings.html", context)


def _record_batch(request, meeting: ForumMeeting, entry: MeetingEntry) -> bool:
    """Call the all-or-nothing service; put each error it names on the row it concerns. True when saved."""
    try:
        created = positions_record_for_meeting(
            meeting=meeting, rows=entry.service_rows(), actor=request.user, reason=entry.reason
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except BulkRowErrors as error:
        # The service numbers only the rows it was given; the entry maps them back to the delegations' rows.
        entry.add_row_errors(error.rows)
        return False
    except ValidationFailed as error:
        entry.batch.add_domain_error(error)
        return False
    messages.success(
        request,
        f"Recorded {len(created)} position{'s' if len(created) != 1 else ''} at {meeting.title}.",
    )
    return True


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request, year: int, pk: int):
    """A forum meeting: the positions recorded at it and, for negotiators, quick entry of a whole round."""
    cycle = cycle_or_404(year)
    forum_meeting = get_object_or_404(ForumMeeting.objects.select_related("cycle"), pk=pk, cycle=cycle)
    may_record = request.user.has_perm("pledges.add_position")
    if request.method == "POST" and not may_record:
        raise PermissionDenied(_("Only a delegation's negotiators and the coordinator record positions."))
    entry = None
    if may_record:
        data = request.POST if request.method == "POST" else None
        entry = MeetingEntry.for_cycle(cycle, data=data, topic_choice=request.GET.get("topic", ""))
    if entry is not None and entry.bound and entry.is_valid() and _record_batch(request, forum_meeting, entry):
        return redirect(request.get_full_path())
    recorded = positions_at_meeting(request.user, forum_meeting)
    context = page_context(cycle, "meetings")
    context.update(
        meeting=forum_meeting,
        documents=[line.strip() for line in forum_meeting.documents.splitlines() if line.strip()],
        groups=positions_by_topic(recorded),
        recorded_count=len(recorded),
        may_record=may_record,
        topics=entry.topics if entry else [],
        batch=entry.batch if entry else None,
        formset=entry.formset if entry else None,
        entry_rows=entry.rows() if entry else [],
        first_outside_eu=entry.first_outside_eu() if entry else None,
        error_summary=entry.error_summary() if entry else [],
    )
    return render(request, "pledges/negotiation/meeting.html", context)
