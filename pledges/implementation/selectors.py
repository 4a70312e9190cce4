"""Reusable reads of the pool's implementation: activations and what is left to activate, fulfilments,
deductions' deadlines, offsets and their eligibility, and the findings that bear on activations."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

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
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.fairshare import FairShareError
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
    """Pledges the coordinator may activate (``is_activatable``) with something left to activate."""
    return (
        Pledge.objects.filter(status=PledgeStatus.RECORDED, cycle__status__in=ACTIVATABLE_CYCLE_STATUSES)
        .filter(
            Q(kind=PledgeKind.RELOCATION, activated__lt=F("quantity"))
            | (~Q(kind=PledgeKind.RELOCATION) & Q(activated__lt=F("amount_eur")))
        )
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
    if contributing_state is not None and contributing_state.counted_in_key:
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
