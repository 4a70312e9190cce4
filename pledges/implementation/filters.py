"""One FilterSet per resource of pledges and what hangs on them, shared by the API and the pages.

Parameters use the names clients see (``cycle`` is a year, states are Eurostat codes in either case), and
each FilterSet carries its own ``ordering``; states sort in protocol order, ties by primary key. The
FilterSets only filter: who may see which rows is the selectors' business (``pledges.selectors``).
"""

from django_filters import rest_framework as filters

from pledges.implementation.models import Activation, ActivationStatus, Fulfilment, OffsetStatus, ResponsibilityOffset
from pledges.pledging.filters import CYCLE_HELP, STATE_HELP, _ordering
from pledges.pledging.models import (
    DeductionArticle,
    DeductionRequest,
    DeductionScope,
    DeductionStatus,
    PledgeKind,
)
from solidarity.domain.filters import StateCodeFilter


class ActivationFilter(filters.FilterSet):
    cycle = filters.NumberFilter(field_name="pledge__cycle__year", help_text=CYCLE_HELP)
    pledge = filters.NumberFilter(field_name="pledge_id", help_text="The id of the activated pledge.")
    contributing_state = StateCodeFilter(
        field_name="pledge__member_state_id", help_text=f"The state whose pledge is activated. {STATE_HELP}"
    )
    benefitting_state = StateCodeFilter(field_name="benefitting_state_id", help_text=STATE_HELP)
    kind = filters.ChoiceFilter(field_name="pledge__kind", choices=PledgeKind.choices, help_text="The pledge's kind.")
    status = filters.ChoiceFilter(choices=ActivationStatus.choices, help_text="The activation's stage.")
    ordering = _ordering(
        ("created_at", "created_at"),
        ("amount", "amount"),
        ("status", "status"),
        ("pledge__cycle__year", "cycle"),
        ("pledge__member_state__protocol_order", "contributing_state"),
        ("benefitting_state__protocol_order", "benefitting_state"),
        default_help="Default: newest first.",
    )

    class Meta:
        model = Activation
        fields = ["cycle", "pledge", "contributing_state", "benefitting_state", "kind", "status"]


class FulfilmentFilter(filters.FilterSet):
    activation = filters.NumberFilter(field_name="activation_id", help_text="The id of the fulfilled activation.")
    cycle = filters.NumberFilter(field_name="activation__pledge__cycle__year", help_text=CYCLE_HELP)
    contributing_state = StateCodeFilter(field_name="activation__pledge__member_state_id", help_text=STATE_HELP)
    benefitting_state = StateCodeFilter(field_name="activation__benefitting_state_id", help_text=STATE_HELP)
    date_from = filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="Carried out on or after (ISO 8601)."
    )
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Carried out on or before (ISO 8601).")
    ordering = _ordering(
        ("date", "date"),
        ("amount", "amount"),
        ("created_at", "created_at"),
        default_help="Default: latest date first.",
    )

    class Meta:
        model = Fulfilment
        fields = ["activation", "cycle", "contributing_state", "benefitting_state", "date_from", "date_to"]


class DeductionRequestFilter(filters.FilterSet):
    cycle = filters.NumberFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    member_state = StateCodeFilter(field_name="member_state_id", help_text=f"The requesting state. {STATE_HELP}")
    article = filters.ChoiceFilter(choices=DeductionArticle.choices, help_text="AMMR Art. 61 or 62.")
    scope = filters.ChoiceFilter(choices=DeductionScope.choices, help_text="Full or partial deduction.")
    status = filters.ChoiceFilter(choices=DeductionStatus.choices, help_text="The request's stage.")
    ordering = _ordering(
        ("cycle__year", "cycle"),
        ("member_state__protocol_order", "member_state"),
        ("status", "status"),
        ("created_at", "created_at"),
        default_help="Default: cycle, then state in protocol order.",
    )

    class Meta:
        model = DeductionRequest
        fields = ["cycle", "member_state", "article", "scope", "status"]


class OffsetFilter(filters.FilterSet):
    cycle = filters.NumberFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    benefitting_state = StateCodeFilter(
        field_name="benefitting_state_id", help_text=f"The state asking for offsets. {STATE_HELP}"
    )
    contributing_state = StateCodeFilter(
        field_name="contributing_state_id", help_text=f"The state asked to take responsibility. {STATE_HELP}"
    )
    status = filters.ChoiceFilter(choices=OffsetStatus.choices, help_text="The offset's stage.")
    ordering = _ordering(
        ("requested_on", "requested_on"),
        ("answer_deadline", "answer_deadline"),
        ("status", "status"),
        ("cycle__year", "cycle"),
        default_help="Default: latest request first.",
    )

    class Meta:
        model = ResponsibilityOffset
        fields = ["cycle", "benefitting_state", "contributing_state", "status"]
