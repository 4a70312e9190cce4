"""Reusable reads of pledges, and the fair-share table that sets them against the key."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from pledges.negotiation.models import ForumMeeting, Position, Topic
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.models import MemberState, SolidarityCycle


def positions_visible_to(user, queryset=None):
    """Shared positions, and restricted ones only for the delegation that recorded them (and EU-level readers)."""
    queryset = Position.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("cycle", "topic", "member_state", "meeting", "recorded_by")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    restricted_own = (
        Q(visibility="restricted", recorded_by_state_id=user.member_state_id) if user.member_state_id else Q(pk__in=[])
    )
    return queryset.filter(Q(visibility="shared") | restricted_own)


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

    Four queries whatever the number of meetings: topics, states, meetings, and the two latest positions per
    cell picked by a window function in the database.
    """
    # The window reads every visible position of the cycle (tens of thousands in a long negotiation): only the
    # columns a cell shows, from the covering index, and nothing joined. Joining the cycle, topic, state and
    # author of each row made its sort spill to disk and the objects cost ten times more; joining the meeting
    # (for its title) still cost 40 % of the query, for the 5 % of rows the window keeps.
    ranked = (
        positions_visible_to(viewer, Position.objects.filter(cycle=cycle))
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
