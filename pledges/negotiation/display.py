"""How a position is shown on the negotiation pages: its stance in colour and words, its value in the topic's
unit, how far it moved since the position before it, and the rows the matrix, meeting and comparison pages
and the edit form's stale notice print.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format, number_format

from pledges.negotiation.models import Position, Stance, Visibility

STANCE_LABELS = dict(Stance.choices)

# A topic whose value is counted in relocations or euros can be set beside what a state pledged.
_QUANTIFIED_UNIT = re.compile(r"\b(relocations?|eur|euros?)\b", re.IGNORECASE)


def stance_class(stance: str) -> str:
    return "stance--" + stance.replace("_", "-")


def format_value(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return ""
    places = 0 if value == value.to_integral_value() else 2
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text} {unit}" if unit else text


def legend() -> list[dict]:
    """The stance scale, from red line to strong support, as the pages' legend prints it."""
    return [
        {"label": label, "css": stance_class(value), "rank": rank} for rank, (value, label) in enumerate(Stance.choices)
    ]


@dataclass(frozen=True)
class Movement:
    """How far a stance moved along the ordinal scale since the delegation's previous position on the topic."""

    current: Position
    previous: Position | None

    @property
    def steps(self) -> int | None:
        return None if self.previous is None else self.current.stance_rank - self.previous.stance_rank

    @property
    def direction(self) -> str:
        steps = self.steps
        if steps is None:
            return "first"
        return "up" if steps > 0 else "down" if steps < 0 else "same"

    @property
    def arrow(self) -> str:
        return {"first": "•", "up": "▲", "down": "▼", "same": "="}[self.direction]

    @property
    def words(self) -> str:
        direction = self.direction
        if direction == "first":
            return "first position recorded"
        before = STANCE_LABELS[self.previous.stance].lower()
        if direction == "same":
            return f"unchanged since {date_format(self.previous.date, 'j M Y')}"
        return f"{direction} {abs(self.steps)} from {before}"


@dataclass(frozen=True)
class ShownPosition:
    """A position ready for a page: everything a cell or a timeline row prints."""

    position: Position
    movement: Movement
    unit: str

    @property
    def stance_label(self) -> str:
        return STANCE_LABELS[self.position.stance]

    @property
    def css(self) -> str:
        return stance_class(self.position.stance)

    @property
    def value(self) -> str:
        return format_value(self.position.proposed_value, self.unit)

    @property
    def restricted(self) -> bool:
        return self.position.visibility == Visibility.RESTRICTED


def shown(position: Position, previous: Position | None, unit: str) -> ShownPosition:
    return ShownPosition(position=position, movement=Movement(position, previous), unit=unit)


def shown_cell(cell, unit: str) -> ShownPosition | None:
    """A matrix cell (or its absence) as the pages print it."""
    return None if cell is None else shown(cell.latest, cell.previous, unit)


def with_movements(positions, unit_of) -> list[ShownPosition]:
    """``positions`` of one delegation on one topic, oldest first, each against the one before it."""
    entries, previous = [], None
    for position in positions:
        entries.append(shown(position, previous, unit_of(position)))
        previous = position
    return entries


def quantified_topics(topics) -> list:
    """The topics whose values count relocations or euros, in their order: those the comparison shows."""
    return [topic for topic in topics if _QUANTIFIED_UNIT.search(topic.unit or "")]


def matrix_rows(matrix, states) -> list[dict]:
    """A row per state of ``states``: its state and a shown cell (or None) per topic of the matrix."""
    return [
        {
            "state": state,
            "cells": [shown_cell(matrix.cell(state.code, topic.pk), topic.unit) for topic in matrix.topics],
        }
        for state in states
    ]


def comparison_rows(matrix, fair_shares, topics) -> list[dict]:
    """A row per state of the fair-share table: its pledges beside its latest stance on each of ``topics``.

    The Member States are listed; a Dublin-associated state once it has spoken or pledged.
    """
    spoke = matrix.states_that_spoke
    rows = []
    for row in fair_shares:
        state = row.member_state
        pledged = row.pledges_visible and row.pledged_relocation_equivalent > 0
        if not (state.eu_member or state.code in spoke or pledged):
            continue
        stances = [shown_cell(matrix.cell(state.code, topic.pk), topic.unit) for topic in topics]
        rows.append({"fair": row, "state": state, "stances": stances})
    return rows


def positions_by_topic(positions) -> list[dict]:
    """Positions (ordered by topic) grouped under their topic, each shown without its change."""
    groups: dict = {}
    for position in positions:
        groups.setdefault(position.topic_id, {"topic": position.topic, "positions": []})["positions"].append(
            shown(position, None, position.topic.unit)
        )
    return list(groups.values())


def stored_values(position: Position) -> list[tuple[str, object]]:
    """What is stored of a position now, label by label: shown beside a form whose version went stale."""
    return [
        ("Topic", position.topic.title),
        ("Delegation", f"{position.member_state.name} ({position.member_state_id})"),
        ("Meeting", position.meeting.title if position.meeting else "No meeting"),
        ("Date", date_format(position.date, "j F Y")),
        ("Stance", STANCE_LABELS[position.stance]),
        ("Proposed value", format_value(position.proposed_value, position.topic.unit) or None),
        ("Conditions", position.conditions or None),
        ("Statement", position.statement or None),
        ("Source", position.source or None),
        ("Visibility", position.get_visibility_display()),
        ("Version", position.version),
    ]
