"""One FilterSet per resource of the pool in implementation, shared by the API and the pages.

Parameters use the names clients see (``cycle`` is a year, states are Eurostat codes in either case), and
each FilterSet carries its own ``ordering``; states sort in protocol order, ties by primary key. The
FilterSets only filter: who may see which rows is the selectors' business (``pledges.implementation.selectors``).

A list page passes its own form (``form_class``, in ``pledges.implementation.forms``), as
``pledges.pledging.filters.PledgeFilter`` takes one: it offers some of the parameters as lists to choose from.
"""

import copy
from typing import ClassVar

from django.utils import timezone
from django_filters import rest_framework as filters

from pledges.implementation.models import Activation, ActivationStatus, Fulfilment, OffsetStatus, ResponsibilityOffset
from pledges.implementation.selectors import overdue_offsets
from pledges.pledging.filters import CYCLE_HELP, STATE_HELP, _ordering
from pledges.pledging.models import (
    DeductionArticle,
    DeductionRequest,
    DeductionScope,
    DeductionStatus,
    PledgeKind,
)
from solidarity.domain.filters import StateCodeFilter, YearFilter
from solidarity.platform.filters import IsoDateFilter, StrictBooleanFilter, WholeNumberFilter


class _PageFormFilterSet(filters.FilterSet):
    """The API's filters, which a list page reads through a form of its own.

    ``form_class``: the page's form, whose fields replace the filters' own (labels, lists to choose from) or
    leave them out (a field set to ``None``). ``page_filters``: filters only a page offers, added to its
    instance alone, so that they are no API parameter (the schema and the API read the declared filters).
    """

    page_filters: ClassVar[dict[str, filters.Filter]] = {}

    def __init__(self, data=None, queryset=None, *, form_class=None, **kwargs):
        self.form_class = form_class
        super().__init__(data, queryset, **kwargs)
        if form_class is not None:
            for name, page_filter in copy.deepcopy(self.page_filters).items():
                page_filter.model, page_filter.parent = self.queryset.model, self
                self.filters[name] = page_filter

    def get_form_class(self):
        form_class = super().get_form_class()
        if self.form_class is None:
            return form_class
        # The page's form first: its fields replace the filters' own, or leave them out.
        return type(form_class.__name__, (self.form_class, form_class), {})


class ActivationFilter(_PageFormFilterSet):
    cycle = YearFilter(field_name="pledge__cycle__year", help_text=CYCLE_HELP)
    pledge = WholeNumberFilter(field_name="pledge_id", help_text="The id of the activated pledge.")
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
    activation = WholeNumberFilter(field_name="activation_id", help_text="The id of the fulfilled activation.")
    cycle = YearFilter(field_name="activation__pledge__cycle__year", help_text=CYCLE_HELP)
    contributing_state = StateCodeFilter(field_name="activation__pledge__member_state_id", help_text=STATE_HELP)
    benefitting_state = StateCodeFilter(field_name="activation__benefitting_state_id", help_text=STATE_HELP)
    date_from = IsoDateFilter(field_name="date", lookup_expr="gte", help_text="Carried out on or after (ISO 8601).")
    date_to = IsoDateFilter(field_name="date", lookup_expr="lte", help_text="Carried out on or before (ISO 8601).")
    ordering = _ordering(
        ("date", "date"),
        ("amount", "amount"),
        ("created_at", "created_at"),
        default_help="Default: latest date first.",
    )

    class Meta:
        model = Fulfilment
        fields = ["activation", "cycle", "contributing_state", "benefitting_state", "date_from", "date_to"]


class DeductionRequestFilter(_PageFormFilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
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


class OffsetFilter(_PageFormFilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
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
    # The list page's box for the offsets unanswered after their deadline (AMMR Art. 69).
    page_filters: ClassVar[dict[str, filters.Filter]] = {"overdue": StrictBooleanFilter(method="filter_overdue")}

    class Meta:
        model = ResponsibilityOffset
        fields = ["cycle", "benefitting_state", "contributing_state", "status"]

    def filter_overdue(self, queryset, name, value):
        return overdue_offsets(queryset, timezone.localdate()) if value else queryset
