"""The benchmark's pledges: one relocation and one financial pledge per state and cycle, the rest alternative
measures, each with its timeline of creation, revisions and transitions as the services would write them.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from bench.seed_copy import HistoryWriter, copy_rows, first_free_id
from bench.seed_plan import Scale, SeededCycle, SeededUsers, object_rng, spread
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.domain.models import CycleStatus

MEASURES = [
    "Deployment of asylum caseworkers",
    "Reception capacity: mobile units",
    "Interpretation services",
    "Return counselling support",
    "Border surveillance equipment",
    "Capacity-building for guardianship systems",
    "IT support for registration",
]
REVISION_REASONS = ["Figure revised after national consultation", "Corrected amount", "Aligned with the budget law"]


@dataclass
class PledgeSpec:
    cycle: SeededCycle
    state: str
    kind: str
    status: str
    events: list[str]  # "+", "revise", then the transitions in order
    earmark: str | None


MANDATORY = {
    PledgeStatus.DRAFT: [],
    PledgeStatus.SUBMITTED: ["submit"],
    PledgeStatus.RECORDED: ["submit", "record"],
    PledgeStatus.WITHDRAWN: ["withdraw"],
}


def plan_pledges(scale: Scale, cycles: list[SeededCycle], states, rng) -> list[PledgeSpec]:
    codes = [s.code for s in states]
    counts = spread(scale.pledges, len(cycles) * len(states))
    specs = []
    for ci, cycle in enumerate(cycles):
        pledging = cycle.status == CycleStatus.PLEDGING
        for si, code in enumerate(codes):
            for j in range(counts[ci * len(codes) + si]):
                kind = (PledgeKind.RELOCATION, PledgeKind.FINANCIAL)[j] if j < 2 else PledgeKind.ALTERNATIVE
                draw = rng.random()
                if pledging:
                    if kind != PledgeKind.ALTERNATIVE or 0.4 <= draw < 0.9:
                        status = PledgeStatus.SUBMITTED
                    else:
                        status = PledgeStatus.DRAFT if draw < 0.4 else PledgeStatus.WITHDRAWN
                elif kind != PledgeKind.ALTERNATIVE or draw < 0.85:
                    status = PledgeStatus.RECORDED
                else:
                    status = PledgeStatus.DRAFT if draw < 0.95 else PledgeStatus.WITHDRAWN
                others = [c for c in codes if c != code]
                earmark = rng.choice(others) if others and rng.random() < 0.1 else None
                specs.append(PledgeSpec(cycle, code, str(kind), str(status), ["+", *MANDATORY[status]], earmark))
    return specs


def _pledge_timeline(spec: PledgeSpec, pk: int, users: SeededUsers) -> Iterator[tuple[dict, dict]]:
    """(the pledge's values after each change, who/when/why of that change), oldest first."""
    rng = object_rng(1, pk)
    official = users.official[spec.state]
    values = {
        "id": pk,
        "cycle_id": spec.cycle.pk,
        "member_state_id": spec.state,
        "kind": spec.kind,
        **_measure(spec.kind, rng),
        "earmark_id": spec.earmark,
        "illustrative": False,
        "status": PledgeStatus.DRAFT.value,
        "activated": Decimal("0.00"),
        "version": 1,
        "recorded_by_id": official,
    }
    when = spec.cycle.pledging_start + datetime.timedelta(seconds=rng.randrange(35 * 86400))
    values["created_at"] = when
    for event in spec.events:
        actor = official
        if event == "+":
            kind, reason, transition = "+", "Pledge recorded by the delegation", ""
        else:
            kind = "~"
            values["version"] += 1
            if event == "revise":
                reason, transition = rng.choice(REVISION_REASONS), ""
                values.update(_measure(spec.kind, rng, description=values["description"]))
            else:
                reason, transition = f"Pledge {event} ({spec.cycle.year})", event
                values["status"] = TRANSITION_TARGETS[event]
                if event == "record":
                    actor, reason = users.coordinator, f"Council implementing act of {spec.cycle.year}"
            if event == "record":
                when = spec.cycle.council_act
            else:
                when += datetime.timedelta(seconds=rng.randrange(3600, 6 * 86400))
                if spec.cycle.council_act:
                    when = min(when, spec.cycle.council_act - datetime.timedelta(hours=1))
        values["updated_at"] = when
        yield dict(values), {"when": when, "kind": kind, "user_id": actor, "reason": reason, "transition": transition}


TRANSITION_TARGETS = {
    "submit": PledgeStatus.SUBMITTED.value,
    "record": PledgeStatus.RECORDED.value,
    "withdraw": PledgeStatus.WITHDRAWN.value,
}


def write_pledges(connection, specs: list[PledgeSpec], users: SeededUsers, summary) -> None:
    first_id = first_free_id(connection, Pledge)

    def objects() -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            *_, (values, _meta) = _pledge_timeline(spec, first_id + offset, users)
            yield values

    def history_rows(writer: HistoryWriter) -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            pk = first_id + offset
            rng = object_rng(2, pk)
            for values, meta in _pledge_timeline(spec, pk, users):
                yield writer.row(values, rng=rng, **meta)

    copy_rows(connection, Pledge, objects(), summary)
    writer = HistoryWriter(connection, Pledge)
    copy_rows(connection, writer.model, history_rows(writer), summary)


def _measure(kind: str, rng, *, description: str | None = None) -> dict:
    if kind == PledgeKind.RELOCATION:
        return {"quantity": rng.randrange(20, 2500), "amount_eur": None, "description": ""}
    if kind == PledgeKind.FINANCIAL:
        return {"quantity": None, "amount_eur": Decimal(rng.randrange(1_000_000, 90_000_000)), "description": ""}
    return {
        "quantity": None,
        "amount_eur": Decimal(rng.randrange(50_000, 5_000_000)),
        "description": description or f"{rng.choice(MEASURES)}: {rng.randrange(2, 60)} units for 12 months",
    }
