from django.conf import settings
from django.db import models
from django.db.models import F, Q

from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.history import audited

# Negotiation tracking ----------------------------------------------------------------------------------


class ForumLevel(models.TextChoices):
    HIGH = "high", "High-Level EU Solidarity Forum (Art. 13)"
    TECHNICAL = "technical", "Technical-Level EU Solidarity Forum (Art. 14)"


class ForumMeeting(models.Model):
    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="forum_meetings")
    level = models.CharField(max_length=10, choices=ForumLevel.choices)
    date = models.DateField()
    title = models.CharField(max_length=200)
    location = models.CharField(max_length=120, blank=True)
    documents = models.TextField(blank=True, help_text="References of the meeting's documents, one per line.")
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "level", "date", "title"], name="one_meeting_per_title_and_day")
        ]

    def __str__(self):
        return f"{self.title} ({self.date})"


class Topic(models.Model):
    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(
        max_length=40, blank=True, help_text="Unit of a proposed value, e.g. 'relocations in the pool'."
    )
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "title"], name="one_topic_title_per_cycle")]

    def __str__(self):
        return self.title


class Stance(models.TextChoices):
    """An ordinal scale: the order of the members is the order of support."""

    RED_LINE = "red_line", "Red line"
    OPPOSE = "oppose", "Oppose"
    RESERVE = "reserve", "Reserve"
    NEUTRAL = "neutral", "Neutral"
    SUPPORT = "support", "Support"
    STRONG_SUPPORT = "strong_support", "Strong support"

    @classmethod
    def rank(cls, value: str) -> int:
        return cls.values.index(value)


class Visibility(models.TextChoices):
    SHARED = "shared", "Shared with every delegation"
    RESTRICTED = "restricted", "Restricted to the recording delegation"


def speaks_for_its_state(*, member_state_id, recorded_by_state_id) -> bool:
    """Whether a position on ``member_state_id``, recorded by the delegation ``recorded_by_state_id`` (None: the
    coordinator, from the Forum's minutes), may be that state's shared and current position (AMMR Arts 13-14).

    A state speaks for itself at the High-Level (Art. 13) and Technical-Level (Art. 14) Forums: its shared,
    current position is recorded by its own negotiators or by the coordinator, who keeps the minutes. Another
    delegation's note about a state is restricted to the delegation that wrote it and is never that state's
    current position. ``PositionQuerySet.speaking_for_their_state`` is the same rule for queries.
    """
    return recorded_by_state_id is None or recorded_by_state_id == member_state_id


# ``speaks_for_its_state`` for queries.
SPEAKS_FOR_ITS_STATE = Q(recorded_by_state__isnull=True) | Q(recorded_by_state_id=F("member_state_id"))
# What every delegation reads: a shared position that speaks for its state. One stored shared by another
# delegation (before the services kept such notes restricted) stays with the delegation that recorded it.
SHARED_WITH_EVERY_DELEGATION = Q(visibility="shared") & SPEAKS_FOR_ITS_STATE


class PositionQuerySet(models.QuerySet):
    def speaking_for_their_state(self):
        """The positions that may be their state's current one (``speaks_for_its_state``, AMMR Arts 13-14)."""
        return self.filter(SPEAKS_FOR_ITS_STATE)


class Position(models.Model):
    """A delegation's stance on a topic, at a meeting or on a date."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="positions")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="positions")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="positions")
    meeting = models.ForeignKey(ForumMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="positions")
    date = models.DateField()
    stance = models.CharField(max_length=16, choices=Stance.choices)
    stance_rank = models.PositiveSmallIntegerField(editable=False, help_text="Order of the stance, for ranges.")
    proposed_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    conditions = models.TextField(blank=True)
    statement = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.SHARED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by_state = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The delegation that recorded it: a restricted position is visible to that delegation only.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()
    objects = PositionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            # The matrix ranks a cycle's positions per state and topic, newest first: in this order, with the
            # columns a cell shows, PostgreSQL reads them from the index alone instead of sorting them.
            models.Index(
                fields=["cycle", "member_state", "topic", "-date", "-id"],
                include=[
                    "meeting",
                    "stance",
                    "stance_rank",
                    "proposed_value",
                    "source",
                    "visibility",
                    "recorded_by_state",
                ],
                name="position_matrix_latest",
            ),
            models.Index(fields=["cycle", "visibility", "recorded_by_state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stance_rank__lte=5), name="position_stance_rank_on_scale"),
        ]

    def __str__(self):
        return f"{self.member_state_id} on {self.topic}: {self.get_stance_display()} ({self.date})"

    def save(self, *args, **kwargs):
        self.stance_rank = Stance.rank(self.stance)
        super().save(*args, **kwargs)

    @property
    def is_shared_with_every_delegation(self) -> bool:
        """The instance twin of ``SHARED_WITH_EVERY_DELEGATION``."""
        return self.visibility == Visibility.SHARED and self.speaks_for_its_state

    @property
    def speaks_for_its_state(self) -> bool:
        """See ``speaks_for_its_state``: recorded by the state's own delegation or by the coordinator."""
        return speaks_for_its_state(
            member_state_id=self.member_state_id, recorded_by_state_id=self.recorded_by_state_id
        )
