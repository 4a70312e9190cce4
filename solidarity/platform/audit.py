"""The audit log: every history row of every audited model, filtered, paged by keyset, with its diff.

What auditors read (DESIGN "Roles": the auditor reads every history row and exports the audit log). The
history tables are discovered, not listed: any model with ``history = audited()`` joins the log the day it
is added. Pages are keyset-paginated on (history_date, model, history_id), newest first, so a page deep in a
million rows costs what the first one does: each table is asked for its newest ``page + 1`` matching rows in
one UNION ALL (never OFFSET), then the rows and their predecessors (for the diffs) are fetched with a fixed
number of queries per table on the page.

The filter form that reads a request's filters is in ``audit_forms``, the export rows in ``audit_export``
and an object as it was at a moment in ``audit_as_of``.
"""

import base64
import binascii
import datetime
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django_fsm import FSMFieldMixin
from simple_history import utils as history_utils

from solidarity.platform.history import FieldChange

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
KINDS = {"+": "created", "~": "changed", "-": "deleted"}


# --- The audited models -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditSource:
    """One audited model and its history table."""

    index: int  # position in label order: the tie-breaker between tables in the keyset
    label: str  # "pledges.pledge": how URLs, filters and exports name the model
    model: type
    history_model: type
    pk_field: object  # the model's primary key field; the history row keeps it under the same attname
    member_state_attname: str | None  # "member_state_id" where the history table has that column
    tracked: tuple  # the history row's fields that a diff compares
    m2m: tuple  # (field name, label, m2m history model, name of the related object on its rows)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def named(self) -> bool:
        """Whether the API names this model's objects by a natural key (a cycle by its year, a user by username)."""
        return callable(getattr(self.model, "natural_key", None)) and hasattr(
            self.model._default_manager, "get_by_natural_key"
        )

    def object_id(self, record) -> str:
        return str(getattr(record, self.pk_field.attname))

    def display_id(self, pk) -> str:
        """How the log names the object ``pk``: by its natural key where it has one (and still exists)."""
        return str(natural_names(self.model, [pk]).get(pk, pk)) if self.named else str(pk)

    def parse_pk(self, raw):
        """``raw`` as this model's primary key: read as a natural key first where the model has one (a cycle's
        year, a username), else as the primary key itself; ValidationError when it cannot be one."""
        text = str(raw).strip()
        if self.named and text:
            try:
                return self.model._default_manager.get_by_natural_key(text).pk
            except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
                pass  # no object of that name (any more): perhaps an id
        value = self.pk_field.to_python(text)
        if value in (None, ""):
            raise ValidationError("empty")
        return value


def _diffed_fields(model, history_model) -> tuple:
    # Bookkeeping columns (version, timestamps Django keeps) change on every save and say nothing;
    # the same choice as the per-object history tab (solidarity.platform.history.object_history).
    shown = {
        f.name
        for f in model._meta.concrete_fields
        if f.name != "version" and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    }
    return tuple(f for f in history_model._meta.concrete_fields if f.name in shown)


def _m2m_sources(model, history_model) -> tuple:

    result = []
    for m2m_field in getattr(history_model, "_history_m2m_fields", ()) or ():
        m2m_model = getattr(history_model, m2m_field.name).model
        result.append(
            (
                m2m_field.name,
                str(m2m_field.verbose_name),
                m2m_model,
                history_utils.get_m2m_reverse_field_name(m2m_field),
            )
        )
    return tuple(result)


@cache
def audit_sources() -> dict[str, AuditSource]:
    """Every model with a django-simple-history manager, by label, in label order."""
    found = []
    for model in apps.get_models():
        manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
        if not manager_name:
            continue
        history_model = getattr(model, manager_name).model
        names = {f.name for f in history_model._meta.concrete_fields}
        found.append((model._meta.label_lower, model, history_model, "member_state" in names))
    found.sort(key=lambda item: item[0])
    return {
        label: AuditSource(
            index=index,
            label=label,
            model=model,
            history_model=history_model,
            pk_field=model._meta.pk,
            member_state_attname="member_state_id" if has_state else None,
            tracked=_diffed_fields(model, history_model),
            m2m=_m2m_sources(model, history_model),
        )
        for index, (label, model, history_model, has_state) in enumerate(found)
    }


def source_for(label: str) -> AuditSource | None:
    return audit_sources().get((label or "").strip().lower())


