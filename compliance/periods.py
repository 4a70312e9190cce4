"""How the pages name a reporting period (``Jan 2026``, ``Q1 2026``), and which kind of period they show first."""

import datetime
from collections import Counter
from collections.abc import Callable

from compliance.models import PeriodKind


def period_label(kind: str) -> Callable[[datetime.date], str]:
    """The name of a period of ``kind`` from its first day."""
    if kind == PeriodKind.QUARTER:
        return lambda date: f"Q{(date.month - 1) // 3 + 1} {date.year}"
    return lambda date: date.strftime("%b %Y")


def record_period(record) -> str:
    """The name of the period a Dublin-performance or secondary-movement record stands for."""
    return period_label(record.period_kind)(record.period_start)


def most_common_kind(counts: Counter) -> str:
    """The kind of period most records use; months and quarters are not mixed unless asked (a rate over a
    quarter drawn beside monthly rates would read as a jump)."""
    if not counts:
        return PeriodKind.MONTH
    return max(PeriodKind.values, key=lambda kind: counts[kind])  # a tie keeps months, listed first
