"""The benchmark's negotiation positions: per state and topic a sequence of stances walking along the scale,
each position with its creation and revisions in the history."""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from bench.seed_copy import HistoryWriter, copy_rows, first_free_id
from bench.seed_plan import RANDOM_SEED, Scale, SeededCycle, SeededUsers, moment_on, object_rng, spread
from pledges.negotiation.models import Position, Stance

STATEMENTS = [
    "The delegation supports the Presidency's compromise text.",
    "The delegation maintains a scrutiny reservation pending national consultations.",
    "The delegation asks for a lower figure, in line with the annual report.",
    "The delegation can accept the proposal if the deductions are granted in full.",
    "The delegation recalls that alternative measures must count at their full value.",
    "The delegation opposes any mandatory relocation figure.",
]
STANCES = [stance.value for stance in Stance]


@dataclass
class PositionSpec:
    cycle: SeededCycle
    state: str
    topic: int
    index: int  # its place in the cell's sequence
    of: int  # positions in the cell
    revisions: int = 0


def plan_positions(scale: Scale, cycles: list[SeededCycle], states, rng) -> list[PositionSpec]:
    codes = [s.code for s in states]
    cells = [(cycle, code, topic) for cycle in cycles for code in codes for topic in cycle.topics]
    if not cells:
        return []
    specs = []
    for (cycle, code, topic), count in zip(cells, spread(scale.positions, len(cells)), strict=True):
        specs.extend(PositionSpec(cycle, code, topic, i, count) for i in range(count))
    return specs


def _position_timeline(spec: PositionSpec, pk: int, rank: int, users: SeededUsers) -> Iterator[tuple[dict, dict]]:
    rng = object_rng(3, pk)
    start = datetime.date(spec.cycle.year - 1, 3, 10)
    day = start + datetime.timedelta(days=(spec.index * 260) // max(spec.of, 1))
    negotiator = users.negotiator[spec.state]
    values = {
        "id": pk,
        "cycle_id": spec.cycle.pk,
        "topic_id": spec.topic,
        "member_state_id": spec.state,
        "meeting_id": next((meeting for meeting, date in spec.cycle.meetings if date == day), None),
        "date": day,
        "stance": STANCES[rank],
        "stance_rank": rank,
        "proposed_value": Decimal(rng.randrange(5000, 40000)) if rng.random() < 0.3 else None,
        "conditions": "",
        "statement": rng.choice(STATEMENTS),
        "source": f"Delegation note {spec.state}/{spec.cycle.year - 1}/{spec.index + 1}",
        "visibility": "restricted" if rng.random() < 0.15 else "shared",
        "recorded_by_id": negotiator,
        "recorded_by_state_id": spec.state,
        "version": 1,
    }
    when = moment_on(day, rng)
    values["created_at"] = when
    meta = {"when": when, "kind": "+", "user_id": negotiator, "reason": "Position recorded", "transition": ""}
    yield dict(values), meta
    for _ in range(spec.revisions):
        values["version"] += 1
        values["statement"] = rng.choice(STATEMENTS)
        values["conditions"] = "Subject to parliamentary scrutiny." if rng.random() < 0.5 else ""
        when += datetime.timedelta(seconds=rng.randrange(600, 86400))
        reason = "Statement corrected after the meeting"
        yield dict(values), {"when": when, "kind": "~", "user_id": negotiator, "reason": reason, "transition": ""}


def _position_ranks(specs: list[PositionSpec]) -> list[int]:
    """Each cell's stances as a random walk along the scale, one step at most between positions."""
    rng = random.Random(RANDOM_SEED + 3)
    ranks, rank = [], 0
    for spec in specs:
        if spec.index == 0:
            rank = rng.randrange(len(STANCES))
        rank = max(0, min(len(STANCES) - 1, rank + rng.choice((-1, 0, 0, 1))))
        ranks.append(rank)
    return ranks


def write_positions(connection, specs: list[PositionSpec], users: SeededUsers, summary) -> None:
    first_id = first_free_id(connection, Position)
    ranks = _position_ranks(specs)

    def objects() -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            *_, (values, _meta) = _position_timeline(spec, first_id + offset, ranks[offset], users)
            yield values

    def history_rows(writer: HistoryWriter) -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            pk = first_id + offset
            rng = object_rng(4, pk)
            for values, meta in _position_timeline(spec, pk, ranks[offset], users):
                yield writer.row(values, rng=rng, **meta)

    copy_rows(connection, Position, objects(), summary)
    writer = HistoryWriter(connection, Position)
    copy_rows(connection, writer.model, history_rows(writer), summary)
