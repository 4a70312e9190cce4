"""Reusable reads of the pool's implementation: activations and what is left to activate, fulfilments,
deductions' deadlines, offsets and their eligibility, and the findings that bear on activations."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from compliance.models import Finding, FindingStatus
from pledges.implementation.models import Activation, ActivationStatus, Fulfilment, OffsetStatus, ResponsibilityOffset
from pledges.pledging.models import (
    CENT,
    DeductionRequest,
    Pledge,
    PledgeKind,
    PledgeStatus,
    implementation_parties_filter,
)
from pledges.pledging.selectors import granted_deductions_percent
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.fairshare import FairShareError, round_relocations
from solidarity.domain.models import CycleStatus, Designation, DesignationKind, MemberState, SolidarityCycle
from solidarity.domain.selectors import cycle_fair_shares

# AMMR Art. 60(2): the coordinator activates pledges recorded by the Council act, once the cycle is adopted.
ACTIVATABLE_CYCLE_STATUSES = (CycleStatus.ADOPTED, CycleStatus.IN_APPLICATION)
ASSESSMENT_DAYS = 28  # AMMR Art. 62(3): the Commission assesses a deduction request within four weeks


def is_activatable(pledge: Pledge) -> bool:
    """Whether the coordinator may call part of ``pledge`` (AMMR Art. 60(2)): recorded by the Council act, in a
    cycle adopted or in application. ``activatable_pledges`` is the same rule for queries."""
    return pledge.status == PledgeStatus.RECORDED and pledge.cycle.status in ACTIVATABLE_CYCLE_STATUSES


def left_to_activate(pledge: Pledge):
    """What remains of the pledge to activate, in its unit: the measure less its live activations."""
    return pledge.measure - pledge.activated


def activatable_pledges():
    """Pledges the coordinator may activate (``is_activatable``) with something left of what binds the state
    (``Pledge.binding_measure``: a fully deducted pledge has nothing left, AMMR Arts 61(1), 62(1))."""
    return (
        Pledge.objects.filter(status=PledgeStatus.RECORDED, cycle__status__in=ACTIVATABLE_CYCLE_STATUSES)
        .with_binding_measure()
        .filter(activated__lt=F("binding_measure"))
        .select_related("cycle", "member_state", "earmark")
    )


def activations_visible_to(user, queryset=None):
    """The activations ``user`` reads: those of the parties (its contributing and its benefitting state), the
    coordinator and auditors; the one rule of a pledge's implementation figures (``sees_implementation``,
    AMMR Arts 57, 60)."""
    queryset = Activation.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("pledge__cycle", "pledge__member_state", "benefitting_state")
    parties = implementation_parties_filter(
        user, pledging_state="pledge__member_state_id", benefitting_state="benefitting_state_id"
    )
    return queryset if parties is None else queryset.filter(parties)


def fulfilments_visible_to(user):
    """Fulfilments of the activations ``user`` may see."""
    visible = activations_visible_to(user).values("pk")
    return Fulfilment.objects.filter(activation__in=visible).select_related("activation__pledge__cycle")


def under_pressure(cycle: SolidarityCycle) -> list[Designation]:
    """The states designated as under migratory pressure in ``cycle``, in protocol order: those an activation
    is meant for (AMMR Art. 60(2))."""
    return list(
        Designation.objects.filter(cycle=cycle, kind=DesignationKind.UNDER_PRESSURE)
        .select_related("member_state")
        .order_by("member_state__protocol_order")
    )


def designations_of(cycle: SolidarityCycle, member_state_id: str) -> list[Designation]:
    """A state's designations in ``cycle``: what a deduction request may rest on (AMMR Arts 61-62)."""
    return list(Designation.objects.filter(cycle=cycle, member_state_id=member_state_id).order_by("kind"))


def cycles_open_to_deduction_requests(cycles) -> list[SolidarityCycle]:
    """Of ``cycles``, those a state may still ask a deduction in: every cycle until it is closed."""
    return [cycle for cycle in cycles if cycle.status != CycleStatus.CLOSED]


def assessment_due(deduction: DeductionRequest) -> datetime.date:
    """The day the Commission's assessment is due: four weeks after the request (AMMR Art. 62(3))."""
    return timezone.localdate(deduction.created_at) + datetime.timedelta(days=ASSESSMENT_DAYS)


def is_overdue(offset: ResponsibilityOffset, today: datetime.date) -> bool:
    """AMMR Art. 69: the requested state answers within 30 days; an offset still unanswered after its deadline
    is overdue. ``overdue_offsets`` is the same rule for queries."""
    return offset.status == OffsetStatus.REQUESTED and today > offset.answer_deadline


