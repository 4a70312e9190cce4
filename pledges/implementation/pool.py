"""Reusable reads of the pool in implementation: totals by kind, activated and fulfilled, pace per state.

Every aggregate counts only the pledges its viewer may read (``PledgeQuerySet.visible_to``): before the Council act
(AMMR Art. 57) a delegation sees its own state's pledges only, the coordinator and auditors see all. Each
function runs a fixed number of queries, whatever the number of pledges or activations.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from pledges.implementation.models import Activation, ActivationStatus
from pledges.pledging.models import (
    BINDING_MEASURE,
    CENT,
    Pledge,
    PledgeKind,
    sees_every_state_pledges,
    sees_implementation,
)
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import Designation, DesignationGround, DesignationKind, MemberState, SolidarityCycle
from solidarity.domain.selectors import FairShareRow, fair_share_table

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

KIND_UNITS = {PledgeKind.RELOCATION: "persons", PledgeKind.FINANCIAL: "EUR", PledgeKind.ALTERNATIVE: "EUR"}


def _percent(part: Decimal, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def _whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def relocation_equivalent(kind: str, amount, cycle: SolidarityCycle) -> Decimal:
    """``amount`` of a measure of ``kind`` (persons or euros) in relocations, by the cycle's one rule."""
    if kind == PledgeKind.RELOCATION:
        return cycle.relocation_equivalent(relocations=amount)
    return cycle.relocation_equivalent(euros=amount)


def sees_every_pledge(cycle: SolidarityCycle, viewer) -> bool:
    return sees_every_state_pledges(viewer, cycle)


@dataclass
class _Tally:
    pledges: int = 0
    illustrative: int = 0
    pledged: Decimal = ZERO
    activated: Decimal = ZERO
    fulfilled: Decimal = ZERO
    declined: int = 0
    activations: int = 0


def pledged_by_state_and_kind(cycle: SolidarityCycle, *, viewer) -> dict[tuple[str, str], _Tally]:
    """Counted pledges (submitted or recorded) the viewer may read, by (state code, kind), each at what binds the
    state (``BINDING_MEASURE``: as pledged, less what a granted deduction took, AMMR Arts 61(1), 62(1)). One
    query."""
    rows = (
        Pledge.objects.counted()
        .visible_to(viewer, cycle=cycle)
        .values("member_state_id", "kind")
        .annotate(
            pledges=Count("id"),
            illustrative=Count("id", filter=Q(illustrative=True)),
            binding=Sum(BINDING_MEASURE),
        )
        .order_by()
    )
    return {
        (row["member_state_id"], row["kind"]): _Tally(
            pledges=row["pledges"], illustrative=row["illustrative"], pledged=Decimal(row["binding"] or 0)
        )
        for row in rows
    }


def activated_by_state_and_kind(cycle: SolidarityCycle, *, viewer) -> dict[tuple[str, str], _Tally]:
    """Activations of the pledges the viewer may read, by (contributing state, kind): live amount called,
    fulfilled, and how many were declined. One query."""
    visible = Pledge.objects.visible_to(viewer, cycle=cycle).values("pk")
    declined = Q(status=ActivationStatus.DECLINED)
    rows = (
        Activation.objects.filter(pledge__in=visible)
        .values("pledge__member_state_id", "pledge__kind")
        .annotate(
            activations=Count("id", filter=~declined),
            declined=Count("id", filter=declined),
            activated=Sum("amount", filter=~declined),
            fulfilled=Sum("fulfilled"),
        )
        .order_by()
    )
    return {
        (row["pledge__member_state_id"], row["pledge__kind"]): _Tally(
            activations=row["activations"],
            declined=row["declined"],
            activated=row["activated"] or ZERO,
            fulfilled=row["fulfilled"] or ZERO,
        )
        for row in rows
    }


@dataclass(frozen=True)
class KindTotal:
    """What the pool holds of one kind of measure (AMMR Art. 56(2)), in its own unit and in relocations."""

    kind: str
    label: str
    unit: str
    pledges: int
    illustrative: int
    pledged: Decimal | int  # persons for relocations, euros otherwise
    activated: Decimal | int
    fulfilled: Decimal | int
    declined: int
    relocation_equivalent: Decimal
    activated_equivalent: Decimal
    fulfilled_equivalent: Decimal


