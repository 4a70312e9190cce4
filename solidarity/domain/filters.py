"""One FilterSet per resource of the solidarity app, shared by the API and the pages.

Each carries its own ``ordering`` (django-filter's OrderingFilter) so that clients sort by the names
they see (``cycle``, ``member_state``) rather than by database paths; states sort in protocol order.
"""

from django import forms
from django_filters import rest_framework as filters

from solidarity.domain.models import (
    CycleStatus,
    Designation,
    DesignationKind,
    MemberState,
    ReferenceFigure,
    SolidarityCycle,
)
from solidarity.platform.filters import StableOrderingFilter, StrictBooleanFilter


class StateCodeFilter(filters.CharFilter):
    """A Member State by its Eurostat code, in either case (``be`` finds Belgium)."""

    def filter(self, qs, value):
        return super().filter(qs, value.strip().upper() if value else value)


class YearFilter(filters.NumberFilter):
    """A calendar year, a whole number from 1 to 9999 (the years a date can have); anything else is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class MemberStateFilter(filters.FilterSet):
    eu_member = StrictBooleanFilter(help_text="The 27 Member States of the EU (false: the Dublin-associated).")
    bound_by_solidarity = StrictBooleanFilter(
        help_text="Counted in the fair-share key (AMMR Art. 66): 26 states, Denmark not."
    )
    dublin_associated = StrictBooleanFilter(
        help_text="Iceland, Liechtenstein, Norway and Switzerland, associated with the Dublin rules."
    )
    ordering = StableOrderingFilter(
        fields=(("protocol_order", "protocol_order"), ("code", "code"), ("name", "name")),
        help_text="Sort by `protocol_order` (the default), `code` or `name`; prefix `-` to reverse.",
    )

    class Meta:
        model = MemberState
        fields = ["eu_member", "bound_by_solidarity", "dublin_associated"]


class CycleFilter(filters.FilterSet):
    year = YearFilter(help_text="The cycle's year, e.g. 2026.")
    status = filters.ChoiceFilter(choices=CycleStatus.choices, help_text="The cycle's stage.")
    ordering = StableOrderingFilter(
        fields=(("year", "year"), ("status", "status")),
        help_text="Sort by `year` (default: newest first) or `status`; prefix `-` to reverse.",
    )

    class Meta:
        model = SolidarityCycle
        fields = ["year", "status"]


class _PerCycleAndStateFilter(filters.FilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text="The cycle's year, e.g. 2026.")
    member_state = StateCodeFilter(field_name="member_state_id", help_text="Eurostat code, e.g. `BE` or `EL`.")


class DesignationFilter(_PerCycleAndStateFilter):
    kind = filters.ChoiceFilter(choices=DesignationKind.choices)
    ordering = StableOrderingFilter(
        fields=(("cycle__year", "cycle"), ("member_state__protocol_order", "member_state"), ("kind", "kind")),
        help_text="Sort by `cycle`, `member_state` (protocol order) or `kind`; prefix `-` to reverse.",
    )

    class Meta:
        model = Designation
        fields = ["cycle", "member_state", "kind"]


class ReferenceFigureFilter(_PerCycleAndStateFilter):
    verified = StrictBooleanFilter(help_text="Checked against the official source.")
    ordering = StableOrderingFilter(
        fields=(
            ("cycle__year", "cycle"),
            ("member_state__protocol_order", "member_state"),
            ("population", "population"),
            ("gdp_eur_million", "gdp_eur_million"),
        ),
        help_text="Sort by `cycle`, `member_state` (protocol order), `population` or `gdp_eur_million`.",
    )

    class Meta:
        model = ReferenceFigure
        fields = ["cycle", "member_state", "verified"]
