"""Reusable reads of Member States, cycles and reference data."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from solidarity.fairshare import FairShare, KeyFigures, KeyParameters, compute_fair_shares
from solidarity.models import MemberState, ReferenceFigure, SolidarityCycle


def cycle_key_parameters(cycle: SolidarityCycle, *, deductions_percent: Mapping[str, Decimal] | None = None):
    return KeyParameters(
        reference_relocations=cycle.reference_relocations,
        reference_financial_eur=cycle.reference_financial_eur,
        weight_population=cycle.weight_population,
        weight_gdp=cycle.weight_gdp,
        relocation_rounding=cycle.relocation_rounding,
        deductions_percent=deductions_percent or {},
    )


def cycle_key_figures(cycle: SolidarityCycle, states_in_key) -> list[KeyFigures]:
    """The key's inputs, one per state in ``states_in_key``; a state without figures gets None values."""
    figures = {
        f.member_state_id: f
        for f in ReferenceFigure.objects.filter(cycle=cycle).only("member_state_id", "population", "gdp_eur_million")
    }
    return [
        KeyFigures(
            member_state=state.code,
            population=figures[state.code].population if state.code in figures else None,
            gdp_eur_million=figures[state.code].gdp_eur_million if state.code in figures else None,
        )
        for state in states_in_key
    ]


def cycle_fair_shares(
    cycle: SolidarityCycle, *, deductions_percent: Mapping[str, Decimal] | None = None, states=None
) -> dict[str, FairShare]:
    """Fair shares of the states in the cycle's key, by code, in protocol order. Two queries."""
    if states is None:
        states = list(MemberState.objects.all())
    in_key = [state for state in states if state.bound_by_solidarity]
    shares = compute_fair_shares(
        cycle_key_figures(cycle, in_key), cycle_key_parameters(cycle, deductions_percent=deductions_percent)
    )
    return {share.member_state: share for share in shares}


def current_cycle() -> SolidarityCycle | None:
    return SolidarityCycle.objects.current()


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    record: object  # the historical row
    changes: list  # FieldChange for every field that differs from the row before it

    @property
    def kind(self) -> str:
        return {"+": "created", "~": "changed", "-": "deleted"}[self.record.history_type]


HISTORY_PAGE_SIZE = 50


def object_history(
    instance, *, page: int = 1, page_size: int = HISTORY_PAGE_SIZE, records=None
) -> tuple[list[HistoryEntry], bool]:
    """One page of ``instance``'s history, newest first, each row with its diff against the row before it.

    Two queries whatever the length: the page plus one row more (for the diff of its oldest entry),
    with the users joined. Returns the entries and whether an older page exists. ``records``: the history
    rows a reader may see, when not all (the diff of the oldest of them is then left out, as on a later page).
    """
    offset = (max(page, 1) - 1) * page_size
    records = instance.history.all() if records is None else records
    rows = list(
        records.select_related("history_user").order_by("-history_date", "-history_id")[offset : offset + page_size + 1]
    )
    has_more = len(rows) > page_size
    model = instance._meta
    # Bookkeeping columns (version, timestamps kept by Django) change on every save and say nothing.
    shown = {
        f.name
        for f in model.concrete_fields
        if f.name != "version" and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    }
    tracked = [f for f in instance.history.model._meta.concrete_fields if f.name in shown]
    entries = []
    for index, record in enumerate(rows[:page_size]):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        for field in tracked:
            new = getattr(record, field.attname)
            old = getattr(previous, field.attname) if previous is not None else None
            if previous is None and record.history_type != "+":
                continue  # the oldest row on a later page: its predecessor is unknown here
            if previous is None or old != new:
                if previous is None and new in (None, ""):
                    continue
                changes.append(FieldChange(field.name, str(field.verbose_name), old, new))
        entries.append(HistoryEntry(record=record, changes=changes))
    return entries, has_more