@dataclass(frozen=True)
class Progress:
    """Pledged against one of the pool's reference numbers."""

    key: str
    label: str
    unit: str
    pledged: Decimal | int
    reference: Decimal | int
    percent: Decimal | None


@dataclass(frozen=True)
class StateImplementation:
    """One state's line of the dashboard: the fair-share row, and how far its pledges are implemented.

    How far is the parties' business (``sees_implementation``, AMMR Arts 57, 60): for another viewer
    ``implementation_visible`` is false and the three figures are None.
    """

    fair: FairShareRow
    illustrative: int
    activated_equivalent: Decimal | None
    fulfilled_equivalent: Decimal | None
    fulfilled_percent: Decimal | None  # of its pledged relocation equivalent
    pace: str  # one of PACE_LABELS
    implementation_visible: bool = True

    @property
    def member_state(self) -> MemberState:
        return self.fair.member_state

    @property
    def pace_label(self) -> str:
        return PACE_LABELS[self.pace]


PACE_ON_PACE = "on_pace"
PACE_BEHIND = "behind"
PACE_NOT_STARTED = "not_started"
PACE_NO_DATES = "no_dates"
PACE_NO_PLEDGE = "no_pledge"
PACE_HIDDEN = "hidden"
PACE_PARTIES_ONLY = "parties_only"
PACE_LABELS = {
    PACE_ON_PACE: "On pace",
    PACE_BEHIND: "Behind",
    PACE_NOT_STARTED: "Implementation year not started",
    PACE_NO_DATES: "Dates not recorded",
    PACE_NO_PLEDGE: "No pledge",
    PACE_HIDDEN: "Not public yet",
    PACE_PARTIES_ONLY: "Shown to the parties only",
}


def elapsed_percent(cycle: SolidarityCycle, *, today: datetime.date | None = None) -> Decimal | None:
    """Share of the implementation year gone by, from ``applies_from`` to ``implementation_deadline``.

    Non-financial pledges are implemented before the end of the year, each state in proportion to its
    overall pledge (AMMR Art. 60(3)): this is the yardstick a state's fulfilled share is set against.
    """
    start, end = cycle.applies_from, cycle.implementation_deadline
    if start is None or end is None or end <= start:
        return None
    today = today or timezone.localdate()
    elapsed = min(max((today - start).days, 0), (end - start).days)
    return _percent(Decimal(elapsed), (end - start).days)


def pace(*, visible: bool, pledged: Decimal, fulfilled_percent: Decimal | None, elapsed: Decimal | None) -> str:
    if not visible:
        return PACE_HIDDEN
    if not pledged:
        return PACE_NO_PLEDGE
    if elapsed is None:
        return PACE_NO_DATES
    if elapsed == 0:
        return PACE_NOT_STARTED
    return PACE_ON_PACE if fulfilled_percent >= elapsed else PACE_BEHIND


