"""The bases of the API's serializers: every whole number and every text a client may send has a bound, enforced
here and stated in the schema (drf-spectacular reads the fields' ``max_value`` and ``max_length``).

A field that names its own bound keeps it (a model's ``CharField(max_length=...)``, a ``PositiveSmallIntegerField``'s
range, a field declared with ``max_value``); every other one gets the registry's:

* whole numbers: PostgreSQL's ``integer``, -2 147 483 648 to 2 147 483 647 (``MAX_WHOLE``), the widest column
  they are stored in;
* text: ``TEXT_MAX_LENGTH`` characters, for the free text of the ``TextField`` columns (statements, descriptions,
  explanations), which PostgreSQL would store at any length.

A number the serializer hands to a service as sent (``bounds`` on the field, e.g. the persons of a pledge) is
bounded by the service that reads it (``solidarity.platform.numbers``); the schema states that bound.
"""

from collections.abc import Mapping

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from solidarity.platform.numbers import MAX_WHOLE, is_plain_decimal

MIN_WHOLE = -MAX_WHOLE - 1
TEXT_MAX_LENGTH = 20_000


def bound_field(field) -> None:
    """Give ``field`` (and a list's items) the registry's bounds where it names none."""
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListField):
        bound_field(field.child)
    elif isinstance(field, serializers.IntegerField):
        if field.max_value is None:
            field.max_value = MAX_WHOLE
            message = field.error_messages["max_value"].format(max_value=MAX_WHOLE)
            field.validators.append(MaxValueValidator(MAX_WHOLE, message=message))
        if field.min_value is None:
            field.min_value = MIN_WHOLE
            message = field.error_messages["min_value"].format(min_value=MIN_WHOLE)
            field.validators.append(MinValueValidator(MIN_WHOLE, message=message))
    elif isinstance(field, serializers.CharField) and field.max_length is None:
        field.max_length = TEXT_MAX_LENGTH
        message = field.error_messages["max_length"].format(max_length=TEXT_MAX_LENGTH)
        field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH, message=message))


# A serializer mixin: ``bound_field`` on each of its fields, and text fields that take text only. (A comment, not
# a docstring: drf-spectacular describes a serializer without a docstring of its own by its bases' one.)
class BoundedFields:
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            bound_field(field)
        return fields

    def to_internal_value(self, data):
        # DRF reads a number as the text of a CharField, a JSON number (a float, with its rounding) or "1e5" as a
        # DecimalField's figure, and 0, "yes" or "on" as a BooleanField's true: the schema says a string, a string
        # in plain decimal notation and a JSON boolean, so anything else is a mistake of the client, refused as one.
        if isinstance(data, Mapping):
            refused = {
                name: [ErrorDetail(message, code=code)]
                for name, field in self.fields.items()
                if not field.read_only and field.source != "*" and name in data and data[name] is not None
                for message, code in [_refusal_of_shape(field, data[name])]
                if code
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


def _refusal_of_shape(field, value) -> tuple[str, str | None]:
    """What is wrong with the JSON type or notation of ``value`` for ``field``, if anything, and its code."""
    if isinstance(field, serializers.CharField | serializers.DecimalField) and not isinstance(value, str):
        return _("Give text here, in quotes."), "invalid"
    if isinstance(field, serializers.DecimalField) and not is_plain_decimal(value):
        return (
            _("Give a number in plain decimal notation (digits, an optional minus sign and decimal point)."),
            "not_a_number",
        )
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return _("Give true or false, without quotes."), "invalid"
    if isinstance(field, serializers.DictField) and isinstance(value, Mapping):
        return next(
            (
                refusal
                for item in value.values()
                if item is not None and (refusal := _refusal_of_shape(field.child, item))[1]
            ),
            ("", None),
        )
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(
            (refusal for item in value if item is not None and (refusal := _refusal_of_shape(field.child, item))[1]),
            ("", None),
        )
    return "", None


class RegistrySerializer(BoundedFields, serializers.Serializer):
    pass


class RegistryModelSerializer(BoundedFields, serializers.ModelSerializer):
    pass


STATE_CODE_PATTERN = r"^[A-Za-z]{2}$"


@extend_schema_field({"type": "string", "pattern": STATE_CODE_PATTERN, "minLength": 2, "maxLength": 2})
class StateCodeField(serializers.RegexField):
    """A Member State's two-letter code in a list a client sends (Eurostat's, upper- or lower-case); whether it
    names a state is the service's to say (``unknown_member_state``). Its pattern is stated where drf-spectacular
    leaves a list's items without their validators."""

    def __init__(self, **kwargs):
        super().__init__(STATE_CODE_PATTERN, max_length=2, **kwargs)
