"""An audited object as it was at a moment, read from its history rows."""

import datetime
from dataclasses import dataclass, field

from solidarity.platform.audit import AuditSource, named_fields, natural_names
from solidarity.platform.audit_export import plain


@dataclass(frozen=True)
class FieldValue:
    name: str
    label: str
    value: object
    display: str


@dataclass(frozen=True)
class AsOf:
    """An object at a moment: ``status`` is "existed", "not_created_yet" or "deleted"."""

    source: AuditSource
    object_id: str
    at: datetime.datetime
    status: str
    record: object | None = None  # the history row in force at ``at``
    values: list = field(default_factory=list)  # FieldValue of every field, when it existed

    @property
    def existed(self) -> bool:
        return self.status == "existed"


def _display(model_field, value) -> str:
    if value is None or value == "":
        return "(empty)"
    choices = dict(model_field.flatchoices) if model_field.choices else {}
    if choices and value in choices:  # not asked of a JSON list (a cycle's forum dates): it cannot be a key
        return f"{choices[value]} ({value})"
    return str(plain(value))


def object_as_of(source: AuditSource, pk, at: datetime.datetime) -> AsOf:
    """The object's stored values at ``at`` (from its history), or why it had none then."""
    pk = source.parse_pk(pk)
    instance = source.model.history.as_of(at).filter(pk=pk).first()
    if instance is None:
        last = (
            source.history_model.objects.filter(**{source.pk_field.attname: pk}, history_date__lte=at)
            .order_by("-history_date", "-history_id")
            .values_list("history_type", flat=True)
            .first()
        )
        return AsOf(source, source.display_id(pk), at, "deleted" if last == "-" else "not_created_yet")
    record = instance._history
    kept = {f.name for f in source.history_model._meta.concrete_fields}
    fields = [f for f in source.model._meta.concrete_fields if f.name in kept]  # not a password: never kept
    # A cycle reads as its year and a user as a username, as the API names them: one query per such field.
    names = {
        name: natural_names(model, [getattr(instance, f.attname, None) for f in fields if f.name == name])
        for name, model in named_fields(fields).items()
    }
    values = []
    for f in fields:
        value = getattr(instance, f.attname, None)
        value = names[f.name].get(value, value) if f.name in names else value
        values.append(FieldValue(f.name, str(f.verbose_name), value, _display(f, value)))
    return AsOf(source, source.display_id(pk), at, "existed", record=record, values=values)