@dataclass(frozen=True)
class PoolOverview:
    cycle: SolidarityCycle
    kinds: list[KindTotal]
    progress: list[Progress]
    relocation_equivalent: Decimal
    activated_equivalent: Decimal
    fulfilled_equivalent: Decimal
    illustrative_pledges: int
    partial: bool  # the viewer does not see every state's pledges
    elapsed_percent: Decimal | None
    states: list[StateImplementation] = field(default_factory=list)
    key_error: Exception | None = None  # the fair-share key does not compute: no per-state table
    # Activated and fulfilled over the states in the key whose pledges the viewer sees: public, as the pool's
    # totals are, though each state's own figures are its parties' (AMMR Arts 57, 60).
    in_key_activated_equivalent: Decimal = ZERO
    in_key_fulfilled_equivalent: Decimal = ZERO

    @property
    def fulfilled_percent(self) -> Decimal | None:
        return _percent(self.fulfilled_equivalent, self.relocation_equivalent)

    @property
    def in_key_rows(self) -> list[StateImplementation]:
        return [row for row in self.states if row.fair.in_key]

    @property
    def outside_rows(self) -> list[StateImplementation]:
        return [row for row in self.states if not row.fair.in_key]

    def kind_total(self, kind: str) -> KindTotal:
        return next(total for total in self.kinds if total.kind == kind)

    def state_totals(self) -> dict:
        """The total line of the states in the key: fair shares of all of them, pledges of those the viewer
        may see (``partial`` when that is not every state)."""
        in_key = self.in_key_rows
        shown = [row for row in in_key if row.fair.pledges_visible]
        return {
            "share": sum((row.fair.fair_share.share_percent for row in in_key), Decimal(0)),
            "relocations": sum(row.fair.fair_share.relocations for row in in_key),
            "financial_eur": sum((row.fair.fair_share.financial_eur for row in in_key), Decimal(0)),
            "pledged_relocations": sum(row.fair.pledged_relocations for row in shown),
            "pledged_financial_eur": sum((row.fair.pledged_financial_eur for row in shown), Decimal(0)),
            "pledged_alternative_eur": sum((row.fair.pledged_alternative_eur for row in shown), Decimal(0)),
            "relocation_equivalent": sum((row.fair.pledged_relocation_equivalent for row in shown), Decimal(0)),
            "activated": self.in_key_activated_equivalent,
            "fulfilled": self.in_key_fulfilled_equivalent,
            "partial": len(shown) < len(in_key),
        }


def _pool_equivalent(persons, euros, cycle: SolidarityCycle) -> Decimal:
    """The pool's total in relocation equivalents: persons and euros converted once, as the fair-share table
    does, so the pool total and the sum of its rows agree."""
    return cycle.relocation_equivalent(relocations=persons, euros=euros)


def pool_overview(cycle: SolidarityCycle, *, viewer, today: datetime.date | None = None) -> PoolOverview:
    """Everything the pool dashboard shows, in a constant number of queries.

    Pledged totals by kind against the reference numbers (Art. 57), the relocation equivalent, and per state
    the fair share, the pledges, what was activated (Art. 60(2)) and fulfilled, and the pace (Art. 60(3)).
    """
    pledged = pledged_by_state_and_kind(cycle, viewer=viewer)
    activated = activated_by_state_and_kind(cycle, viewer=viewer)

    kinds = []
    for kind in PledgeKind:
        tally = _Tally()
        for source in (pledged, activated):
            for (_, row_kind), row in source.items():
                if row_kind != kind:
                    continue
                tally.pledges += row.pledges
                tally.illustrative += row.illustrative
                tally.pledged += row.pledged
                tally.activated += row.activated
                tally.fulfilled += row.fulfilled
                tally.declined += row.declined
        # Persons are whole; euros keep their cents.
        measure = _whole if kind == PledgeKind.RELOCATION else Decimal
        kinds.append(
            KindTotal(
                kind=kind,
                label=kind.label,
                unit=KIND_UNITS[kind],
                pledges=tally.pledges,
                illustrative=tally.illustrative,
                pledged=measure(tally.pledged),
                activated=measure(tally.activated),
                fulfilled=measure(tally.fulfilled),
                declined=tally.declined,
                relocation_equivalent=relocation_equivalent(kind, tally.pledged, cycle),
                activated_equivalent=relocation_equivalent(kind, tally.activated, cycle),
                fulfilled_equivalent=relocation_equivalent(kind, tally.fulfilled, cycle),
            )
        )
    by_kind = {total.kind: total for total in kinds}
    persons = by_kind[PledgeKind.RELOCATION].pledged
    euros = by_kind[PledgeKind.FINANCIAL].pledged + by_kind[PledgeKind.ALTERNATIVE].pledged
    equivalent = _pool_equivalent(persons, euros, cycle)
    progress = [
        Progress(
            "relocations",
            "Relocations pledged",
            "persons",
            persons,
            cycle.reference_relocations,
            _percent(persons, cycle.reference_relocations),
        ),
        Progress(
            "euros",
            "Euros pledged (financial and alternative measures)",
            "EUR",
            euros,
            cycle.reference_financial_eur,
            _percent(euros, cycle.reference_financial_eur),
        ),
        Progress(
            "equivalent",
            "All pledges in relocation equivalents",
            "relocations",
            equivalent,
            cycle.reference_relocations,
            _percent(equivalent, cycle.reference_relocations),
        ),
    ]
    elapsed = elapsed_percent(cycle, today=today)
    overview = dict(
        cycle=cycle,
        kinds=kinds,
        progress=progress,
        relocation_equivalent=equivalent,
        activated_equivalent=sum((total.activated_equivalent for total in kinds), ZERO),
        fulfilled_equivalent=sum((total.fulfilled_equivalent for total in kinds), ZERO),
        illustrative_pledges=sum(total.illustrative for total in kinds),
        partial=not sees_every_pledge(cycle, viewer),
        elapsed_percent=elapsed,
    )
    try:
        fair_rows = fair_share_table(cycle, viewer=viewer)
    except FairShareError as error:
        return PoolOverview(**overview, key_error=error)

    states = [
        _state_implementation(row, cycle, pledged, activated, viewer=viewer, elapsed=elapsed) for row in fair_rows
    ]
    totals = _in_key_totals(fair_rows, cycle, activated)
    return PoolOverview(**overview, states=states, **totals)


