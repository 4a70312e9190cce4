"""Which keys a write body may hold: one rule for POST, PUT and PATCH (and transitions), over every resource.

* A key that is neither a field of the resource nor a control key (``version``, ``reason``) is refused:
  400 ``unknown_field``, ``attr`` the key. Nothing is silently dropped.
* A field the client may not set (read-only: ids, ``status``, dates stamped by the registry; on an update also
  the fields fixed at creation, the viewset's ``immutable_fields``) is refused, 400 ``read_only``, unless it is
  sent with the value it has already: a client may send back what a GET gave it. On a create nothing has a
  value yet, so a read-only field is always refused there.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.serializers import ListSerializer

# Keys of a write body that steer the write rather than name a field of the object.
CONTROL_KEYS = ("version", "reason")

BODY_RULE = (
    "Keys that are not fields of the resource are refused (400 `unknown_field`), and so are read-only fields "
    "(400 `read_only`) unless sent with their current value, as a GET shows it."
)


def _same(sent, current) -> bool:
    """Whether a value sent back equals the stored one as a GET shows it (``"5"``, ``5`` and ``5.00`` alike)."""
    if str(sent) == str(current):
        return True
    try:
        return Decimal(str(sent)) == Decimal(str(current))
    except (InvalidOperation, ValueError):
        return False


def refused_keys(serializer, data, *, current: Mapping | None = None, immutable: Iterable[str] = ()) -> dict:
    """``{key: [ErrorDetail]}`` for each key of ``data`` the body may not hold (see the module's rule).

    ``current`` is the object as a GET shows it (None on a create); ``immutable`` names the fields that an
    update may not change although a create sets them.
    """
    if not isinstance(data, Mapping):
        return {}  # not an object: the serializer says so itself
    fields = serializer.fields
    immutable = set(immutable) if current is not None else set()
    errors = {}
    for key in data:
        if key in CONTROL_KEYS:
            continue
        field = fields.get(key)
        if field is None:
            message = _("%(name)s is not a field of this resource; the fields you may send are: %(fields)s.") % {
                "name": key,
                "fields": ", ".join(name for name, f in fields.items() if not f.read_only),
            }
            errors[key] = [ErrorDetail(message, code="unknown_field")]
        elif field.read_only or key in immutable:
            if current is None:
                message = _("%(name)s is set by the registry: leave it out.") % {"name": key}
            elif _same(data[key], current.get(key)):
                continue
            else:
                message = _("%(name)s cannot be changed (it is %(current)s).") % {
                    "name": key,
                    "current": current.get(key),
                }
            errors[key] = [ErrorDetail(message, code="read_only")]
    return errors


def _nested_refused_keys(serializer, data) -> dict:
    """The refused keys of the objects of a nested list (``positions[1].mood``), on a create."""
    errors = {}
    if not isinstance(data, Mapping):
        return errors
    for name, field in serializer.fields.items():
        rows = data.get(name)
        if isinstance(field, ListSerializer) and isinstance(rows, list):
            for index, row in enumerate(rows):
                for key, detail in refused_keys(field.child, row).items():
                    errors[f"{name}[{index}].{key}"] = detail
    return errors


def check_body_fields(serializer, data, *, current: Mapping | None = None, immutable: Iterable[str] = ()) -> None:
    """Refuse, with a 400 naming each key, a body holding keys it may not hold (see the module's rule)."""
    errors = refused_keys(serializer, data, current=current, immutable=immutable)
    if current is None:
        errors.update(_nested_refused_keys(serializer, data))
    if errors:
        raise ValidationError(errors)
