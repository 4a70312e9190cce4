"""Negotiation pages: the matrix of stances, timelines, forum meetings with quick entry, the comparison with
the pledges, and one position with its history and edit form.

Every read of positions goes through ``positions_visible_to``: a restricted position reaches only the
delegation that recorded it, the coordinator and auditors, on every page, export and history tab.
Negotiators record (``pledges.add_position``); officials, the coordinator and auditors read.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.views.decorators.http import require_GET, require_http_methods

from pledges.negotiation.forms import (
    ComparisonFilterForm,
    MeetingBatchForm,
    PositionEditForm,
    TimelineFilterForm,
    position_row_formset,
)
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic, Visibility
from pledges.negotiation.selectors import MatrixCell, position_matrix, positions_visible_to
from pledges.negotiation.services import BulkRowErrors, position_update, positions_record_for_meeting
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.domain.selectors import fair_share_table
from solidarity.platform import exports
from solidarity.platform.errors import NotPermitted, StaleVersion, ValidationFailed
from solidarity.platform.history import FieldChange, HistoryEntry, object_history

STANCE_LABELS = dict(Stance.choices)


def _cycle(year: int) -> SolidarityCycle:
    cycle = SolidarityCycle.objects.filter(year=year).first()
    if cycle is None:
        raise Http404(f"There is no solidarity cycle {year}.")
    return cycle


def _sees_restricted_of(user, position) -> bool:
    return (
        is_coordinator(user)
        or is_auditor(user)
        or (bool(user.member_state_id) and user.member_state_id == position.recorded_by_state_id)
    )


# How a position is shown: stance (colour and words), value in the topic's unit, change since the one before


def stance_class(stance: str) -> str:
    return "stance--" + stance.replace("_", "-")


def format_value(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return ""
    places = 0 if value == value.to_integral_value() else 2
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class Movement:
    """How far a stance moved along the ordinal scale since the delegation's previous position on the topic."""

    current: Position
    previous: Position | None

    @property
    def steps(self) -> int | None:
        return None if self.previous is None else self.current.stance_rank - self.previous.stance_rank

    @property
    def direction(self) -> str:
        steps = self.steps
        if steps is None:
            return "first"
        return "up" if steps > 0 else "down" if steps < 0 else "same"

    @property
    def arrow(self) -> str:
        return {"first": "•", "up": "▲", "down": "▼", "same": "="}[self.direction]

    @property
    def words(self) -> str:
        direction = self.direction
        if direction == "first":
            return "first position recorded"
        before = STANCE_LABELS[self.previous.stance].lower()
        if direction == "same":
            return f"unchanged since {date_format(self.previous.date, 'j M Y')}"
        return f"{direction} {abs(self.steps)} from {before}"


@dataclass(frozen=True)
class ShownPosition:
    """A position ready for a page: everything a cell or a timeline row prints."""

    position: Position
    movement: Movement
    unit: str

    @property
    def stance_label(self) -> str:
        return STANCE_LABELS[self.position.stance]

    @property
    def css(self) -> str:
        return stance_class(self.position.stance)

    @property
    def value(self) -> str:
        return format_value(self.position.proposed_value, self.unit)

    @property
    def restricted(self) -> bool:
        return self.position.visibility == Visibility.RESTRICTED


def _shown(position: Position, previous: Position | None, unit: str) -> ShownPosition:
    return ShownPosition(position=position, movement=Movement(position, previous), unit=unit)


def _with_movements(positions, unit_of) -> list[ShownPosition]:
    """``positions`` of one delegation on one topic, oldest first, each against the one before it."""
    shown, previous = [], None
    for position in positions:
        shown.append(_shown(position, previous, unit_of(position)))
        previous = position
    return shown


def _legend() -> list[dict]:
    return [
        {"label": label, "css": stance_class(value), "rank": rank} for rank, (value, label) in enumerate(Stance.choices)
    ]


def _base_context(cycle: SolidarityCycle, section: str) -> dict:
    return {"cycle": cycle, "section": section, "legend": _legend()}


@login_required
@require_GET
def negotiation_index(request):
    """The navigation's "Negotiation": the matrix of the current cycle."""
    cycle = SolidarityCycle.objects.current()
    if cycle is None:
        messages.info(request, "No solidarity cycle has been recorded yet, so there are no negotiations to show.")
        return redirect("dashboard")
    return redirect("pledges:matrix", year=cycle.year)


# The matrix -------------------------------------------------------------------------------------------------


