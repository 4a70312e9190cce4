"""One FilterSet per resource of the solidarity app, shared by the API and the pages.

Each carries its own ``ordering`` (django-filter's OrderingFilter) so that clients sort by the names
they see (``cycle``, ``member_state``) rather than by database paths; states sort in protocol order.
"""

import datetime
import re

import django_filters.fields
from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters

from solidarity.platform.numbers import MAX_WHOLE


class StableOrderingFilter(filters.OrderingFilter):
    """Orders as asked, then by primary key, so that pages never share or skip a row on ties."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


# The largest value of PostgreSQL's integer column, which every id and count of the registry is stored in.
LARGEST_WHOLE_NUMBER = 2_147_483_647


class WholeNumberFilter(filters.NumberFilter):
    """An id or a count: a whole number from 1 to the integer column's largest; ``2.5`` or ``x`` is a 400.

    django-filter's NumberFilter reads a decimal, so ``?pledge=0.5`` was taken (and found nothing) while the
    schema said integer; a value beyond the column was a database error.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_WHOLE_NUMBER)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (also ``1`` / ``0``, as forms send them); absent or empty: no filter; anything else a
    400, where Django's field reads every other word as "no filter" and the client never learns its mistake."""

    widget = forms.TextInput
    TRUE = ("true", "True", "1")
    FALSE = ("false", "False", "0")

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value is True or value in self.TRUE:
            return True
        if value is False or value in self.FALSE:
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")

    def validate(self, value):
        """Nothing more to check: ``to_python`` has refused what is not a boolean."""


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget reads every word but true/false/1/0 as "no filter" before the field
        # sees it: the field must be handed the text as sent.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDateField(forms.DateField):
    """A date written as ISO 8601 says (``2026-07-01``), as the schema's ``format: date`` promises: Django's own
    field also reads ``07/01/2026`` and ``2026-7-1``, which a client cannot know are taken, nor how."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        try:
            if ISO_DATE.fullmatch(text):
                return datetime.date.fromisoformat(text)
        except ValueError:
            pass
        raise forms.ValidationError(_("Give the date as YYYY-MM-DD, e.g. 2026-07-01."), code="invalid")


class IsoDateFilter(filters.DateFilter):
    field_class = IsoDateField


class IsoDateRangeField(django_filters.fields.DateRangeField):
    """``<name>_after`` and ``<name>_before``, each an ``IsoDateField``."""

    def __init__(self, *args, **kwargs):
        django_filters.fields.RangeField.__init__(self, (IsoDateField(), IsoDateField()), *args, **kwargs)


class IsoDateFromToRangeFilter(filters.DateFromToRangeFilter):
    field_class = IsoDateRangeField


# --- Bounds of the query parameters ---------------------------------------------------------------------------

# The longest text a filter reads (codes, usernames, names): longer text matches nothing any filter could find.
QUERY_TEXT_MAX_LENGTH = 200


def filter_bounds(filter_) -> dict:
    """The bounds of ``filter_``'s form field: its own, else the registry's (``max_value``, ``max_length``...).

    A number is a whole number within PostgreSQL's ``integer`` (``MAX_WHOLE``); a text at most
    ``QUERY_TEXT_MAX_LENGTH`` characters. Other filters (choices, dates, booleans) are bounded by their kind.
    """
    if isinstance(filter_, filters.NumberFilter):
        defaults = {"min_value": -MAX_WHOLE - 1, "max_value": MAX_WHOLE}
    elif isinstance(filter_, filters.CharFilter):
        defaults = {"max_length": QUERY_TEXT_MAX_LENGTH}
    else:
        return {}
    return {name: filter_.extra.get(name, default) for name, default in defaults.items()}


def bound_filters(filterset):
    """Give the filters of ``filterset`` (an instance: its own copies) their ``filter_bounds``: its form refuses
    anything beyond (400)."""
    for filter_ in filterset.filters.values():
        filter_.extra.update(filter_bounds(filter_))
    return filterset


SCHEMA_KEYWORDS = {"min_value": "minimum", "max_value": "maximum", "max_length": "maxLength"}


def filter_schema_bounds(filter_) -> dict:
    """``filter_bounds`` as JSON Schema keywords, for the query parameters of the schema."""
    return {SCHEMA_KEYWORDS[name]: value for name, value in filter_bounds(filter_).items() if value is not None}
