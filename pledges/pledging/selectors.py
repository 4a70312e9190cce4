"""Reusable reads of pledges: who sees which, their history, their totals for the fair-share table, and the
preview of a pledge before it is saved."""

import dataclasses
from decimal import Decimal

from django.db.models import Q, Sum

from pledges.pledging.models import (
    BINDING_MEASURE,
    DeductionRequest,
    Pledge,
    PledgeKind,
    states_whose_pledges_are_visible,
)
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import CycleStatus, SolidarityCycle
from solidarity.domain.selectors import FairShareRow, PledgedTotals, fair_share_table
from solidarity.platform.history import object_history


def pledge_history(pledge: Pledge, *, viewer, page: int = 1):
    """One page of ``pledge``'s history as ``viewer`` may read it (see ``object_history``).

    Its state, the coordinator and auditors read every version. Anyone else reads a pledge only once the
    Council act made it public (AMMR Art. 57), and so only the versions written since: the drafts and
    revisions of the pledging exercise stay the state's own.
    """
    return object_history(pledge, page=page, records=pledge.history_visible_to(viewer))


def granted_deductions_percent(cycle: SolidarityCycle) -> dict[str, Decimal]:
    """The share of each state's pledges a Council implementing act deducted (the hook of the same name).

    AMMR Art. 61(1), 62(1): a deduction is of the state's "pledged contributions set out in the Council
    implementing act"; it lowers the pledges themselves (``Pledge.binding_measure``), and this figure says how
    much of them, for the fair-share table's deduction column. It never lowers the fair share. One query.
    """
    return {
        d.member_state_id: d.granted_percent if d.granted_percent is not None else d.requested_percent
        for d in DeductionRequest.objects.granted().filter(cycle=cycle)
    }


def pledged_totals(cycle: SolidarityCycle, *, viewer, states) -> dict[str, PledgedTotals]:
    """Each of ``states``' counted pledges of ``cycle`` (the ``solidarity.domain.hooks.pledged_totals`` hook),
    for the states whose pledges ``viewer`` may see: one query.

    Each pledge counts for its binding measure (``BINDING_MEASURE``): what a Council implementing act deducted
    is no longer pledged (AMMR Arts 61(1), 62(1)), so coverage and implementation follow the reduced pledges.
    """
    totals = {
        row["member_state_id"]: row
        for row in Pledge.objects.counted()
        .visible_to(viewer, cycle=cycle)
        .values("member_state_id")
        .annotate(
            relocations=Sum(BINDING_MEASURE, filter=Q(kind=PledgeKind.RELOCATION)),
            financial=Sum(BINDING_MEASURE, filter=Q(kind=PledgeKind.FINANCIAL)),
            alternative=Sum(BINDING_MEASURE, filter=Q(kind=PledgeKind.ALTERNATIVE)),
        )
        .order_by()
    }
    result = {}
    for code in states_whose_pledges_are_visible(viewer, cycle, states):
        total = totals.get(code, {})
        relocations = int(total.get("relocations") or 0)
        financial = total.get("financial") or Decimal("0.00")
        alternative = total.get("alternative") or Decimal("0.00")
        result[code] = PledgedTotals(
            relocations=relocations,
            financial_eur=financial,
            alternative_eur=alternative,
            relocation_equivalent=cycle.relocation_equivalent(relocations=relocations, euros=financial + alternative),
        )
    return result


def pledge_list(user, queryset=None):
    """Pledges ``user`` may read, with everything a list shows loaded in the same query."""
    return (
        (Pledge.objects.all() if queryset is None else queryset)
        .visible_to(user)
        .select_related("cycle", "member_state", "earmark")
    )


def deductions_visible_to(user, queryset=None):
    queryset = DeductionRequest.objects.all() if queryset is None else queryset
    return queryset.select_related("cycle", "member_state").visible_to(user)


def pledging_cycles():
    """The cycles whose pledging exercise is open, newest first: the only ones that take new pledges (AMMR
    Art. 13)."""
    return SolidarityCycle.objects.filter(status=CycleStatus.PLEDGING).order_by("-year")


@dataclasses.dataclass(frozen=True)
class PledgePreview:
    """What a pledge would add before it is saved: its relocation equivalent and the state's coverage."""

    pledge: Pledge
    row: FairShareRow | None
    after: FairShareRow | None
    key_error: str = ""


def pledge_preview(pledge: Pledge, *, viewer) -> PledgePreview:
    """Coverage of the state's fair share now and once the unsaved ``pledge`` is submitted (it counts from then
    on), as ``viewer`` may see it."""
    try:
        rows = fair_share_table(pledge.cycle, viewer=viewer)
    except FairShareError as error:
        return PledgePreview(pledge=pledge, row=None, after=None, key_error=str(error))
    row = next((r for r in rows if r.member_state.code == pledge.member_state_id), None)
    return PledgePreview(pledge=pledge, row=row, after=None if row is None else _counting(row, pledge))


def _counting(row: FairShareRow, pledge: Pledge) -> FairShareRow:
    """``row`` with ``pledge`` among the counted pledges; the row computes its own coverage."""
    relocations = row.pledged_relocations + (pledge.quantity if pledge.kind == PledgeKind.RELOCATION else 0)
    financial = row.pledged_financial_eur + (pledge.amount_eur if pledge.kind == PledgeKind.FINANCIAL else 0)
    alternative = row.pledged_alternative_eur + (pledge.amount_eur if pledge.kind == PledgeKind.ALTERNATIVE else 0)
    return dataclasses.replace(
        row,
        pledged_relocations=relocations,
        pledged_financial_eur=financial,
        pledged_alternative_eur=alternative,
        # As pledged_totals counts it once submitted: the state's persons and euros, converted together.
        pledged_relocation_equivalent=pledge.cycle.relocation_equivalent(
            relocations=relocations, euros=financial + alternative
        ),
    )