def _done(code: str, cycle: SolidarityCycle, activated: dict) -> tuple[Decimal, Decimal]:
    """A state's activated and fulfilled relocation equivalents, over its kinds of pledge."""
    done_activated = done_fulfilled = ZERO
    for kind in PledgeKind:
        activity = activated.get((code, kind))
        if activity is not None:
            done_activated += relocation_equivalent(kind, activity.activated, cycle)
            done_fulfilled += relocation_equivalent(kind, activity.fulfilled, cycle)
    return done_activated, done_fulfilled


def _in_key_totals(fair_rows, cycle: SolidarityCycle, activated: dict) -> dict:
    shown = [row for row in fair_rows if row.in_key and row.pledges_visible]
    done = [_done(row.member_state.code, cycle, activated) for row in shown]
    return {
        "in_key_activated_equivalent": sum((a for a, _ in done), ZERO),
        "in_key_fulfilled_equivalent": sum((f for _, f in done), ZERO),
    }


def _state_implementation(row: FairShareRow, cycle, pledged: dict, activated: dict, *, viewer, elapsed):
    """One state's line: its implementation figures for the parties, the coordinator and auditors only
    (``sees_implementation``, AMMR Arts 57, 60); for others, as for pledges not public yet, none."""
    code = row.member_state.code
    visible = row.pledges_visible
    illustrative = sum(pledged[(code, kind)].illustrative for kind in PledgeKind if (code, kind) in pledged)
    if not visible:
        return StateImplementation(row, 0, None, None, None, PACE_HIDDEN, implementation_visible=False)
    if not sees_implementation(viewer, pledging_state_id=code):
        return StateImplementation(row, illustrative, None, None, None, PACE_PARTIES_ONLY, implementation_visible=False)
    done_activated, done_fulfilled = _done(code, cycle, activated)
    fulfilled_percent = _percent(done_fulfilled, row.pledged_relocation_equivalent)
    return StateImplementation(
        fair=row,
        illustrative=illustrative,
        activated_equivalent=done_activated,
        fulfilled_equivalent=done_fulfilled,
        fulfilled_percent=fulfilled_percent,
        pace=pace(
            visible=visible,
            pledged=row.pledged_relocation_equivalent,
            fulfilled_percent=fulfilled_percent,
            elapsed=elapsed,
        ),
    )


@dataclass(frozen=True)
class StateOffsetEligibility:
    """Art. 63(2): a contributing state that "has pledged 50 % or more of its mandatory fair share ... as
    relocations", the 50 % being the cycle's ``offset_threshold_percent``."""

    member_state: MemberState
    fair_share_relocations: int
    pledged_relocations: int
    percent: Decimal | None
    threshold_percent: Decimal

    @property
    def threshold_met(self) -> bool:
        return self.percent is not None and self.percent >= self.threshold_percent


