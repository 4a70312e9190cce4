"""The audit trail: every domain model keeps a history row per change, with who, why, from where."""

from dataclasses import dataclass

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class AuditFields(models.Model):
    """Columns every history table carries beside django-simple-history's own."""

    history_ip_address = models.GenericIPAddressField(null=True, blank=True)
    history_request_id = models.CharField(max_length=64, blank=True, default="")
    history_transition = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        abstract = True


def audited(**options) -> HistoricalRecords:
    """The HistoricalRecords every domain model uses."""
    return HistoricalRecords(bases=[AuditFields], **options)


def stamp(instance, *, actor, reason: str, transition: str = "") -> None:
    """Attach who and why to the next save of ``instance``; its history row takes them."""
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason
    instance._history_transition = transition


@receiver(pre_create_historical_record)
def _fill_request_context(sender, instance, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        history_instance.history_ip_address = client_ip(request)
        history_instance.history_request_id = getattr(request, "request_id", "")
    history_instance.history_transition = getattr(instance, "_history_transition", "") or ""


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the peer the server saw; behind a proxy the deployment sets it from the proxy
    # header (see docs/deployment.md) rather than trusting a header any client can forge here.
    return request.META.get("REMOTE_ADDR") or None


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
