"""How the benchmark's rows reach the tables: PostgreSQL COPY, history rows as the services write them, the
next free ids, and secondary indexes rebuilt after a bulk load. No model ``save``, no signal.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import models
from psycopg.types.json import Jsonb

from bench.seed_plan import Scale


@dataclass
class SeedSummary:
    scale: Scale
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    history_rows: int = 0

    def add(self, model, count: int) -> None:
        label = model._meta.label_lower
        self.rows[label] = self.rows.get(label, 0) + count
        if getattr(model, "instance_type", None) is not None:  # a django-simple-history model
            self.history_rows += count


class SeedError(Exception):
    pass


_MISSING = object()


def _default(model_field):
    if model_field.has_default():
        return model_field.get_default()
    if model_field.null:
        return None
    if isinstance(model_field, models.CharField | models.TextField) and model_field.blank:
        return ""
    return _MISSING


def copy_rows(connection, model, rows: Iterable[dict], summary: SeedSummary | None = None) -> int:
    """COPY ``rows`` (dicts by attname) into ``model``'s table; columns a row leaves out take the field's default."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    defaults = [_default(f) for f in fields]
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = [row.get(name, default) for name, default in zip(names, defaults, strict=True)]
            for i in json_positions:
                values[i] = Jsonb(values[i])
            if _MISSING in values:
                missing = [name for name, value in zip(names, values, strict=True) if value is _MISSING]
                raise SeedError(f"{model._meta.label}: no value for {', '.join(missing)}")
            copy.write_row(values)
            count += 1
    if summary is not None:
        summary.add(model, count)
    return count


def first_free_id(connection, model, column: str = "id") -> int:
    return (model._base_manager.using(connection.alias).aggregate(last=models.Max(column))["last"] or 0) + 1


@contextmanager
def indexes_rebuilt(connection, models_: list) -> Iterator[None]:
    """Drop the secondary indexes of ``models_``' tables for the load and build them again after it: one sort
    per index instead of a million scattered inserts. Indexes behind constraints (primary keys) stay."""
    definitions = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for model in models_:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [model._meta.db_table],
            )
            definitions += cursor.fetchall()
        for name, _definition in definitions:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in definitions:
            cursor.execute(definition)


def history_model(model):
    return model.history.model


class HistoryWriter:
    """Builds history rows for one model: the object's values at that version plus who, when, why."""

    def __init__(self, connection, model):
        self.model = history_model(model)
        self.next_id = first_free_id(connection, self.model, "history_id")

    def row(self, values: dict, *, when, kind: str, user_id, reason: str, transition: str, rng) -> dict:
        row = dict(values)
        row.update(
            history_id=self.next_id,
            history_date=when,
            history_type=kind,
            history_user_id=user_id,
            history_change_reason=reason,
            history_transition=transition,
            history_ip_address=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            history_request_id=f"{rng.getrandbits(128):032x}",
        )
        self.next_id += 1
        return row
