"""Reads of negotiation tracking: the positions a reader may see (AMMR Arts 13-14), their history, the
timelines and meetings they appear on, and the matrix of every delegation's latest stance.

Every read of positions starts from ``positions_visible_to``; ``pledges.negotiation.rules`` says the same
for one position.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from pledges.negotiation.models import SHARED_WITH_EVERY_DELEGATION, ForumMeeting, Position, Topic, Visibility
from pledges.negotiation.rules import reads_restricted_versions
from solidarity.accounts.rules import reads_every_delegation
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.history import FieldChange, HistoryEntry, object_history

# What a reader outside the recording delegation sees of a value only a restricted version held.
HIDDEN_VALUE = "(restricted to the recording delegation)"


def positions_visible_to(user, queryset=None):
    """Shared positions of their own state, and the others (restricted ones, a delegation's notes about
    another state: AMMR Arts 13-14) only for the delegation that recorded them (and EU-level readers)."""
    queryset = Position.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("cycle", "topic", "member_state", "meeting", "recorded_by")
    if reads_every_delegation(user):
        return queryset
    own = Q(recorded_by_state_id=user.member_state_id) if user.member_state_id else Q(pk__in=[])
    return queryset.filter(SHARED_WITH_EVERY_DELEGATION | own)


def previous_position_visible_to(user, position: Position) -> Position | None:
    """The position before ``position`` of the same delegation on the same topic, among those ``user`` sees."""
    earlier = Q(date__lt=position.date) | Q(date=position.date, id__lt=position.pk)
    same_thread = Position.objects.filter(
        cycle_id=position.cycle_id, member_state_id=position.member_state_id, topic_id=position.topic_id
    )
    return positions_visible_to(user, same_thread).filter(earlier).order_by("-date", "-id").first()


def position_versions_visible_to(user, position: Position):
    """The history rows of ``position`` that ``user`` may read, newest first, with who wrote them.

    A position shared today may have been restricted before: those versions stay with its recording
    delegation, the coordinator and auditors (``reads_restricted_versions``).
    """
    records = position.history.select_related("history_user").order_by("-history_date", "-history_id")
    if reads_restricted_versions(user, position):
        return records
    return records.filter(visibility=Visibility.SHARED)


def position_history_for(user, position: Position, *, page: int) -> tuple[list[HistoryEntry], bool]:
    """One page of the history tab, with each change against the version before it; see ``object_history``.

    For a reader who may not read restricted versions, those versions are left out, and the old values a
    later version's diff would show from them are replaced by ``HIDDEN_VALUE``.
    """
    entries, has_more = object_history(position, page=page)
    if reads_restricted_versions(user, position):
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
            entry = HistoryEntry(
                record=entry.record,
                changes=[FieldChange(c.field, c.label, HIDDEN_VALUE, c.new) for c in entry.changes],
            )
        shown.append(entry)
    return shown, has_more


def state_positions_by_topic(user, cycle: SolidarityCycle, state: MemberState, topics: list) -> list[Position]:
    """A delegation's positions ``user`` sees in ``cycle``, topic by topic (in ``topics``' order), oldest first."""
    order = {topic.pk: index for index, topic in enumerate(topics)}
    return sorted(
        positions_visible_to(user, Position.objects.filter(cycle=cycle, member_state=state)),
        key=lambda p: (order.get(p.topic_id, len(order)), p.date, p.pk),
    )


def topic_positions_by_state(user, cycle: SolidarityCycle, topic: Topic) -> list[Position]:
    """Every delegation's positions on ``topic`` that ``user`` sees, state by state (protocol order), oldest first."""
    return list(
        positions_visible_to(user, Position.objects.filter(cycle=cycle, topic=topic)).order_by(
            "member_state__protocol_order", "date", "id"
        )
    )


def positions_at_meeting(user, meeting: ForumMeeting) -> list[Position]:
    """The positions stated at ``meeting`` that ``user`` sees, topic by topic, delegations in protocol order."""
    return list(
        positions_visible_to(user, Position.objects.filter(meeting=meeting)).order_by(
            "topic__order", "topic_id", "member_state__protocol_order", "id"
        )
    )


def position_counts_by_meeting(user, cycle: SolidarityCycle) -> dict:
    """How many positions ``user`` sees at each meeting of ``cycle``; key None: those taken outside a meeting."""
    visible = positions_visible_to(user, Position.objects.filter(cycle=cycle))
    return dict(visible.values("meeting_id").annotate(n=Count("id")).order_by().values_list("meeting_id", "n"))


