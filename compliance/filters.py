"""One FilterSet per compliance resource, shared by the API and the pages.

Periods are filtered by overlap: ``period_from``/``period_to`` keep every record whose period touches the
range, so a quarter and its three months answer the same question alike. Benchmarks are filtered by their
derived status too (the early-warning list asks for ``at_risk`` and ``missed``).
"""

from django.utils import timezone
from django_filters import rest_framework as filters

from compliance.indicators import attach_measurements
from compliance.models import (
    ActionPlan,
    ActionPlanStatus,
    Benchmark,
    Direction,
    DublinPerformance,
    Finding,
    FindingStatus,
    LinkedIndicator,
    Measurement,
    PeriodKind,
    SecondaryMovementIndicator,
)
from compliance.selectors import BenchmarkStatus, benchmarks_with_measurements
from solidarity.domain.filters import StateCodeFilter, YearFilter
from solidarity.platform.filters import IsoDateFilter, StableOrderingFilter, StrictBooleanFilter, WholeNumberFilter

STATE_HELP = "Eurostat code, e.g. `BE` or `EL`."
CYCLE_HELP = "The cycle's year, e.g. 2026."


class _PeriodFilter(filters.FilterSet):
    member_state = StateCodeFilter(field_name="member_state_id", help_text=STATE_HELP)
    period_kind = filters.ChoiceFilter(choices=PeriodKind.choices, help_text="`month` or `quarter`.")
    year = YearFilter(field_name="period_start__year", help_text="Periods starting in this year, e.g. 2026.")
    period_from = IsoDateFilter(
        field_name="period_end", lookup_expr="gte", help_text="Periods ending on or after this date (ISO 8601)."
    )
    period_to = IsoDateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Periods starting on or before this date (ISO 8601)."
    )
    illustrative = StrictBooleanFilter(help_text="Illustrative (demo) figures rather than official ones.")


PERIOD_ORDERING = (("member_state__protocol_order", "member_state"), ("period_start", "period_start"))
PERIOD_ORDERING_HELP = "Sort by `member_state` (protocol order, the default) or `period_start`; prefix `-` to reverse."


class DublinPerformanceFilter(_PeriodFilter):
    ordering = StableOrderingFilter(
        fields=(*PERIOD_ORDERING, ("transfers_carried_out", "transfers_carried_out")),
        help_text=PERIOD_ORDERING_HELP + " Also `transfers_carried_out`.",
    )

    class Meta:
        model = DublinPerformance
        fields = ["member_state", "period_kind", "year", "period_from", "period_to", "illustrative"]


class SecondaryMovementFilter(_PeriodFilter):
    ordering = StableOrderingFilter(
        fields=(
            *PERIOD_ORDERING,
            ("applications_lodged", "applications_lodged"),
            ("secondary_movement_share_percent", "secondary_movement_share_percent"),
        ),
        help_text=PERIOD_ORDERING_HELP + " Also `applications_lodged` and `secondary_movement_share_percent`.",
    )

    class Meta:
        model = SecondaryMovementIndicator
        fields = ["member_state", "period_kind", "year", "period_from", "period_to", "illustrative"]


class ActionPlanFilter(filters.FilterSet):
    member_state = StateCodeFilter(field_name="member_state_id", help_text=STATE_HELP)
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    status = filters.MultipleChoiceFilter(
        choices=ActionPlanStatus.choices, distinct=False, help_text="The plan's stage; repeat to ask for several."
    )
    ordering = StableOrderingFilter(
        fields=(("cycle__year", "cycle"), ("member_state__protocol_order", "member_state"), ("status", "status")),
        help_text="Sort by `cycle`, `member_state` (protocol order) or `status`; prefix `-` to reverse.",
    )

    class Meta:
        model = ActionPlan
        fields = ["member_state", "cycle", "status"]


