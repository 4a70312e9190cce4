"""One FilterSet per resource of pledges and what hangs on them, shared by the API and the pages.

Parameters use the names clients see (``cycle`` is a year, states are Eurostat codes in either case), and
each FilterSet carries its own ``ordering``; states sort in protocol order, ties by primary key. The
FilterSets only filter: who may see which rows is the selectors' business (``pledges.pledging.selectors``).
"""

from django_filters import rest_framework as filters

from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.domain.filters import StateCodeFilter, YearFilter
from solidarity.domain.models import SolidarityCycle
from solidarity.platform.filters import StableOrderingFilter, StrictBooleanFilter

CYCLE_HELP = "The cycle's year, e.g. 2026."
STATE_HELP = "Eurostat code, e.g. `BE` or `EL`."


def _ordering(*fields: tuple[str, str], default_help: str) -> StableOrderingFilter:
    names = ", ".join(f"`{name}`" for _, name in fields)
    return StableOrderingFilter(fields=fields, help_text=f"Sort by {names}; prefix `-` to reverse. {default_help}")


class PledgeFilter(filters.FilterSet):
    """The pledges by cycle, state, kind, status, earmark and illustrative: the API's query parameters, and the
    filters of the list page, which renders some of them with a form of its own (see ``__init__``)."""

    cycle = YearFilter(method="filter_cycle", label="Cycle", help_text=CYCLE_HELP)
    member_state = StateCodeFilter(
        field_name="member_state_id", label="Member State", help_text=f"The pledging state. {STATE_HELP}"
    )
    kind = filters.ChoiceFilter(
        choices=PledgeKind.choices,
        label="Kind",
        empty_label="All kinds",
        help_text="Relocation, financial or alternative.",
    )
    status = filters.ChoiceFilter(
        choices=PledgeStatus.choices, label="Status", empty_label="Any status", help_text="The pledge's stage."
    )
    earmark = StateCodeFilter(field_name="earmark_id", help_text=f"The benefitting state earmarked. {STATE_HELP}")
    illustrative = StrictBooleanFilter(help_text="Demonstration data rather than a state's real pledge.")
    ordering = _ordering(
        ("cycle__year", "cycle"),
        ("member_state__protocol_order", "member_state"),
        ("kind", "kind"),
        ("status", "status"),
        ("quantity", "quantity"),
        ("amount_eur", "amount_eur"),
        ("updated_at", "updated_at"),
        default_help="Default: cycle, state in protocol order, kind.",
    )

    class Meta:
        model = Pledge
        fields = ["cycle", "member_state", "kind", "status", "earmark", "illustrative"]

    def __init__(self, data=None, queryset=None, *, form_class=None, **kwargs):
        """``form_class``: a page's form of these filters (``pledges.pledging.forms.PledgeFilterForm``), which
        offers some of the parameters as lists to choose from; the API reads them as they come."""
        self.form_class = form_class
        super().__init__(data, queryset, **kwargs)

    def get_form_class(self):
        form_class = super().get_form_class()
        if self.form_class is None:
            return form_class
        # The page's form first: its fields replace the filters' own, or leave them out.
        return type(form_class.__name__, (self.form_class, form_class), {})

    def filter_cycle(self, queryset, name, value):
        # By the cycle itself, not the joined year: on the year PostgreSQL cannot tell which cycle the pledges are
        # in, misjudges how many a delegation may see there, and walked every cycle's pledges of every state to
        # list one state's thousand (0.3 s instead of 20 ms at 270 000). The selector then narrows the rows to
        # what the viewer sees in that cycle (before the Council act: the state's own, read by index).
        # Within one cycle the default order's year is a constant: without it PostgreSQL walks the states in
        # protocol order through the (cycle, state) index and stops at the page's end, instead of joining and
        # sorting the cycle's 27 000 pledges (55 ms down to 2 ms for the coordinator). An `ordering` asked
        # for replaces this one.
        # The page's form has found the cycle already, among those it offers; the API gives a year.
        cycle = value if isinstance(value, SolidarityCycle) else SolidarityCycle.objects.filter(year=value).first()
        if cycle is None:
            return queryset.none()
        return queryset.visible_to(self.request.user, cycle=cycle).order_by(
            *(field for field in Pledge._meta.ordering if field != "cycle__year")
        )
