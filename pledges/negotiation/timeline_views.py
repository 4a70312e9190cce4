"""Negotiation timelines: one delegation's positions on every topic, or every delegation's on one topic,
meeting after meeting, each with its change since the position before it.

The positions are those ``positions_visible_to`` the reader; the page's filter (forum level, period) hides
rows without changing what each change is measured against.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from pledges.negotiation.forms import TimelineFilterForm
from pledges.negotiation.models import Topic
from pledges.negotiation.pages import cycle_or_404, page_context
from pledges.negotiation.selectors import state_positions_by_topic, topic_positions_by_state
from pledges.negotiation.timelines import timeline_entries, timeline_page
from solidarity.domain.models import MemberState


def _timeline_filter(request) -> TimelineFilterForm:
    form = TimelineFilterForm(request.GET or None)
    form.is_valid()  # an invalid period is shown with its error and filters nothing
    return form


def _by_topic(position):
    return position.topic_id


def _by_state(position):
    return position.member_state_id


@login_required
@require_GET
def state_timeline(request, year: int, code: str):
    """One delegation's positions on every topic of the cycle, meeting after meeting."""
    cycle = cycle_or_404(year)
    state = get_object_or_404(MemberState, code=code.upper())
    topics = list(Topic.objects.filter(cycle=cycle))
    positions = state_positions_by_topic(request.user, cycle, state, topics)
    filter_form = _timeline_filter(request)
    entries = timeline_entries(positions, key=_by_topic, unit_of=lambda p: p.topic.unit, keep=filter_form.keeps)
    spoken = {position.topic_id for position in positions}
    context = page_context(cycle, "timeline")
    context.update(
        timeline_page(request.GET, entries, key=_by_topic, heading=lambda p: p.topic),
        kind="state",
        state=state,
        silent=[topic for topic in topics if topic.pk not in spoken],
        silent_label="Topics without a position of this delegation",
        filter_form=filter_form,
    )
    return render(request, "pledges/negotiation/timeline.html", context)


@login_required
@require_GET
def topic_timeline(request, year: int, topic_id: int):
    """Every delegation's positions on one topic, meeting after meeting."""
    cycle = cycle_or_404(year)
    topic = get_object_or_404(Topic, pk=topic_id, cycle=cycle)
    positions = topic_positions_by_state(request.user, cycle, topic)
    filter_form = _timeline_filter(request)
    entries = timeline_entries(positions, key=_by_state, unit_of=lambda p: topic.unit, keep=filter_form.keeps)
    spoken = {position.member_state_id for position in positions}
    context = page_context(cycle, "timeline")
    context.update(
        timeline_page(request.GET, entries, key=_by_state, heading=lambda p: p.member_state),
        kind="topic",
        topic=topic,
        silent=[s for s in MemberState.objects.filter(eu_member=True) if s.code not in spoken],
        silent_label="Member States without a position on this topic",
        filter_form=filter_form,
    )
    return render(request, "pledges/negotiation/timeline.html", context)