@dataclass(frozen=True, slots=True)
class MatrixPosition:
    """What a matrix cell shows of a position, read as a row rather than a model instance: building 1 350
    instances was a third of the matrix's time."""

    id: int
    topic_id: int
    member_state_id: str
    date: datetime.date
    stance: str
    stance_rank: int
    proposed_value: Decimal | None
    visibility: str
    source: str
    meeting_id: int | None
    meeting_title: str | None

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True)
class MatrixCell:
    latest: MatrixPosition
    previous: MatrixPosition | None

    @property
    def movement(self) -> int:
        """Steps up (+) or down (-) the stance scale since the previous position; 0 when none or unchanged."""
        if self.previous is None:
            return 0
        return self.latest.stance_rank - self.previous.stance_rank


@dataclass(frozen=True)
class PositionMatrix:
    cycle: SolidarityCycle
    topics: list
    states: list
    cells: dict  # (state code, topic id) -> MatrixCell

    def cell(self, state_code: str, topic_id) -> MatrixCell | None:
        return self.cells.get((state_code, topic_id))

    def rows(self):
        """(state, [cell or None per topic]) in protocol order."""
        return [(state, [self.cells.get((state.code, topic.pk)) for topic in self.topics]) for state in self.states]

    @property
    def states_that_spoke(self) -> set[str]:
        """The codes of the states with at least one position the viewer sees."""
        return {code for code, _ in self.cells}

    def taking_part(self) -> list:
        """The Member States, and the Dublin-associated states that have spoken, in protocol order.

        Dublin-associated states take part in the Forum only when invited (AMMR Art. 13): they appear once
        they have a position.
        """
        spoke = self.states_that_spoke
        return [state for state in self.states if state.eu_member or state.code in spoke]

    @property
    def some_restricted(self) -> bool:
        """Whether a cell shows a restricted position (the page then says who else cannot see it)."""
        return any(cell.latest.visibility == Visibility.RESTRICTED for cell in self.cells.values())


# What the matrix (API, page, export) reads of a cell's positions, in the order of `MatrixPosition`'s fields
# (the meeting's title comes from the cycle's meetings, read apart).
MATRIX_CELL_FIELDS = (
    "id",
    "topic_id",
    "member_state_id",
    "date",
    "stance",
    "stance_rank",
    "proposed_value",
    "visibility",
    "source",
    "meeting_id",
)


def position_matrix(cycle: SolidarityCycle, *, viewer) -> PositionMatrix:
    """The latest visible position of every state on every topic, with the one before it.

    Only a position recorded by the state's own delegation or by the coordinator is a state's cell
    (``PositionQuerySet.speaking_for_their_state``, AMMR Arts 13-14): another delegation's note about it is
    read on that delegation's timelines, never as the state's current position.

    Four queries whatever the number of meetings: topics, states, meetings, and the two latest positions per
    cell picked by a window function in the database.
    """
    # The window reads every visible position of the cycle (tens of thousands in a long negotiation): only the
    # columns a cell shows, from the covering index, and nothing joined. Joining the cycle, topic, state and
    # author of each row made its sort spill to disk and the objects cost ten times more; joining the meeting
    # (for its title) still cost 40 % of the query, for the 5 % of rows the window keeps.
    ranked = (
        positions_visible_to(viewer, Position.objects.filter(cycle=cycle).speaking_for_their_state())
        .select_related(None)
        .annotate(
            recency=Window(
                expression=RowNumber(),
                partition_by=[F("member_state_id"), F("topic_id")],
                order_by=[F("date").desc(), F("id").desc()],
            )
        )
        .filter(recency__lte=2)
        .order_by("member_state_id", "topic_id", "recency")
        .values_list("recency", *MATRIX_CELL_FIELDS)
    )
    meeting_titles = dict(ForumMeeting.objects.filter(cycle=cycle).values_list("pk", "title"))
    latest: dict = {}
    previous: dict = {}
    for recency, *columns in ranked:
        position = MatrixPosition(*columns, meeting_titles.get(columns[-1]))
        key = (position.member_state_id, position.topic_id)
        (latest if recency == 1 else previous)[key] = position
    cells = {key: MatrixCell(latest=position, previous=previous.get(key)) for key, position in latest.items()}
    return PositionMatrix(
        cycle=cycle,
        topics=list(Topic.objects.filter(cycle=cycle)),
        states=list(MemberState.objects.all()),
        cells=cells,
    )