def overdue_offsets(queryset, today: datetime.date):
    """The offsets of ``queryset`` that are overdue (``is_overdue``)."""
    return queryset.filter(status=OffsetStatus.REQUESTED, answer_deadline__lt=today)


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
    """Whether responsibility offsets may be requested (AMMR Art. 63(1)-(2)), against the cycle's threshold.

    Art. 63(1), read (fantasticsearch.net/law/eu/en): a benefitting state may request offsets where the Council
    act's relocation pledges are "equal to or above 50 % of the number indicated in the Commission proposal
    referred to in Article 12"; Art. 63(2): a contributing state may offer them where that threshold is reached
    or where it "has pledged 50 % or more of its mandatory fair share ... as relocations". The 50 % is the
    cycle's ``offset_threshold_percent`` (data, DOMAIN.md: rules that could change are stored per cycle).
    """

    pledged_relocations: int
    proposal_relocations: int | None
    collective_percent: Decimal | None
    collective_threshold_met: bool
    contributing_state_percent: Decimal | None
    contributing_state_threshold_met: bool
    threshold_percent: Decimal  # the cycle's ``offset_threshold_percent`` (Art. 63(1)-(2): 50 %)

    @property
    def may_request(self) -> bool:
        return self.collective_threshold_met or self.contributing_state_threshold_met

    @property
    def explanation(self) -> str:
        threshold = f"{self.threshold_percent.normalize():f}"
        if self.collective_threshold_met:
            return gettext(
                "Relocation pledges reach %(percent)s %% of the proposal's %(relocations)s: offsets may be "
                "requested (Art. 63(1))."
            ) % {"percent": self.collective_percent, "relocations": f"{self.proposal_relocations:,}"}
        if self.contributing_state_threshold_met:
            return gettext(
                "The contributing state pledged %(percent)s %% of its fair share as relocations: it may take "
                "offsets (Art. 63(2))."
            ) % {"percent": self.contributing_state_percent}
        collective = (
            gettext("unknown (no proposal recorded)")
            if self.collective_percent is None
            else f"{self.collective_percent} %"
        )
        return gettext(
            "Offsets are not open: relocation pledges reach %(collective)s of the proposal's relocations, below "
            "the %(threshold)s %% of Art. 63(1), and the contributing state has not pledged %(threshold)s %% of "
            "its fair share as relocations (Art. 63(2))."
        ) % {"collective": collective, "threshold": threshold}


def offset_eligibility(cycle: SolidarityCycle, *, contributing_state: MemberState | None = None) -> OffsetEligibility:
    """The test of Art. 63(1)-(2) (``OffsetEligibility``), at ``cycle.offset_threshold_percent``."""
    totals = Pledge.objects.for_cycle(cycle).counted().filter(kind=PledgeKind.RELOCATION)
    pledged = totals.aggregate(total=Sum("quantity"))["total"] or 0
    proposal = cycle.proposal_relocations or None
    collective = (Decimal(pledged) * 100 / proposal).quantize(CENT, ROUND_HALF_UP) if proposal else None
    state_percent = None
    if contributing_state is not None and cycle.counts_in_key(contributing_state):
        state_pledged = totals.filter(member_state=contributing_state).aggregate(total=Sum("quantity"))["total"] or 0
        try:
            fair = cycle_fair_shares(cycle).get(contributing_state.pk)
        except FairShareError:
            fair = None
        if fair and fair.relocations:
            state_percent = (Decimal(state_pledged) * 100 / fair.relocations).quantize(CENT, ROUND_HALF_UP)
    threshold = cycle.offset_threshold_percent
    return OffsetEligibility(
        pledged_relocations=pledged,
        proposal_relocations=proposal,
        collective_percent=collective,
        collective_threshold_met=collective is not None and collective >= threshold,
        contributing_state_percent=state_percent,
        contributing_state_threshold_met=state_percent is not None and state_percent >= threshold,
        threshold_percent=threshold,
    )


def activation_amount(activation: Activation) -> str:
    """The amount called, in the pledge's own unit."""
    if activation.pledge.kind == PledgeKind.RELOCATION:
        return f"{activation.amount:,.0f} persons"
    return f"EUR {activation.amount:,.2f}"