def _matrix_export(export_format: str, cycle: SolidarityCycle, matrix, states) -> object:
    columns = [
        exports.Column("Code"),
        exports.Column("Member State"),
        exports.Column("Topic"),
        exports.Column("Unit"),
        exports.Column("Stance"),
        exports.Column("Stance rank (0 red line to 5 strong support)", exports.INTEGER),
        exports.Column("Proposed value", exports.EUR),
        exports.Column("Date"),
        exports.Column("Meeting"),
        exports.Column("Previous stance"),
        exports.Column("Previous date"),
        exports.Column("Movement (steps)", exports.INTEGER),
        exports.Column("Change"),
        exports.Column("Visibility"),
        exports.Column("Source"),
        exports.Column("Position id", exports.INTEGER),
    ]

    def rows():
        for state in states:
            for topic in matrix.topics:
                cell: MatrixCell | None = matrix.cell(state.code, topic.pk)
                if cell is None:
                    continue
                latest, previous = cell.latest, cell.previous
                movement = Movement(latest, previous)
                yield [
                    state.code,
                    state.name,
                    topic.title,
                    topic.unit,
                    STANCE_LABELS[latest.stance],
                    latest.stance_rank,
                    latest.proposed_value,
                    latest.date,
                    latest.meeting_title or "",
                    STANCE_LABELS[previous.stance] if previous else "",
                    previous.date if previous else None,
                    movement.steps,
                    movement.words,
                    latest.visibility,
                    latest.source,
                    latest.pk,
                ]

    return exports.export_response(
        export_format, title=f"Negotiation matrix {cycle.year}", columns=columns, rows=rows()
    )


@login_required
@require_GET
def matrix(request, year: int):
    """States x topics: each delegation's latest stance, its proposed value and how it moved since before."""
    cycle = _cycle(year)
    export_format = request.GET.get("format", "")
    if export_format and export_format not in exports.FORMATS:
        return HttpResponseBadRequest(f"Unknown format {export_format!r}: use csv or xlsx.")
    table = position_matrix(cycle, viewer=request.user)
    states_with_positions = {code for code, _ in table.cells}
    # Dublin-associated states take part only when invited (AMMR Art. 13): their rows appear once they speak.
    states = [s for s in table.states if s.eu_member or s.code in states_with_positions]
    if export_format:
        return _matrix_export(export_format, cycle, table, states)
    units = {topic.pk: topic.unit for topic in table.topics}
    rows = []
    for state in states:
        cells = []
        for topic in table.topics:
            cell = table.cell(state.code, topic.pk)
            cells.append(None if cell is None else _shown(cell.latest, cell.previous, units[topic.pk]))
        rows.append({"state": state, "cells": cells})
    context = _base_context(cycle, "matrix")
    context.update(
        topics=table.topics,
        rows=rows,
        recorded=len(table.cells),
        some_restricted=any(cell.latest.visibility == Visibility.RESTRICTED for cell in table.cells.values()),
        csv_query="?format=csv",
        xlsx_query="?format=xlsx",
    )
    return render(request, "pledges/negotiation/matrix.html", context)


# Timelines -------------------------------------------------------------------------------------------------


TIMELINE_PAGE_SIZE = 200


def _timeline_entries(positions, *, key, unit_of, keep) -> list[ShownPosition]:
    """Positions grouped by ``key`` (in the order given), each with its change since the one before.

    The change is measured against the previous visible position even when a filter hides that one.
    """
    groups: dict = {}
    for position in positions:
        groups.setdefault(key(position), []).append(position)
    return [entry for items in groups.values() for entry in _with_movements(items, unit_of) if keep(entry.position)]


def _timeline_page(request, entries: list[ShownPosition], *, key, heading) -> dict:
    """One page of a timeline, regrouped; a group cut by the page break says it continues."""
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    before = entries[page.start_index() - 2] if page.start_index() > 1 else None
    groups: list[dict] = []
    for entry in page.object_list:
        if not groups or key(groups[-1]["entries"][-1].position) != key(entry.position):
            continued = not groups and before is not None and key(before.position) == key(entry.position)
            groups.append({"heading": heading(entry.position), "continued": continued, "entries": []})
        groups[-1]["entries"].append(entry)
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": page, "groups": groups, "page_query": query.urlencode(), "count": len(entries)}


def _timeline_filter(request) -> TimelineFilterForm:
    form = TimelineFilterForm(request.GET or None)
    form.is_valid()  # an invalid period is shown with its error and filters nothing
    return form


