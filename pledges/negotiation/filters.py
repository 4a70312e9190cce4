"""FilterSets of negotiation tracking (forum meetings, topics, positions), shared by the API and the pages.

They filter a queryset the caller has already scoped to the viewer (``positions_visible_to``): a filter can
narrow what a delegation sees, never widen it.
"""

from django_filters import rest_framework as filters

from pledges.negotiation.models import ForumLevel, ForumMeeting, Position, Stance, Topic, Visibility
from solidarity.domain.filters import StateCodeFilter, YearFilter
from solidarity.platform.filters import IsoDateFromToRangeFilter, StableOrderingFilter, WholeNumberFilter

CYCLE_HELP = "The cycle's year, e.g. 2026."


class ForumMeetingFilter(filters.FilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    level = filters.ChoiceFilter(choices=ForumLevel.choices, help_text="`high` (Art. 13) or `technical` (Art. 14).")
    date = IsoDateFromToRangeFilter(help_text="Meetings on or after `date_after` and on or before `date_before`.")
    ordering = StableOrderingFilter(
        fields=(("date", "date"), ("level", "level"), ("title", "title"), ("cycle__year", "cycle")),
        help_text="Sort by `date` (the default), `level`, `title` or `cycle`; prefix `-` to reverse.",
    )

    class Meta:
        model = ForumMeeting
        fields = ["cycle", "level", "date"]


class TopicFilter(filters.FilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    ordering = StableOrderingFilter(
        fields=(("order", "order"), ("title", "title"), ("cycle__year", "cycle")),
        help_text="Sort by `order` (the default, within each cycle), `title` or `cycle`; prefix `-` to reverse.",
    )

    class Meta:
        model = Topic
        fields = ["cycle"]


class StanceRankFilter(filters.ChoiceFilter):
    """A bound of the stance scale given by name, compared by rank (``red_line`` < ... < ``strong_support``)."""

    def __init__(self, *args, lookup_expr: str, **kwargs):
        super().__init__(*args, field_name="stance_rank", lookup_expr=lookup_expr, choices=Stance.choices, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return super().filter(qs, Stance.rank(value))


class PositionFilter(filters.FilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text=CYCLE_HELP)
    topic = WholeNumberFilter(field_name="topic_id", help_text="The topic's id.")
    member_state = StateCodeFilter(
        field_name="member_state_id", help_text="Eurostat code of the delegation, e.g. `BE`."
    )
    meeting = WholeNumberFilter(field_name="meeting_id", help_text="The forum meeting's id.")
    stance = filters.MultipleChoiceFilter(
        choices=Stance.choices, help_text="One or more stances (repeat the parameter for several)."
    )
    stance_min = StanceRankFilter(
        lookup_expr="gte", help_text="This stance or a more supportive one, e.g. `neutral` finds neutral to strong."
    )
    stance_max = StanceRankFilter(
        lookup_expr="lte", help_text="This stance or a more opposed one, e.g. `reserve` finds red lines to reserves."
    )
    date = IsoDateFromToRangeFilter(
        help_text="Positions dated on or after `date_after` and on or before `date_before` (ISO 8601)."
    )
    visibility = filters.ChoiceFilter(choices=Visibility.choices)
    recorded_by = filters.CharFilter(field_name="recorded_by__username", help_text="Username of the recording user.")
    recorded_by_state = StateCodeFilter(
        field_name="recorded_by_state_id", help_text="Eurostat code of the delegation that recorded the position."
    )
    ordering = StableOrderingFilter(
        fields=(
            ("date", "date"),
            ("stance_rank", "stance"),
            ("member_state__protocol_order", "member_state"),
            ("topic__order", "topic"),
            ("meeting__date", "meeting"),
            ("cycle__year", "cycle"),
            ("id", "id"),
        ),
        help_text=(
            "Sort by `date` (the default), `stance` (by rank on the scale), `member_state` (protocol order), "
            "`topic`, `meeting`, `cycle` or `id`; prefix `-` to reverse."
        ),
    )

    class Meta:
        model = Position
        fields = ["cycle", "topic", "member_state", "meeting", "stance", "visibility"]