def findings_with_effect(*, viewer, state: MemberState) -> list[dict]:
    """The ``compliance.hooks.findings_with_effect`` hook: the state's findings, each with the activations it
    let contributing states decline and, while
    confirmed, the open activations of its cycle that may still be declined (AMMR Art. 60(3)).

    Counts are for everyone; the activations themselves only for those who may see them (the contributing
    and benefitting states, the coordinator and auditors).
    """
    findings = list(
        Finding.objects.filter(member_state=state)
        .select_related("cycle")
        .annotate(declined_count=Count("declined_activations"))
        .order_by("-cycle__year", "-created_at", "-id")
    )
    visible = activations_visible_to(viewer)
    declined = defaultdict(list)
    for activation in visible.filter(finding__member_state=state).order_by("-created_at"):
        declined[activation.finding_id].append(activation)
    open_towards = Activation.objects.filter(benefitting_state=state).open()
    open_counts = {
        row["pledge__cycle_id"]: row
        for row in open_towards.values("pledge__cycle_id").annotate(
            total=Count("pk"), proposed=Count("pk", filter=Q(status=ActivationStatus.PROPOSED))
        )
    }
    open_visible = defaultdict(list)
    for activation in visible.filter(benefitting_state=state).open().order_by("-created_at"):
        open_visible[activation.pledge.cycle_id].append(activation)
    result = []
    for finding in findings:
        confirmed = finding.status == FindingStatus.CONFIRMED
        counts = open_counts.get(finding.cycle_id, {}) if confirmed else {}
        result.append(
            {
                "finding": finding,
                "declined": [(a, activation_amount(a)) for a in declined[finding.pk]],
                "open": [(a, activation_amount(a)) for a in open_visible[finding.cycle_id]] if confirmed else [],
                "open_total": counts.get("total", 0),
                "open_proposed": counts.get("proposed", 0),
            }
        )
    return result


# --- Mandatory responsibility offsets (AMMR Art. 63(3)-(4)) ------------------------------------------------------


@dataclass(frozen=True)
class MandatoryOffsetShare:
    """One contributing state's part of the mandatory offsets: how many applications it takes responsibility
    for (``applications``), its part of the collective number by the key (``key_part``), capped by what its
    relocation pledges leave of its fair share (``room``)."""

    member_state: MemberState
    share_percent: Decimal
    fair_share_relocations: int  # after granted deductions (Arts 61-62)
    pledged_relocations: int
    key_part: int
    room: int
    applications: int


@dataclass(frozen=True)
class MandatoryOffsets:
    """Whether Art. 63(3) applies to ``cycle``, the figures it compared, and each contributing state's number.

    ``triggered`` is None where it cannot be told: no proposal recorded (the needs), or a key that does not
    compute (``key_error``).
    """

    cycle: SolidarityCycle
    threshold_percent: Decimal
    needs: int | None  # the relocations of the Commission proposal (Art. 12)
    reference_relocations: int  # of the Council act (Art. 57), the proposal's before adoption
    pledged_relocations: int
    threshold_relocations: Decimal | None  # threshold_percent of the needs
    triggered: bool | None
    shortfall_needs: int  # point (a) as read here: relocations missing to the threshold of the needs
    shortfall_reference: int  # point (b) as read here: the same against the Council act's reference number
    applications: int  # the higher of the two (Art. 63(3): "el mayor de los dos números")
    states: tuple[MandatoryOffsetShare, ...] = ()
    key_error: str = ""

    @property
    def assigned(self) -> int:
        """The applications the states take in all; below ``applications`` where a state's room caps its part."""
        return sum(share.applications for share in self.states)

    @property
    def explanation(self) -> str:
        threshold = f"{self.threshold_percent.normalize():f}"
        if self.needs is None:
            return gettext(
                "Unknown: no Commission proposal is recorded, so the relocation needs that Art. 63(3) measures "
                "the pledges against are missing."
            )
        if not self.triggered:
            return gettext(
                "Mandatory offsets do not apply: relocation pledges (%(pledged)s) are not below %(threshold)s %% "
                "of the proposal's %(needs)s relocations (%(limit)s) (Art. 63(3))."
            ) % {
                "pledged": f"{self.pledged_relocations:,}",
                "threshold": threshold,
                "needs": f"{self.needs:,}",
                "limit": f"{self.threshold_relocations:,}",
            }
        if self.key_error:
            return gettext(
                "Mandatory offsets apply for %(applications)s applications, but the states' numbers cannot be "
                "computed: %(error)s"
            ) % {"applications": f"{self.applications:,}", "error": self.key_error}
        return gettext(
            "Mandatory offsets apply: relocation pledges (%(pledged)s) fall below %(threshold)s %% of the "
            "proposal's %(needs)s relocations (%(limit)s); contributing states take responsibility for up to "
            "%(applications)s applications (Art. 63(3))."
        ) % {
            "pledged": f"{self.pledged_relocations:,}",
            "threshold": threshold,
            "needs": f"{self.needs:,}",
            "limit": f"{self.threshold_relocations:,}",
            "applications": f"{self.applications:,}",
        }


def _gap(percent: Decimal, of: int, pledged: int) -> int:
    """Relocations missing for ``pledged`` to reach ``percent`` of ``of``; a part of a person counts as one."""
    needed = (Decimal(of) * percent / 100).to_integral_value(rounding=ROUND_CEILING)
    return max(int(needed) - pledged, 0)


