"""The audit log as rows of a CSV or XLSX file, and stored values as text or JSON."""

import datetime
from decimal import Decimal
from uuid import UUID

from solidarity.platform.audit import AuditEntry
from solidarity.platform.history import FieldChange

# The most changes one download of the audit page may hold; the ``export_audit`` command has no cap.
EXPORT_CAP = 100_000


def plain(value):
    """A stored value as JSON can carry it: decimals and dates as strings, the rest as they are."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return value


def changes_text(changes: list[FieldChange]) -> str:
    """One line per change, "field: old -> new", for exports."""

    def show(value):
        return "(empty)" if value in (None, "") else str(plain(value))

    return "\n".join(f"{c.field}: {show(c.old)} -> {show(c.new)}" for c in changes)


EXPORT_HEADERS = (
    "When",
    "User",
    "Object type",
    "Object id",
    "Member State",
    "Change",
    "Transition",
    "Reason",
    "IP address",
    "Request id",
    "History id",
    "Changes",
)


def export_row(entry: AuditEntry) -> list:
    record = entry.record
    return [
        record.history_date,
        entry.username or "system",
        entry.source.label,
        entry.object_id,
        entry.member_state or "",
        entry.kind,
        record.history_transition,
        record.history_change_reason or "",
        record.history_ip_address or "",
        record.history_request_id,
        record.history_id,
        changes_text(entry.changes),
    ]
