"""Reusable reads of pledges, and the fair-share table that sets them against the key."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum, Window
from django.db.models.functions import RowNumber

from pledges.models import (
    CENT,
    Activation,
    DeductionRequest,
    ForumMeeting,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Position,
    ResponsibilityOffset,
    Topic,
)
from solidarity.fairshare import FairShare, FairShareError
from solidarity.models import PLEDGES_PUBLIC_FROM, MemberState, OfficialShare, SolidarityCycle
from solidarity.rules import is_auditor, is_coordinator
from solidarity.selectors import cycle_fair_shares, object_history


def pledges_visible_to(user, queryset=None, *, cycle: SolidarityCycle | None = None):
    """Pledges ``user`` may read: all for the coordinator and auditors; else its own state's and public ones.

    With ``cycle``, only that cycle's, and before its Council act that means the state's own alone: said so
    rather than left to the general rule, PostgreSQL reads one state's pledges through the (cycle, state)
    index instead of testing each of the cycle's 27 000 against "public or own" (whose OR hides it).
    """
    queryset = Pledge.objects.all() if queryset is None else queryset
    if cycle is not None:
        queryset = queryset.filter(cycle=cycle)
    if is_coordinator(user) or is_auditor(user):
        return queryset
    if cycle is not None and not cycle.pledges_are_public:
        return queryset.filter(member_state_id=user.member_state_id) if user.member_state_id else queryset.none()
    public = Q(status=PledgeStatus.RECORDED, cycle__status__in=PLEDGES_PUBLIC_FROM)
    if user.member_state_id:
        return queryset.filter(public | Q(member_state_id=user.member_state_id))
    return queryset.filter(public)


def pledge_history(pledge: Pledge, *, viewer, page: int = 1):
    """One page of ``pledge``'s history as ``viewer`` may read it (see ``object_history``).

    Its state, the coordinator and auditors read every version. Anyone else reads a pledge only once the
    Council act made it public (AMMR Art. 57), and so only the versions written since: the drafts and
    revisions of the pledging exercise stay the state's own.
    """
    records = pledge.history.all()
    if not (is_coordinator(viewer) or is_auditor(viewer) or pledge.member_state_id == viewer.member_state_id):
        records = records.filter(status=PledgeStatus.RECORDED)
    return object_history(pledge, page=page, records=records)


def granted_deductions_percent(cycle: SolidarityCycle) -> dict[str, Decimal]:
    return {
        d.member_state_id: d.granted_percent if d.granted_percent is not None else d.requested_percent
        for d in DeductionRequest.objects.granted().filter(cycle=cycle)
    }


@dataclass(frozen=True)
class FairShareRow:
    member_state: MemberState
    fair_share: FairShare | None  # None for a state outside the key
    official_share_percent: Decimal | None
    pledges_visible: bool
    pledged_relocations: int = 0
    pledged_financial_eur: Decimal = Decimal("0.00")
    pledged_alternative_eur: Decimal = Decimal("0.00")
    pledged_relocation_equivalent: Decimal = Decimal("0.00")

    @property
    def in_key(self) -> bool:
        return self.fair_share is not None

    @property
    def official_difference(self) -> Decimal | None:
        if self.fair_share is None or self.official_share_percent is None:
            return None
        return self.fair_share.share_percent - self.official_share_percent

    @property
    def coverage_percent(self) -> Decimal | None:
        """Pledged relocation equivalents as a percentage of the fair share left after deductions."""
        if not self.pledges_visible or self.fair_share is None or not self.fair_share.obligation_relocations:
            return None
        return (self.pledged_relocation_equivalent * 100 / self.fair_share.obligation_relocations).quantize(
            CENT, ROUND_HALF_UP
        )


def fair_share_table(cycle: SolidarityCycle, *, viewer) -> list[FairShareRow]:
    """One row per state, in protocol order: the key, the official figures and the counted pledges.

    Pledged totals of a state are shown only where ``viewer`` may see that state's pledges. A constant
    number of queries: states, figures, deductions, official shares, pledge totals.
    """
    states = list(MemberState.objects.all())
    shares = cycle_fair_shares(cycle, deductions_percent=granted_deductions_percent(cycle), states=states)
    official = dict(OfficialShare.objects.filter(cycle=cycle).values_list("member_state_id", "share_percent"))
    sees_all = cycle.pledges_are_public or is_coordinator(viewer) or is_auditor(viewer)
    totals = {
        row["member_state_id"]: row
        for row in pledges_visible_to(viewer, Pledge.objects.counted(), cycle=cycle)
        .values("member_state_id")
        .annotate(
            relocations=Sum("quantity", filter=Q(kind=PledgeKind.RELOCATION)),
            financial=Sum("amount_eur", filter=Q(kind=PledgeKind.FINANCIAL)),
            alternative=Sum("amount_eur", filter=Q(kind=PledgeKind.ALTERNATIVE)),
        )
        .order_by()
    }
    rows = []
    for state in states:
        visible = sees_all or state.code == viewer.member_state_id
        total = totals.get(state.code, {})
        relocations = total.get("relocations") or 0
        financial = total.get("financial") or Decimal("0.00")
        alternative = total.get("alternative") or Decimal("0.00")
        equivalent = (Decimal(relocations) + (financial + alternative) / cycle.eur_per_relocation).quantize(
            CENT, ROUND_HALF_UP
        )
        rows.append(
            FairShareRow(
                member_state=state,
                fair_share=shares.get(state.code),
                official_share_percent=official.get(state.code),
                pledges_visible=visible,
                pledged_relocations=relocations if visible else 0,
                pledged_financial_eur=financial if visible else Decimal("0.00"),
                pledged_alternative_eur=alternative if visible else Decimal("0.00"),
                pledged_relocation_equivalent=equivalent if visible else Decimal("0.00"),
            )
        )
    return rows


def pledge_list(user, queryset=None):
    """Pledges ``user`` may read, with everything a list shows loaded in the same query."""
    return pledges_visible_to(user, queryset).select_related("cycle", "member_state", "earmark")


def activations_visible_to(user, queryset=None):
    queryset = Activation.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("pledge__cycle", "pledge__member_state", "benefitting_state")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    if not user.member_state_id:
        return queryset.none()
    return queryset.filter(
        Q(pledge__member_state_id=user.member_state_id) | Q(benefitting_state_id=user.member_state_id)
    )


def deductions_visible_to(user, queryset=None):
    queryset = DeductionRequest.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("cycle", "member_state")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    # Granted deductions are in the Council act, and so public.
    public = Q(status__in=["granted_full", "granted_partial"])
    if user.member_state_id:
        return queryset.filter(public | Q(member_state_id=user.member_state_id))
    return queryset.filter(public)


def offsets_visible_to(user, queryset=None):
    queryset = ResponsibilityOffset.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("cycle", "benefitting_state", "contributing_state")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    if not user.member_state_id:
        return queryset.none()
    return queryset.filter(Q(benefitting_state_id=user.member_state_id) | Q(contributing_state_id=user.member_state_id))


@dataclass(frozen=True)
class OffsetEligibility:
    """Whether responsibility offsets may be requested (AMMR Art. 63(1)-(2))."""

    pledged_relocations: int
    proposal_relocations: int | None
    collective_percent: Decimal | None
    collective_threshold_met: bool
    contributing_state_percent: Decimal | None
    contributing_state_threshold_met: bool

    THRESHOLD = Decimal(50)

    @property
    def may_request(self) -> bool:
        return self.collective_threshold_met or self.contributing_state_threshold_met

    @property
    def explanation(self) -> str:
        if self.collective_threshold_met:
            return (
                f"Relocation pledges reach {self.collective_percent} % of the proposal's "
                f"{self.proposal_relocations:,}: offsets may be requested (Art. 63(1))."
            )
        if self.contributing_state_threshold_met:
            return (
                f"The contributing state pledged {self.contributing_state_percent} % of its fair share as relocations: "
                "it may take offsets (Art. 63(2))."
            )
        collective = (
            "unknown (no proposal recorded)" if self.collective_percent is None else f"{self.collective_percent} %"
        )
        return (
            f"Offsets are not open: relocation pledges reach {collective} of the proposal's relocations, "
            "below the 50 % of Art. 63(1), and the contributing state has not pledged 50 % of its fair share "
            "as relocations (Art. 63(2))."
        )


def offset_eligibility(cycle: SolidarityCycle, *, contributing_state: MemberState | None = None) -> OffsetEligibility:
    totals = Pledge.objects.for_cycle(cycle).counted().filter(kind=PledgeKind.RELOCATION)
    pledged = totals.aggregate(total=Sum("quantity"))["total"] or 0
    proposal = cycle.proposal_relocations or None
    collective = (Decimal(pledged) * 100 / proposal).quantize(CENT, ROUND_HALF_UP) if proposal else None
    state_percent = None
    if contributing_state is not None and contributing_state.bound_by_solidarity:
        state_pledged = totals.filter(member_state=contributing_state).aggregate(total=Sum("quantity"))["total"] or 0
        try:
            fair = cycle_fair_shares(cycle).get(contributing_state.pk)
        except FairShareError:
            fair = None
        if fair and fair.relocations:
            state_percent = (Decimal(state_pledged) * 100 / fair.relocations).quantize(CENT, ROUND_HALF_UP)
    threshold = OffsetEligibility.THRESHOLD
    return OffsetEligibility(
        pledged_relocations=pledged,
        proposal_relocations=proposal,
        collective_percent=collective,
        collective_threshold_met=collective is not None and collective >= threshold,
        contributing_state_percent=state_percent,
        contributing_state_threshold_met=state_percent is not None and state_percent >= threshold,
    )


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