class BenchmarkFilter(filters.FilterSet):
    action_plan = WholeNumberFilter(field_name="action_plan_id", help_text="The action plan's id.")
    member_state = StateCodeFilter(field_name="action_plan__member_state_id", help_text=STATE_HELP)
    cycle = YearFilter(field_name="action_plan__cycle__year", help_text=CYCLE_HELP)
    direction = filters.ChoiceFilter(choices=Direction.choices)
    linked_indicator = filters.ChoiceFilter(
        choices=LinkedIndicator.choices[1:], help_text="Benchmarks measured automatically from this indicator."
    )
    due_from = IsoDateFilter(field_name="due_date", lookup_expr="gte", help_text="Due on or after this date.")
    due_to = IsoDateFilter(field_name="due_date", lookup_expr="lte", help_text="Due on or before this date.")
    status = filters.MultipleChoiceFilter(
        choices=list(BenchmarkStatus.LABELS.items()),
        method="filter_status",
        help_text="The derived status as of today (`met`, `on_track`, `at_risk`, `missed`, `no_data`); repeat "
        "to ask for several, e.g. `?status=at_risk&status=missed`.",
    )
    ordering = StableOrderingFilter(
        fields=(
            ("due_date", "due_date"),
            ("action_plan__member_state__protocol_order", "member_state"),
            ("action_plan__cycle__year", "cycle"),
            ("indicator", "indicator"),
        ),
        help_text="Sort by `due_date` (the default), `member_state`, `cycle` or `indicator`; prefix `-` to reverse.",
    )

    class Meta:
        model = Benchmark
        fields = ["action_plan", "member_state", "cycle", "direction", "linked_indicator", "due_from", "due_to"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        # The status is derived from the series, not stored: compute it for the candidates in a fixed number
        # of queries (benchmarks, measurements, Dublin rows) and keep the matching ids.
        wanted = set(value)
        candidates = benchmarks_with_measurements(queryset.prefetch_related(None))
        measured = attach_measurements(candidates, today=timezone.localdate())
        return queryset.filter(pk__in=[b.pk for b in measured if b.derived_status in wanted])


class MeasurementFilter(filters.FilterSet):
    benchmark = WholeNumberFilter(field_name="benchmark_id", help_text="The benchmark's id.")
    action_plan = WholeNumberFilter(field_name="benchmark__action_plan_id", help_text="The action plan's id.")
    member_state = StateCodeFilter(field_name="benchmark__action_plan__member_state_id", help_text=STATE_HELP)
    cycle = YearFilter(field_name="benchmark__action_plan__cycle__year", help_text=CYCLE_HELP)
    date_from = IsoDateFilter(field_name="date", lookup_expr="gte", help_text="Measured on or after this date.")
    date_to = IsoDateFilter(field_name="date", lookup_expr="lte", help_text="Measured on or before this date.")
    ordering = StableOrderingFilter(
        fields=(("date", "date"), ("benchmark_id", "benchmark"), ("value", "value")),
        help_text="Sort by `date` (the default), `benchmark` or `value`; prefix `-` to reverse.",
    )

    class Meta:
        model = Measurement
        fields = ["benchmark", "action_plan", "member_state", "cycle", "date_from", "date_to"]


class FindingFilter(filters.FilterSet):
    member_state = StateCodeFilter(field_name="member_state_id", help_text=STATE_HELP)
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    status = filters.MultipleChoiceFilter(
        choices=FindingStatus.choices, distinct=False, help_text="The finding's stage; repeat to ask for several."
    )
    confirmed_from = IsoDateFilter(
        field_name="confirmed_on", lookup_expr="gte", help_text="Confirmed on or after this date (ISO 8601)."
    )
    confirmed_to = IsoDateFilter(
        field_name="confirmed_on", lookup_expr="lte", help_text="Confirmed on or before this date (ISO 8601)."
    )
    ordering = StableOrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("cycle__year", "cycle"),
            ("member_state__protocol_order", "member_state"),
            ("status", "status"),
            ("confirmed_on", "confirmed_on"),
        ),
        help_text="Sort by `created_at` (default: newest first), `cycle`, `member_state`, `status` or "
        "`confirmed_on`; prefix `-` to reverse.",
    )

    class Meta:
        model = Finding
        fields = ["member_state", "cycle", "status", "confirmed_from", "confirmed_to"]