def offset_eligibility_by_state(cycle: SolidarityCycle, *, viewer) -> list[StateOffsetEligibility]:
    """The Art. 63(2) test for every state in the key whose pledges the viewer may read.

    The same figures as ``offset_eligibility`` (counted relocation pledges against the fair share before
    deductions), for all states at once from the fair-share table: a constant number of queries.
    """
    rows = []
    for row in fair_share_table(cycle, viewer=viewer):
        if row.fair_share is None or not row.pledges_visible:
            continue
        relocations = row.fair_share.relocations
        rows.append(
            StateOffsetEligibility(
                member_state=row.member_state,
                fair_share_relocations=relocations,
                pledged_relocations=row.pledged_relocations,
                percent=_percent(row.pledged_relocations, relocations),
                threshold_percent=cycle.offset_threshold_percent,
            )
        )
    return rows


def states_open_to_offsets(cycle: SolidarityCycle, *, viewer) -> list[StateOffsetEligibility] | None:
    """The states offsets may be requested from under Art. 63(2), among those whose pledges the viewer may
    read; None when the fair-share key does not compute for the cycle."""
    try:
        return [row for row in offset_eligibility_by_state(cycle, viewer=viewer) if row.threshold_met]
    except FairShareError:
        return None


# The SAR indicative share (AMMR Art. 57(2)) ------------------------------------------------------------------

SAR_ABOVE = "above"
SAR_BELOW = "below"
SAR_IN_LINE = "in_line"
SAR_NOTHING_ACTIVATED = "nothing_activated"
SAR_NO_SHARE = "no_share"
SAR_NO_STATE = "no_sar_state"


@dataclass(frozen=True)
class SarShare:
    """The pool's indicative share for states under pressure from search-and-rescue disembarkations, against
    what the coordinator has activated towards them (AMMR Art. 57(2), Art. 60(2)). Figures in relocation
    equivalents; ``empty`` names why there is nothing to measure (no share in the cycle, no SAR-designated
    state), and ``departure`` which way the distribution leaves the share, if it does."""

    cycle: SolidarityCycle
    share_percent: Decimal | None
    states: list[MemberState]
    pool_equivalent: Decimal
    indicated_equivalent: Decimal | None
    activated_equivalent: Decimal  # towards every benefitting state
    sar_activated_equivalent: Decimal  # towards the SAR-designated ones
    percent_of_activated: Decimal | None  # the SAR part of the distribution
    percent_of_pool: Decimal | None
    departure: str  # SAR_ABOVE, SAR_BELOW, SAR_IN_LINE or SAR_NOTHING_ACTIVATED; "" when empty
    empty: str = ""  # SAR_NO_SHARE or SAR_NO_STATE
    partial: bool = False  # the viewer does not see every state's pledges

    @property
    def applies(self) -> bool:
        return not self.empty

    @property
    def departs(self) -> bool:
        return self.departure in (SAR_ABOVE, SAR_BELOW)

    @property
    def left_to_indicated(self) -> Decimal | None:
        """What remains of the indicated part to activate towards the SAR states (never below zero)."""
        if self.indicated_equivalent is None:
            return None
        return max(self.indicated_equivalent - self.sar_activated_equivalent, ZERO)


def sar_designated_states(cycle: SolidarityCycle) -> list[MemberState]:
    """The states designated under migratory pressure on the ground of arrivals after search-and-rescue
    disembarkations (AMMR Art. 11), in protocol order. One query."""
    designations = (
        Designation.objects.filter(cycle=cycle, kind=DesignationKind.UNDER_PRESSURE, ground=DesignationGround.SAR)
        .select_related("member_state")
        .order_by("member_state__protocol_order")
    )
    return [designation.member_state for designation in designations]