def mandatory_offsets(cycle: SolidarityCycle) -> MandatoryOffsets:
    """The one home of the mandatory responsibility offsets (AMMR Art. 63(3)-(4)). Five queries.

    What was read: Art. 63(3), opening, ES (vademecumlegal.es): where, after the High-Level Forum (Art. 13(4)),
    relocation pledges fall below a threshold, contributing states take responsibility for applications for
    which the benefitting state is responsible "hasta el mayor de los dos números a que se refieren las
    letras a) y b)" (up to the higher of the two numbers of points (a) and (b)). The threshold, 60 % of the
    relocation needs, is read in Crisis Regulation (EU) 2024/1359, recital 30 ("relocation or responsibility
    offsets are to cover 60 % of the relocation needs"); it is the cycle's ``mandatory_offset_threshold_percent``.

    NOT VERIFIED (points (a) and (b) of Art. 63(3) and Art. 63(4) were not readable in any source reached):
    this reads
    - the trigger as counted relocation pledges (submitted in the exercise or recorded by the Council act)
      strictly below the threshold of the needs, the relocations of the Commission proposal (Art. 12), the
      number Art. 63(1) measures against; at exactly the threshold it does not apply;
    - point (a) as the relocations missing to reach the threshold of the needs, and point (b) as those missing
      to reach the threshold of the Council act's reference number (Art. 57(1) lets the Council amend the
      proposal); the collective number is the higher of the two;
    - Art. 63(4) as each contributing state's part being its key share of that number among the contributing
      states (those in the key not designated under migratory pressure: beneficiaries are not obliged to
      contribute, Art. 60(3)), rounded by the cycle's rule, and at most what its relocation pledges leave of
      its fair share after granted deductions (DOMAIN.md: "up to the fair share"). What a capped state does
      not take is not passed on to the others.
    """
    threshold = cycle.mandatory_offset_threshold_percent
    pledges = Pledge.objects.for_cycle(cycle).counted().filter(kind=PledgeKind.RELOCATION)
    by_state = dict(
        pledges.values("member_state_id").annotate(total=Sum("quantity")).values_list("member_state_id", "total")
    )
    pledged = sum(by_state.values())
    needs = cycle.proposal_relocations or None
    reference = cycle.reference_relocations
    common = {"cycle": cycle, "threshold_percent": threshold, "needs": needs, "reference_relocations": reference}
    if needs is None:
        return MandatoryOffsets(
            **common,
            pledged_relocations=pledged,
            threshold_relocations=None,
            triggered=None,
            shortfall_needs=0,
            shortfall_reference=0,
            applications=0,
        )
    limit = Decimal(needs) * threshold / 100
    if limit == limit.to_integral_value():  # 720.0000 persons are 720
        limit = limit.quantize(Decimal(1))
    triggered = Decimal(pledged) < limit
    shortfall_needs = _gap(threshold, needs, pledged) if triggered else 0
    shortfall_reference = _gap(threshold, reference, pledged) if triggered else 0
    result = MandatoryOffsets(
        **common,
        pledged_relocations=pledged,
        threshold_relocations=limit,
        triggered=triggered,
        shortfall_needs=shortfall_needs,
        shortfall_reference=shortfall_reference,
        applications=max(shortfall_needs, shortfall_reference),
    )
    if not triggered:
        return result
    states = list(MemberState.objects.all())
    try:
        shares = cycle_fair_shares(cycle, deductions_percent=granted_deductions_percent(cycle), states=states)
        beneficiaries = set(
            Designation.objects.filter(cycle=cycle, kind=DesignationKind.UNDER_PRESSURE).values_list(
                "member_state_id", flat=True
            )
        )
        contributing = [(state, shares[state.code]) for state in states if state.code in shares]
        contributing = [(state, share) for state, share in contributing if state.code not in beneficiaries]
        total_share = sum((share.share_percent for _, share in contributing), Decimal(0))
        rows = []
        for state, share in contributing:
            part = Decimal(result.applications) * share.share_percent / total_share if total_share else Decimal(0)
            key_part = round_relocations(part, cycle.relocation_rounding)
            state_pledged = by_state.get(state.code, 0)
            room = max(share.obligation_relocations - state_pledged, 0)
            rows.append(
                MandatoryOffsetShare(
                    member_state=state,
                    share_percent=share.share_percent,
                    fair_share_relocations=share.obligation_relocations,
                    pledged_relocations=state_pledged,
                    key_part=key_part,
                    room=room,
                    applications=min(key_part, room),
                )
            )
    except FairShareError as error:
        return replace(result, key_error=str(error))
    return replace(result, states=tuple(rows))
