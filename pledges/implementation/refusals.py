"""What contributing states refused without an Art. 60(3) ground, by state: not implemented, so still due.

The pool dashboard shows it to the coordinator (and each state its own line); the rule of what such a refusal
is lives in ``Activation.is_not_implemented`` / ``ActivationQuerySet.not_implemented``.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum

from pledges.implementation.models import Activation
from pledges.implementation.pool import ZERO, relocation_equivalent
from pledges.pledging.models import Pledge, PledgeKind, implementation_parties_filter
from solidarity.domain.models import SolidarityCycle


@dataclass(frozen=True)
class StateNotImplemented:
    """What one contributing state refused without an Art. 60(3) ground, so still owes (AMMR Art. 60(3))."""

    code: str
    name: str
    refusals: int
    relocations: int  # persons
    euros: Decimal  # financial and alternative measures
    equivalent: Decimal


def not_implemented_by_state(cycle: SolidarityCycle, *, viewer) -> list[StateNotImplemented]:
    """Per contributing state, the activations it refused on a ground other than Art. 60(3)'s systemic
    shortcomings (``ActivationQuerySet.not_implemented``), in protocol order: how many, and how much, in the
    pledge's unit and in relocation equivalents.

    AMMR Art. 60(3): contributing states "shall implement" their pledges; only towards a beneficiary with
    identified systemic shortcomings are they "not obliged to implement". Such a refusal leaves the part due.
    These are a state's own implementation figures: the viewer reads those of the states whose implementation
    it reads (``implementation_parties_filter``: the state itself, the coordinator and auditors), of the
    pledges it may read. One query.
    """
    visible = Pledge.objects.visible_to(viewer, cycle=cycle).values("pk")
    refusals = Activation.objects.filter(pledge__in=visible).not_implemented()
    parties = implementation_parties_filter(viewer, pledging_state="pledge__member_state_id")
    if parties is not None:
        refusals = refusals.filter(parties)
    rows = (
        refusals.values(
            "pledge__member_state_id",
            "pledge__member_state__name",
            "pledge__member_state__protocol_order",
            "pledge__kind",
        )
        .annotate(refusals=Count("id"), amount=Sum("amount"))
        .order_by("pledge__member_state__protocol_order", "pledge__kind")
    )
    states: dict[str, dict] = {}
    for row in rows:
        code, kind, amount = row["pledge__member_state_id"], row["pledge__kind"], row["amount"] or ZERO
        line = states.setdefault(
            code,
            {"name": row["pledge__member_state__name"], "refusals": 0, "persons": ZERO, "euros": ZERO, "eq": ZERO},
        )
        line["refusals"] += row["refusals"]
        line["persons" if kind == PledgeKind.RELOCATION else "euros"] += amount
        line["eq"] += relocation_equivalent(kind, amount, cycle)
    return [
        StateNotImplemented(
            code=code,
            name=line["name"],
            refusals=line["refusals"],
            relocations=int(line["persons"].to_integral_value(rounding=ROUND_HALF_UP)),
            euros=line["euros"],
            equivalent=line["eq"],
        )
        for code, line in states.items()
    ]