def _activated_by_kind_and_beneficiary(cycle: SolidarityCycle, *, viewer) -> dict[tuple[str, str], Decimal]:
    """Live activations (open or fulfilled: not declined, the pool's "activated") of the pledges the viewer may
    read, by (kind, benefitting state), in the pledge's unit. One query."""
    visible = Pledge.objects.visible_to(viewer, cycle=cycle).values("pk")
    rows = (
        Activation.objects.filter(pledge__in=visible)
        .live()
        .values("pledge__kind", "benefitting_state_id")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    return {(row["pledge__kind"], row["benefitting_state_id"]): row["amount"] or ZERO for row in rows}


def pool_total_equivalent(cycle: SolidarityCycle, *, viewer) -> Decimal:
    """The pool's total in relocation equivalents, as the dashboard computes it (``pool_overview``). One query."""
    pledged = pledged_by_state_and_kind(cycle, viewer=viewer)
    persons = sum((row.pledged for (_, kind), row in pledged.items() if kind == PledgeKind.RELOCATION), ZERO)
    euros = sum((row.pledged for (_, kind), row in pledged.items() if kind != PledgeKind.RELOCATION), ZERO)
    return _pool_equivalent(_whole(persons), euros, cycle)


def sar_share(cycle: SolidarityCycle, *, viewer, pool_equivalent: Decimal | None = None) -> SarShare:
    """The SAR indicative share of the pool against the distribution of the activations (AMMR Art. 57(2)).

    Art. 57(2): the Council's implementing act may set an indicative share of the pool for the benefitting
    states under pressure from arrivals after search-and-rescue disembarkations; DOMAIN.md: "It may set an
    indicative share of the pool for states under SAR pressure (Art. 57(2); 42 % reported for 2026)". The 42 %
    is reported, not verified (DOMAIN.md, "What is still unverified"): the cycle's ``sar_share_percent`` holds
    whatever was recorded. The indicated part is the pool's total (relocation equivalents, ``pool_overview``)
    times that share, to the cent. What was activated towards the states designated on the SAR ground counts
    as the pool counts "activated": open and fulfilled activations, never the declined ones (Art. 60(2)).

    The distribution departs from the share when the SAR states' part of everything activated, to the cent of a
    percent, is above or below it; nothing activated yet is no departure. The share is indicative: the
    coordinator is warned, never stopped. Like the pool's totals, the figures count the pledges the viewer may
    read (``PledgeQuerySet.visible_to``) and are no state's own implementation figures. ``pool_equivalent``
    saves the pool's query when the caller has it already. At most three queries.
    """
    share = cycle.sar_share_percent
    partial = not sees_every_pledge(cycle, viewer)
    states = sar_designated_states(cycle) if share is not None else []
    empty = SAR_NO_SHARE if share is None else (SAR_NO_STATE if not states else "")
    if empty:
        return SarShare(cycle, share, states, ZERO, None, ZERO, ZERO, None, None, "", empty=empty, partial=partial)
    if pool_equivalent is None:
        pool_equivalent = pool_total_equivalent(cycle, viewer=viewer)
    indicated = (pool_equivalent * share / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    codes = {state.code for state in states}
    by_kind_all: dict[str, Decimal] = {}
    by_kind_sar: dict[str, Decimal] = {}
    for (kind, beneficiary), amount in _activated_by_kind_and_beneficiary(cycle, viewer=viewer).items():
        by_kind_all[kind] = by_kind_all.get(kind, ZERO) + amount
        if beneficiary in codes:
            by_kind_sar[kind] = by_kind_sar.get(kind, ZERO) + amount
    activated = sum((relocation_equivalent(k, a, cycle) for k, a in by_kind_all.items()), ZERO)
    sar_activated = sum((relocation_equivalent(k, a, cycle) for k, a in by_kind_sar.items()), ZERO)
    percent = _percent(sar_activated, activated)
    if percent is None:
        departure = SAR_NOTHING_ACTIVATED
    elif percent > share:
        departure = SAR_ABOVE
    elif percent < share:
        departure = SAR_BELOW
    else:
        departure = SAR_IN_LINE
    return SarShare(
        cycle=cycle,
        share_percent=share,
        states=states,
        pool_equivalent=pool_equivalent,
        indicated_equivalent=indicated,
        activated_equivalent=activated,
        sar_activated_equivalent=sar_activated,
        percent_of_activated=percent,
        percent_of_pool=_percent(sar_activated, pool_equivalent),
        departure=departure,
        partial=partial,
    )
