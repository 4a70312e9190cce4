"""Reusable reads of pledges, and the fair-share table that sets them against the key."""

from decimal import Decimal

from django.db.models import Q, Sum

from pledges.pledging.models import DeductionRequest, Pledge, PledgeKind, PledgeStatus, sees_every_state_pledges
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.models import SolidarityCycle
from solidarity.domain.selectors import PledgedTotals
from solidarity.platform.history import object_history


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


def pledged_totals(cycle: SolidarityCycle, *, viewer, states) -> dict[str, PledgedTotals]:
    """Each of ``states``' counted pledges of ``cycle`` (the ``solidarity.domain.hooks.pledged_totals`` hook),
    for the states whose pledges ``viewer`` may see: one query."""
    sees_all = sees_every_state_pledges(viewer, cycle)
    totals = {
        row["member_state_id"]: row
        for row in Pledge.objects.counted()
        .visible_to(viewer, cycle=cycle)
        .values("member_state_id")
        .annotate(
            relocations=Sum("quantity", filter=Q(kind=PledgeKind.RELOCATION)),
            financial=Sum("amount_eur", filter=Q(kind=PledgeKind.FINANCIAL)),
            alternative=Sum("amount_eur", filter=Q(kind=PledgeKind.ALTERNATIVE)),
        )
        .order_by()
    }
    result = {}
    for code in (state.code for state in states if sees_all or state.code == viewer.member_state_id):
        total = totals.get(code, {})
        relocations = total.get("relocations") or 0
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
    queryset = queryset.select_related("cycle", "member_state")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    # Granted deductions are in the Council act, and so public.
    public = Q(status__in=["granted_full", "granted_partial"])
    if user.member_state_id:
        return queryset.filter(public | Q(member_state_id=user.member_state_id))
    return queryset.filter(public)
