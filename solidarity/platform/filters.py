"""One FilterSet per resource of the solidarity app, shared by the API and the pages.

Each carries its own ``ordering`` (django-filter's OrderingFilter) so that clients sort by the names
they see (``cycle``, ``member_state``) rather than by database paths; states sort in protocol order.
"""

from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters


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