@login_required
@require_GET
def state_timeline(request, year: int, code: str):
    """One delegation's positions on every topic of the cycle, meeting after meeting."""
    cycle = _cycle(year)
    state = get_object_or_404(MemberState, code=code.upper())
    topics = list(Topic.objects.filter(cycle=cycle))
    order = {topic.pk: index for index, topic in enumerate(topics)}
    positions = sorted(
        positions_visible_to(request.user, Position.objects.filter(cycle=cycle, member_state=state)),
        key=lambda p: (order.get(p.topic_id, len(order)), p.date, p.pk),
    )
    filter_form = _timeline_filter(request)
    entries = _timeline_entries(
        positions, key=lambda p: p.topic_id, unit_of=lambda p: p.topic.unit, keep=filter_form.keeps
    )
    spoken = {position.topic_id for position in positions}
    context = _base_context(cycle, "timeline")
    context.update(
        _timeline_page(request, entries, key=lambda p: p.topic_id, heading=lambda p: p.topic),
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
    cycle = _cycle(year)
    topic = get_object_or_404(Topic, pk=topic_id, cycle=cycle)
    positions = list(
        positions_visible_to(request.user, Position.objects.filter(cycle=cycle, topic=topic)).order_by(
            "member_state__protocol_order", "date", "id"
        )
    )
    filter_form = _timeline_filter(request)
    entries = _timeline_entries(
        positions, key=lambda p: p.member_state_id, unit_of=lambda p: topic.unit, keep=filter_form.keeps
    )
    spoken = {position.member_state_id for position in positions}
    context = _base_context(cycle, "timeline")
    context.update(
        _timeline_page(request, entries, key=lambda p: p.member_state_id, heading=lambda p: p.member_state),
        kind="topic",
        topic=topic,
        silent=[s for s in MemberState.objects.filter(eu_member=True) if s.code not in spoken],
        silent_label="Member States without a position on this topic",
        filter_form=filter_form,
    )
    return render(request, "pledges/negotiation/timeline.html", context)


# Meetings and quick entry --------------------------------------------------------------------------------


@login_required
@require_GET
def meetings(request, year: int):
    cycle = _cycle(year)
    listed = list(ForumMeeting.objects.filter(cycle=cycle))
    visible = positions_visible_to(request.user, Position.objects.filter(cycle=cycle))
    counts = dict(visible.values("meeting_id").annotate(n=Count("id")).order_by().values_list("meeting_id", "n"))
    context = _base_context(cycle, "meetings")
    context.update(
        meetings=[{"meeting": m, "positions": counts.get(m.pk, 0)} for m in listed],
        outside_meetings=counts.get(None, 0),
    )
    return render(request, "pledges/negotiation/meetings.html", context)


def _row_label(form, states_by_code) -> str:
    state = states_by_code.get(form["member_state"].value())
    return state.name if state else "Unknown delegation"


def _error_summary(batch, formset, states_by_code) -> list[dict]:
    """Every error of the batch as a link to the field (or row) it concerns, in the order of the page."""
    items = [{"target": batch["reason"].id_for_label, "text": f"Reason: {e}"} for e in batch["reason"].errors]
    items += [{"target": "entry-rows", "text": str(e)} for e in batch.non_field_errors()]
    items += [{"target": "entry-rows", "text": str(e)} for e in formset.non_form_errors()]
    for index, form in enumerate(formset.forms):
        if not form.errors:
            continue
        who = f"Row {index + 1}, {_row_label(form, states_by_code)}"
        items += [{"target": f"row-{index}", "text": f"{who}: {e}"} for e in form.non_field_errors()]
        for name, field in form.fields.items():
            if name == "member_state":
                continue
            bound = form[name]
            items += [
                {"target": bound.id_for_label, "text": f"{who}, {field.label.lower()}: {e}"} for e in bound.errors
            ]
        if form.errors.get("member_state"):
            items.append({"target": f"row-{index}", "text": f"{who}: this row does not name a known delegation."})
    return items


def _record_batch(request, meeting, batch, formset, states_by_code, topics_by_id) -> bool:
    """Call the all-or-nothing service; put each error it names on the row it concerns. True when saved."""
    recording = [form for form in formset.forms if form.records_a_position]
    rows = [form.service_row(states_by_code=states_by_code, topics_by_id=topics_by_id) for form in recording]
    try:
        created = positions_record_for_meeting(
            meeting=meeting, rows=rows, actor=request.user, reason=batch.cleaned_data["reason"]
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except BulkRowErrors as error:
        # The service numbers only the rows it was given; map them back to the delegations' rows.
        for index, row_error in error.rows.items():
            form = recording[index]
            field = row_error.field if row_error.field in form.fields and row_error.field != "member_state" else None
            form.add_error(field, row_error.message)
        return False
    except ValidationFailed as error:
        batch.add_domain_error(error)
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
    cycle = _cycle(year)
    forum_meeting = get_object_or_404(ForumMeeting.objects.select_related("cycle"), pk=pk, cycle=cycle)
    may_record = request.user.has_perm("pledges.add_position")
    if request.method == "POST" and not may_record:
        raise PermissionDenied("Only negotiators record positions.")
    topics = list(Topic.objects.filter(cycle=cycle))
    topics_by_id = {topic.pk: topic for topic in topics}
    states = list(MemberState.objects.all())
    states_by_code = {state.code: state for state in states}
    batch = formset = None
    error_summary = []
    if may_record and topics:
        chosen = request.GET.get("topic", "")
        default_topic = topics_by_id.get(int(chosen)) if chosen.isdigit() else None
        if request.method == "POST":
            batch = MeetingBatchForm(request.POST)
            formset = position_row_formset(states=states, topics=topics, data=request.POST)
            valid = batch.is_valid() & formset.is_valid()  # both, so every error shows at once
            if valid and _record_batch(request, forum_meeting, batch, formset, states_by_code, topics_by_id):
                return redirect(request.get_full_path())
            error_summary = _error_summary(batch, formset, states_by_code)
        else:
            batch = MeetingBatchForm()
            formset = position_row_formset(states=states, topics=topics, default_topic=default_topic or topics[0])
    recorded = list(
        positions_visible_to(request.user, Position.objects.filter(meeting=forum_meeting)).order_by(
            "topic__order", "topic_id", "member_state__protocol_order", "id"
        )
    )
    groups: dict = {}
    for position in recorded:
        groups.setdefault(position.topic_id, {"topic": position.topic, "positions": []})["positions"].append(
            _shown(position, None, position.topic.unit)
        )
    entry_rows = []
    if formset is not None:
        for index, form in enumerate(formset.forms):
            state = states_by_code.get(form["member_state"].value())
            entry_rows.append({"index": index, "form": form, "state": state})
    context = _base_context(cycle, "meetings")
    context.update(
        meeting=forum_meeting,
        documents=[line.strip() for line in forum_meeting.documents.splitlines() if line.strip()],
        groups=list(groups.values()),
        recorded_count=len(recorded),
        may_record=may_record,
        topics=topics,
        batch=batch,
        formset=formset,
        entry_rows=entry_rows,
        first_outside_eu=next(
            (row["index"] for row in entry_rows if row["state"] and not row["state"].eu_member), None
        ),
        error_summary=error_summary,
    )
    return render(request, "pledges/negotiation/meeting.html", context)


# Stated positions against the pledges of the Council act ------------------------------------------------

# A topic whose value is counted in relocations or euros can be set beside what a state pledged.
_QUANTIFIED_UNIT = re.compile(r"\b(relocations?|eur|euros?)\b", re.IGNORECASE)


def _quantified(topic: Topic) -> bool:
    return bool(_QUANTIFIED_UNIT.search(topic.unit or ""))


@login_required
@require_GET
def comparison(request, year: int):
    """Each state's latest stance beside its counted pledges and coverage (pledges follow AMMR Art. 57)."""
    cycle = _cycle(year)
    filter_form = ComparisonFilterForm(request.GET or None)
    table = position_matrix(cycle, viewer=request.user)
    quantified = [topic for topic in table.topics if _quantified(topic)]
    topics = table.topics if filter_form.all_topics or not quantified else quantified
    context = _base_context(cycle, "comparison")
    context.update(
        filter_form=filter_form, topics=topics, no_quantified=not quantified, showing_all=topics is table.topics
    )
    try:
        pledges = fair_share_table(cycle, viewer=request.user)
    except FairShareError as error:
        context.update(error=error, error_states=[s for s in table.states if s.code in error.member_states])
        return render(request, "pledges/negotiation/comparison.html", context)
    spoken = {code for code, _ in table.cells}
    rows = []
    for row in pledges:
        state = row.member_state
        pledged = row.pledges_visible and row.pledged_relocation_equivalent > 0
        if not (state.eu_member or state.code in spoken or pledged):
            continue
        stances = []
        for topic in topics:
            cell = table.cell(state.code, topic.pk)
            stances.append(None if cell is None else _shown(cell.latest, cell.previous, topic.unit))
        rows.append({"fair": row, "state": state, "stances": stances})
    context.update(
        rows=rows,
        some_hidden=any(not row["fair"].pledges_visible for row in rows),
        adopted=cycle.pledges_are_public,
    )
    return render(request, "pledges/negotiation/comparison.html", context)


# One position: detail with its history, and the edit form ----------------------------------------------


def _visible_position(user, pk: int) -> Position:
    # Outside the viewer's scope a position does not exist: 404, never 403 (no existence leak).
    return get_object_or_404(positions_visible_to(user), pk=pk)


def _history_for(user, position: Position, page: int) -> tuple[list[HistoryEntry], bool]:
    """The history tab; a delegation that may not read restricted positions sees no restricted revision.

    A position shared now may have been restricted before: those revisions, and the old values a later
    revision's diff would show from them, stay with the recording delegation, the coordinator and auditors.
    """
    entries, has_more = object_history(position, page=page)
    if _sees_restricted_of(user, position):
        return entries, has_more
    ordered = list(position.history.order_by("-history_date", "-history_id").values_list("history_id", "visibility"))
    if all(visibility == Visibility.SHARED for _, visibility in ordered):
        return entries, has_more
    restricted = {history_id for history_id, visibility in ordered if visibility == Visibility.RESTRICTED}
    after_restricted = {newer for (newer, _), (older, _) in pairwise(ordered) if older in restricted}
    shown = []
    for entry in entries:
        if entry.record.history_id in restricted:
            continue
        if entry.record.history_id in after_restricted:
            hidden = "(restricted to the recording delegation)"
            entry = HistoryEntry(
                record=entry.record,
                changes=[FieldChange(c.field, c.label, hidden, c.new) for c in entry.changes],
            )
        shown.append(entry)
    return shown, has_more


def _previous_of(user, position: Position) -> Position | None:
    earlier = Q(date__lt=position.date) | Q(date=position.date, id__lt=position.pk)
    same_thread = Position.objects.filter(
        cycle_id=position.cycle_id, member_state_id=position.member_state_id, topic_id=position.topic_id
    )
    return positions_visible_to(user, same_thread).filter(earlier).order_by("-date", "-id").first()


def _page_number(request, name: str) -> int:
    raw = request.GET.get(name, "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


@login_required
@require_GET
def position_detail(request, pk: int):
    position = _visible_position(request.user, pk)
    page = _page_number(request, "history_page")
    entries, has_more = _history_for(request.user, position, page)
    shown = _shown(position, _previous_of(request.user, position), position.topic.unit)
    context = _base_context(position.cycle, "position")
    context.update(
        position=position,
        shown=shown,
        may_change=request.user.has_perm("pledges.change_position", position),
        entries=entries,
        has_more=has_more,
        next_history_page=page + 1,
    )
    return render(request, "pledges/negotiation/position_detail.html", context)


def _stored_values(position: Position) -> list[tuple[str, object]]:
    return [
        ("Topic", position.topic.title),
        ("Delegation", f"{position.member_state.name} ({position.member_state_id})"),
        ("Meeting", position.meeting.title if position.meeting else "No meeting"),
        ("Date", date_format(position.date, "j F Y")),
        ("Stance", STANCE_LABELS[position.stance]),
        ("Proposed value", format_value(position.proposed_value, position.topic.unit) or None),
        ("Conditions", position.conditions or None),
        ("Statement", position.statement or None),
        ("Source", position.source or None),
        ("Visibility", position.get_visibility_display()),
        ("Version", position.version),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def position_edit(request, pk: int):
    """Revise a position: negotiators of the recording delegation only, on the version they read."""
    position = _visible_position(request.user, pk)
    if not request.user.has_perm("pledges.change_position", position):
        raise PermissionDenied("Only negotiators of the delegation that recorded a position revise it.")
    choices = {
        "states": list(MemberState.objects.all()),
        "topics": list(Topic.objects.filter(cycle_id=position.cycle_id)),
        "meetings": list(ForumMeeting.objects.filter(cycle_id=position.cycle_id)),
    }
    stored = None
    if request.method == "POST":
        form = PositionEditForm(request.POST, **choices)
        if form.is_valid():
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
                stored = _stored_values(current)
                # Saving again applies the user's values on top of what is stored now, knowingly.
                form.data = form.data.copy()
                form.data["version"] = str(current.version)
            except ValidationFailed as error:
                form.add_domain_error(error)
            else:
                messages.success(request, "The position is saved; its earlier version is kept in the history.")
                return redirect("pledges:position", pk=position.pk)
    else:
        form = PositionEditForm(initial=PositionEditForm.initial_for(position), **choices)
    context = _base_context(position.cycle, "position")
    context.update(
        position=position,
        form=form,
        stale=form.stale,
        stored=stored,
        cancel_url=reverse("pledges:position", kwargs={"pk": position.pk}),
    )
    return render(request, "pledges/negotiation/position_edit.html", context)