@cache
def known_transitions() -> list[str]:
    """The names of every workflow transition of the audited models, for the filter's suggestions."""
    names = set()
    for source in audit_sources().values():
        for model_field in source.model._meta.concrete_fields:
            if isinstance(model_field, FSMFieldMixin):
                names.update(t.name for t in model_field.get_all_transitions(source.model))
    return sorted(names)


# --- Filters ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    model: str = ""
    object_id: str = ""
    user_id: int | None = None
    member_state: str = ""
    date_after: datetime.datetime | None = None  # inclusive
    date_before: datetime.datetime | None = None  # exclusive
    transition: str = ""

    @property
    def active(self) -> bool:
        return any(
            (self.model, self.object_id, self.user_id, self.member_state, self.date_after, self.date_before)
        ) or bool(self.transition)


# --- Cursors ----------------------------------------------------------------------------------------------


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    """A position in the log: just past (date, model, history_id), going older or (``newer``) newer."""

    date: datetime.datetime
    label: str
    history_id: int
    newer: bool = False

    def encode(self) -> str:
        raw = json.dumps([self.date.isoformat(), self.label, self.history_id, int(self.newer)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            iso, label, history_id, newer = json.loads(raw)
            date = datetime.datetime.fromisoformat(iso)
            if timezone.is_naive(date) or not isinstance(history_id, int) or label not in audit_sources():
                raise ValueError(token)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
            raise InvalidCursor("This page link is not valid (it may be from an older version).") from error
        return cls(date=date, label=label, history_id=history_id, newer=bool(newer))

    @classmethod
    def at(cls, entry: "AuditEntry", *, newer: bool = False) -> "Cursor":
        return cls(entry.record.history_date, entry.source.label, entry.record.history_id, newer)


def _keyset(source: AuditSource, cursor: Cursor) -> Q:
    """Rows of ``source`` strictly beyond ``cursor`` in the order (history_date, model, history_id).

    The model's place is a constant per table, so each table needs only a plain range on its own index.
    """
    here = audit_sources()[cursor.label].index
    if cursor.newer:
        if source.index > here:
            return Q(history_date__gte=cursor.date)
        if source.index == here:
            return Q(history_date__gt=cursor.date) | Q(history_date=cursor.date, history_id__gt=cursor.history_id)
        return Q(history_date__gt=cursor.date)
    if source.index < here:
        return Q(history_date__lte=cursor.date)
    if source.index == here:
        return Q(history_date__lt=cursor.date) | Q(history_date=cursor.date, history_id__lt=cursor.history_id)
    return Q(history_date__lt=cursor.date)


# --- Selecting rows ---------------------------------------------------------------------------------------


def _selected(filters: AuditFilters) -> list[tuple[AuditSource, Q]]:
    """The tables the filters can match, each with its WHERE clause (without the cursor)."""
    result = []
    for source in audit_sources().values():
        if filters.model and source.label != filters.model:
            continue
        where = Q()
        if filters.member_state:
            if source.member_state_attname is None:
                continue  # a model that belongs to no state cannot match a state
            where &= Q(**{source.member_state_attname: filters.member_state})
        if filters.object_id:
            try:
                where &= Q(**{source.pk_field.attname: source.parse_pk(filters.object_id)})
            except ValidationError:
                continue  # "BE" is no pledge id, 12 is no Member State code
        if filters.user_id is not None:
            where &= Q(history_user_id=filters.user_id)
        if filters.date_after:
            where &= Q(history_date__gte=filters.date_after)
        if filters.date_before:
            where &= Q(history_date__lt=filters.date_before)
        if filters.transition:
            where &= Q(history_transition=filters.transition)
        result.append((source, where))
    return result


def _keys(filters: AuditFilters, cursor: Cursor | None, limit: int) -> list[tuple[int, int, datetime.datetime]]:
    """(source index, history_id, history_date) of the next ``limit`` rows, in the direction of ``cursor``."""
    newer = bool(cursor and cursor.newer)
    sign = "" if newer else "-"
    arms = []
    for source, where in _selected(filters):
        if cursor is not None:
            where &= _keyset(source, cursor)
        arms.append(
            source.history_model.objects.filter(where)
            .annotate(src=Value(source.index, output_field=IntegerField()))
            .values_list("src", "history_id", "history_date")
            .order_by(f"{sign}history_date", f"{sign}history_id")[:limit]
        )
    if not arms:
        return []
    outer = (f"{sign}history_date", f"{sign}src", f"{sign}history_id")
    if len(arms) == 1:
        return list(arms[0])
    if connection.features.supports_slicing_ordering_in_compound:
        # One round trip: each table walks its history_date index for at most `limit` rows.
        return list(arms[0].union(*arms[1:], all=True).order_by(*outer)[:limit])
    merged = [row for arm in arms for row in arm]  # SQLite (development): the same, merged here
    merged.sort(key=lambda row: (row[2], row[0], row[1]), reverse=not newer)
    return merged[:limit]


def count_up_to(filters: AuditFilters, limit: int) -> int:
    """How many rows match, counting no further than ``limit`` (enough to enforce an export cap)."""
    arms = [
        source.history_model.objects.filter(where).order_by().values_list("history_id")[:limit]
        for source, where in _selected(filters)
    ]
    if not arms:
        return 0
    if len(arms) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # Each arm stops at `limit` rows, so the count is bounded however large the tables are.
        return min(arms[0].union(*arms[1:], all=True).count(), limit)
    total = 0
    for arm in arms:
        total += arm.count()
        if total >= limit:
            return limit
    return total


# --- Entries with their diffs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    source: AuditSource
    record: object  # the history row, with history_user joined
    changes: list = field(default_factory=list)  # FieldChange, against the object's previous row
    name: object = None  # the object's natural key (a cycle's year, a username), where its model has one

    @property
    def kind(self) -> str:
        return KINDS[self.record.history_type]

    @property
    def object_id(self) -> str:
        return str(self.name) if self.name is not None else self.source.object_id(self.record)

    @property
    def username(self) -> str | None:
        user = self.record.history_user
        return user.get_username() if user is not None else None

    @property
    def member_state(self) -> str | None:
        attname = self.source.member_state_attname
        return getattr(self.record, attname) if attname else None


def _previous_row(source: AuditSource) -> Subquery:
    """The history_id of the same object's row just before the outer row."""
    pk = source.pk_field.attname
    earlier = source.history_model.objects.filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")),
        **{pk: OuterRef(pk)},
    ).order_by("-history_date", "-history_id")
    return Subquery(earlier.values("history_id")[:1])


def _m2m_values(source: AuditSource, history_ids: Sequence[int]) -> dict[str, dict[int, str]]:
    """For each many-to-many field (a user's groups): the related objects on each history row, as text."""
    values = {}
    for name, _label, m2m_model, target in source.m2m:
        by_row: dict[int, list[str]] = {history_id: [] for history_id in history_ids}
        for row in m2m_model.objects.filter(history_id__in=history_ids).select_related(target):
            by_row[row.history_id].append(str(getattr(row, target)))
        values[name] = {history_id: ", ".join(sorted(names)) for history_id, names in by_row.items()}
    return values


def _diff(source: AuditSource, record, previous, m2m: dict) -> list[FieldChange]:
    if record.history_type != "+" and previous is None:
        return []  # the object's earlier rows are not in the history (e.g. recorded before it was audited)
    changes = []
    for f in source.tracked:
        new = getattr(record, f.attname)
        if previous is None:
            if new not in (None, ""):
                changes.append(FieldChange(f.name, str(f.verbose_name), None, new))
        elif (old := getattr(previous, f.attname)) != new:
            changes.append(FieldChange(f.name, str(f.verbose_name), old, new))
    for name, label, _model, _target in source.m2m:
        new = m2m[name].get(record.history_id, "")
        old = m2m[name].get(previous.history_id, "") if previous is not None else ""
        if old != new:
            changes.append(FieldChange(name, label, old if previous is not None else None, new))
    return changes


def named_fields(fields) -> dict[str, type]:
    """Of ``fields``, the foreign keys to a model the API names by its natural key (a cycle by its year, a user by
    username) rather than by its id; the others (pledges, topics...) and Member States (their code) keep the value
    stored."""
    return {
        f.name: f.related_model
        for f in fields
        if f.many_to_one and callable(getattr(f.related_model, "natural_key", None))
    }


def natural_names(model, ids) -> dict:
    """``{id: name}`` for the objects of ``model`` among ``ids``, in one query; a deleted object keeps its id."""
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    names = {}
    for obj in model._default_manager.filter(pk__in=wanted):
        key = obj.natural_key()
        names[obj.pk] = key[0] if len(key) == 1 else list(key)
    return names


def _with_names(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The entries with cycles and users (the objects themselves and references to them) shown as the API names
    them: one query per such model."""
    wanted: dict[type, set] = {}
    for entry in entries:
        if entry.source.named:
            wanted.setdefault(entry.source.model, set()).add(getattr(entry.record, entry.source.pk_field.attname))
        fields = named_fields(entry.source.tracked)
        for change in entry.changes:
            if change.field in fields:
                wanted.setdefault(fields[change.field], set()).update((change.old, change.new))
    if not wanted:
        return entries
    names = {model: natural_names(model, ids) for model, ids in wanted.items()}
    result = []
    for entry in entries:
        fields = named_fields(entry.source.tracked)
        changes = [
            replace(c, old=names[fields[c.field]].get(c.old, c.old), new=names[fields[c.field]].get(c.new, c.new))
            if c.field in fields
            else c
            for c in entry.changes
        ]
        pk = getattr(entry.record, entry.source.pk_field.attname)
        name = names[entry.source.model].get(pk) if entry.source.named else None
        result.append(replace(entry, changes=changes, name=name))
    return result


def _entries(keys: list[tuple[int, int, datetime.datetime]]) -> list[AuditEntry]:
    """The history rows behind ``keys``, in that order, each with its diff.

    One query per table on the page fetches its rows together with each row's predecessor (plus one per
    many-to-many field, for users' groups): a constant number, however long each object's history is.
    """
    by_index = {source.index: source for source in audit_sources().values()}
    wanted: dict[int, list[int]] = {}
    for index, history_id, _date in keys:
        wanted.setdefault(index, []).append(history_id)
    records = {}
    for index, history_ids in wanted.items():
        source = by_index[index]
        history = source.history_model.objects
        page_rows = history.filter(history_id__in=history_ids)
        # One IN over a UNION, not "IN (list) OR IN (subquery)": PostgreSQL cannot probe the primary key for
        # an OR with a subquery, and reads the whole table instead (seconds at a million rows).
        wanted_ids = page_rows.annotate(p=_previous_row(source)).values("p").union(page_rows.values("history_id"))
        fetched = {
            row.history_id: row
            for row in history.filter(history_id__in=wanted_ids)
            .select_related("history_user")
            .annotate(previous_history_id=_previous_row(source))
            .order_by()
        }
        m2m = _m2m_values(source, list(fetched)) if source.m2m else {}
        for history_id in history_ids:
            row = fetched.get(history_id)
            if row is not None:
                before = fetched.get(row.previous_history_id)
                records[(index, history_id)] = AuditEntry(source, row, _diff(source, row, before, m2m))
    return _with_names(
        [records[(index, history_id)] for index, history_id, _date in keys if (index, history_id) in records]
    )


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    older: Cursor | None  # where the next page (older changes) starts, if there is one
    newer: Cursor | None  # where the previous page (newer changes) starts, if there is one


def audit_log_page(filters: AuditFilters, *, cursor: Cursor | None = None, size: int = PAGE_SIZE) -> AuditPage:
    """One page of the log, newest first, from ``cursor`` (None: the newest changes)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    keys = _keys(filters, cursor, size + 1)
    more = len(keys) > size
    keys = keys[:size]
    if cursor is not None and cursor.newer:
        keys.reverse()
    entries = _entries(keys)
    if cursor is not None and cursor.newer:
        older = Cursor.at(entries[-1]) if entries else replace(cursor, newer=False)
        newer = Cursor.at(entries[0], newer=True) if more and entries else None
    else:
        older = Cursor.at(entries[-1]) if more and entries else None
        if cursor is None:
            newer = None
        else:
            newer = Cursor.at(entries[0], newer=True) if entries else replace(cursor, newer=True)
    return AuditPage(entries=entries, older=older, newer=newer)


def iter_audit_log(filters: AuditFilters, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, fetched ``batch`` at a time by keyset (for exports)."""
    cursor = None
    while True:
        keys = _keys(filters, cursor, batch)
        entries = _entries(keys)
        yield from entries
        if len(keys) < batch or not entries:
            return
        cursor = Cursor.at(entries[-1])
