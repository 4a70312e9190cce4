from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from solidarity.history import audited
from solidarity.models import MemberState, SolidarityCycle

CENT = Decimal("0.01")


class PledgeKind(models.TextChoices):
    RELOCATION = "relocation", "Relocation"
    FINANCIAL = "financial", "Financial contribution"
    ALTERNATIVE = "alternative", "Alternative solidarity measure"


class PledgeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RECORDED = "recorded", "Recorded (binding)"
    WITHDRAWN = "withdrawn", "Withdrawn"


def _may_change_pledge(instance, user) -> bool:
    return user.has_perm("pledges.change_pledge", instance)


def _may_decide_deduction(instance, user) -> bool:
    return user.has_perm("pledges.decide_deduction", instance)


class PledgeQuerySet(models.QuerySet):
    def for_cycle(self, cycle):
        return self.filter(cycle=cycle)

    def counted(self):
        """Pledges that count towards the pool: submitted in the exercise or recorded by the Council act."""
        return self.filter(status__in=[PledgeStatus.SUBMITTED, PledgeStatus.RECORDED])

    def binding(self):
        return self.filter(status=PledgeStatus.RECORDED)


class Pledge(FSMModelMixin, models.Model):
    """A Member State's solidarity pledge of one kind (AMMR Art. 56(2))."""

    # Indexed as the first column of (cycle, member_state, status): an index of its own misled PostgreSQL into
    # reading a cycle's 27 000 pledges to find one state's thousand.
    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="pledges", db_index=False)
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="pledges")
    kind = models.CharField(max_length=12, choices=PledgeKind.choices)
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Persons to relocate.")
    amount_eur = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)
    description = models.TextField(blank=True)
    earmark = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="earmarked_pledges",
        help_text="A benefitting state the pledge is meant for, if any.",
    )
    illustrative = models.BooleanField(default=False, help_text="Demonstration data, not a real pledge of the state.")
    status = FSMField(default=PledgeStatus.DRAFT, choices=PledgeStatus.choices, protected=True)
    activated = models.DecimalField(
        max_digits=15,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="Total of its live activations, in the pledge's unit (persons or euros).",
    )
    version = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()
    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_eur__gte=0), name="pledge_amount_non_negative"),
            # The field that fits the kind is set, and the others are not.
            models.CheckConstraint(
                condition=(
                    Q(kind="relocation", quantity__isnull=False, amount_eur__isnull=True)
                    | Q(kind="financial", quantity__isnull=True, amount_eur__isnull=False)
                    | Q(kind="alternative", quantity__isnull=True, amount_eur__isnull=False)
                ),
                name="pledge_fields_fit_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="alternative") | ~Q(description=""), name="alternative_pledge_has_description"
            ),
            # Activations never exceed the pledge (AMMR Art. 60(2)); the services keep `activated` in step.
            models.CheckConstraint(
                condition=Q(activated__gte=0)
                & (
                    Q(kind="relocation", activated__lte=F("quantity"))
                    | (~Q(kind="relocation") & Q(activated__lte=F("amount_eur")))
                ),
                name="pledge_activations_within_pledge",
            ),
            # One live relocation and one live financial pledge per state and cycle; alternative measures
            # may be several, each described on its own.
            models.UniqueConstraint(
                fields=["cycle", "member_state", "kind"],
                condition=Q(kind__in=["relocation", "financial"]) & ~Q(status="withdrawn"),
                name="one_live_pledge_per_state_cycle_and_kind",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "member_state", "status"])]

    def __str__(self):
        return f"{self.member_state_id} {self.get_kind_display()} ({self.cycle.year})"

    @property
    def relocation_equivalent(self) -> Decimal:
        """Persons for a relocation; euros divided by the cycle's euro value of one relocation otherwise."""
        if self.kind == PledgeKind.RELOCATION:
            return Decimal(self.quantity or 0)
        return ((self.amount_eur or Decimal(0)) / self.cycle.eur_per_relocation).quantize(CENT, ROUND_HALF_UP)

    @property
    def measure(self):
        """The pledged measure in its own unit: persons or euros."""
        return self.quantity if self.kind == PledgeKind.RELOCATION else self.amount_eur

    @transition(field=status, source=PledgeStatus.DRAFT, target=PledgeStatus.SUBMITTED, permission=_may_change_pledge)
    def submit(self):
        pass

    @transition(field=status, source=PledgeStatus.SUBMITTED, target=PledgeStatus.DRAFT, permission=_may_change_pledge)
    def reopen(self):
        pass

    @transition(
        field=status,
        source=[PledgeStatus.DRAFT, PledgeStatus.SUBMITTED],
        target=PledgeStatus.WITHDRAWN,
        permission=_may_change_pledge,
    )
    def withdraw(self):
        pass

    # Recording is done only by the adoption of the Council act (Art. 57), never by a user on one pledge.
    @transition(field=status, source=PledgeStatus.SUBMITTED, target=PledgeStatus.RECORDED)
    def record(self):
        pass

    USER_TRANSITIONS = ("submit", "reopen", "withdraw")


class DeductionArticle(models.TextChoices):
    ART_61 = "61", "Art. 61: under pressure, not using the pool"
    ART_62 = "62", "Art. 62: significant migratory situation"


class DeductionScope(models.TextChoices):
    FULL = "full", "Full"
    PARTIAL = "partial", "Partial"


class DeductionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    UNDER_ASSESSMENT = "under_assessment", "Under assessment"
    GRANTED_FULL = "granted_full", "Granted in full"
    GRANTED_PARTIAL = "granted_partial", "Granted in part"
    REFUSED = "refused", "Refused"


class DeductionRequestQuerySet(models.QuerySet):
    def granted(self):
        return self.filter(status__in=[DeductionStatus.GRANTED_FULL, DeductionStatus.GRANTED_PARTIAL])


class DeductionRequest(FSMModelMixin, models.Model):
    """A request to deduct a state's contributions (AMMR Arts 61-62); the Council decides by implementing act."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="deduction_requests")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="deduction_requests")
    article = models.CharField(max_length=2, choices=DeductionArticle.choices)
    scope = models.CharField(max_length=8, choices=DeductionScope.choices)
    requested_percent = models.DecimalField(
        max_digits=7, decimal_places=4, help_text="Part of the fair share to deduct, in percent (100 for full)."
    )
    granted_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    grounds = models.TextField()
    council_act_reference = models.CharField(max_length=120, blank=True)
    illustrative = models.BooleanField(default=False)
    status = FSMField(default=DeductionStatus.REQUESTED, choices=DeductionStatus.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()
    objects = DeductionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_percent__gt=0, requested_percent__lte=100),
                name="deduction_requested_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(granted_percent__isnull=True) | Q(granted_percent__gte=0, granted_percent__lte=100),
                name="deduction_granted_percent_range",
            ),
            models.CheckConstraint(
                condition=~Q(scope="full") | Q(requested_percent=100), name="full_deduction_is_one_hundred_percent"
            ),
            # One granted deduction per state and cycle: two could add up beyond the whole contribution.
            models.UniqueConstraint(
                fields=["cycle", "member_state"],
                condition=Q(status__in=["granted_full", "granted_partial"]),
                name="one_granted_deduction_per_state_and_cycle",
            ),
        ]

    def __str__(self):
        return f"Deduction {self.member_state_id} {self.cycle.year} ({self.get_status_display()})"

    # The Commission assesses within four weeks; the Council decides by implementing act (Art. 62(3)-(4)).
    @transition(
        field=status,
        source=DeductionStatus.REQUESTED,
        target=DeductionStatus.UNDER_ASSESSMENT,
        permission=_may_decide_deduction,
    )
    def assess(self):
        pass

    @transition(
        field=status,
        source=[DeductionStatus.REQUESTED, DeductionStatus.UNDER_ASSESSMENT],
        target=DeductionStatus.GRANTED_FULL,
        permission=_may_decide_deduction,
    )
    def grant_full(self):
        self.granted_percent = Decimal(100)

    @transition(
        field=status,
        source=[DeductionStatus.REQUESTED, DeductionStatus.UNDER_ASSESSMENT],
        target=DeductionStatus.GRANTED_PARTIAL,
        permission=_may_decide_deduction,
    )
    def grant_partial(self):
        pass

    @transition(
        field=status,
        source=[DeductionStatus.REQUESTED, DeductionStatus.UNDER_ASSESSMENT],
        target=DeductionStatus.REFUSED,
        permission=_may_decide_deduction,
    )
    def refuse(self):
        self.granted_percent = None

    TRANSITIONS = ("assess", "grant_full", "grant_partial", "refuse")

    @property
    def effective_percent(self) -> Decimal:
        return self.granted_percent if self.granted_percent is not None else self.requested_percent


class ActivationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    FULFILLED = "fulfilled", "Fulfilled"
    DECLINED = "declined", "Declined"


class DeclineGround(models.TextChoices):
    SYSTEMIC_SHORTCOMINGS = "systemic_shortcomings", "Systemic shortcomings of the benefitting state (Art. 60(3))"
    OTHER = "other", "Other ground"


def _may_answer_activation(instance, user) -> bool:
    return user.has_perm("pledges.answer_activation", instance)


class ActivationQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=ActivationStatus.DECLINED)


class Activation(FSMModelMixin, models.Model):
    """Part of a recorded pledge called towards a benefitting state by the coordinator (AMMR Art. 60(2))."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="activations")
    benefitting_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="activations_received")
    amount = models.DecimalField(
        max_digits=15, decimal_places=2, help_text="Called, in the pledge's unit (persons or euros)."
    )
    fulfilled = models.DecimalField(max_digits=15, decimal_places=2, default=Decimal("0.00"))
    status = FSMField(default=ActivationStatus.PROPOSED, choices=ActivationStatus.choices, protected=True)
    decline_ground = models.CharField(max_length=24, choices=DeclineGround.choices, blank=True)
    decline_explanation = models.TextField(blank=True)
    finding = models.ForeignKey(
        "compliance.Finding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="declined_activations",
        help_text="The confirmed systemic-shortcoming finding an Art. 60(3) decline rests on.",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()
    objects = ActivationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="activation_amount_positive"),
            # Fulfilment never exceeds the activation; the services keep `fulfilled` in step.
            models.CheckConstraint(
                condition=Q(fulfilled__gte=0, fulfilled__lte=F("amount")), name="activation_fulfilled_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(status="declined") | Q(decline_ground=""), name="activation_ground_only_when_declined"
            ),
            # An Art. 60(3) decline always names the finding it rests on, and only such a decline does.
            models.CheckConstraint(
                condition=Q(decline_ground="systemic_shortcomings", finding__isnull=False)
                | (~Q(decline_ground="systemic_shortcomings") & Q(finding__isnull=True)),
                name="activation_finding_iff_systemic_ground",
            ),
        ]

    def __str__(self):
        return f"Activation of {self.pledge} towards {self.benefitting_state_id}"

    @property
    def member_state_id(self):
        """The contributing state: the activation belongs to the delegation that pledged."""
        return self.pledge.member_state_id

    @transition(
        field=status,
        source=ActivationStatus.PROPOSED,
        target=ActivationStatus.ACCEPTED,
        permission=_may_answer_activation,
    )
    def accept(self):
        pass

    @transition(
        field=status,
        source=ActivationStatus.PROPOSED,
        target=ActivationStatus.DECLINED,
        permission=_may_answer_activation,
    )
    def decline(self):
        pass

    # Reached by recording fulfilment, never chosen by a user.
    @transition(field=status, source=ActivationStatus.ACCEPTED, target=ActivationStatus.FULFILLED)
    def complete(self):
        pass

    USER_TRANSITIONS = ("accept", "decline")


class Fulfilment(models.Model):
    """What a contributing state carried out under an accepted activation (AMMR Art. 60(3))."""

    activation = models.ForeignKey(Activation, on_delete=models.PROTECT, related_name="fulfilments")
    date = models.DateField()
    amount = models.DecimalField(max_digits=15, decimal_places=2, help_text="Persons relocated or euros paid.")
    evidence_reference = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="fulfilment_amount_positive")]

    def __str__(self):
        return f"Fulfilment of {self.amount} on {self.date}"


class OffsetStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    REFUSED = "refused", "Refused"


def _may_answer_offset(instance, user) -> bool:
    return user.has_perm("pledges.answer_offset", instance)


class ResponsibilityOffset(FSMModelMixin, models.Model):
    """A contributing state takes responsibility for applications instead of relocating (AMMR Arts 63, 69)."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="offsets")
    benefitting_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="offsets_requested")
    contributing_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="offsets_received")
    applications_requested = models.PositiveIntegerField()
    applications_accepted = models.PositiveIntegerField(null=True, blank=True)
    requested_on = models.DateField()
    answer_deadline = models.DateField(help_text="30 days after the request (Art. 69).")
    answered_on = models.DateField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    status = FSMField(default=OffsetStatus.REQUESTED, choices=OffsetStatus.choices, protected=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-requested_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(applications_requested__gt=0), name="offset_requests_positive"),
            models.CheckConstraint(
                condition=Q(applications_accepted__isnull=True)
                | Q(applications_accepted__lte=F("applications_requested")),
                name="offset_accepted_within_requested",
            ),
            models.CheckConstraint(
                condition=~Q(benefitting_state=F("contributing_state")), name="offset_between_two_states"
            ),
        ]

    def __str__(self):
        return f"Offset {self.benefitting_state_id} -> {self.contributing_state_id} ({self.cycle.year})"

    @property
    def member_state_id(self):
        """The requested (contributing) state answers the offset."""
        return self.contributing_state_id

    @transition(
        field=status, source=OffsetStatus.REQUESTED, target=OffsetStatus.ACCEPTED, permission=_may_answer_offset
    )
    def accept(self):
        self.applications_accepted = self.applications_requested

    @transition(
        field=status,
        source=OffsetStatus.REQUESTED,
        target=OffsetStatus.PARTIALLY_ACCEPTED,
        permission=_may_answer_offset,
    )
    def accept_partially(self):
        pass

    @transition(field=status, source=OffsetStatus.REQUESTED, target=OffsetStatus.REFUSED, permission=_may_answer_offset)
    def refuse(self):
        self.applications_accepted = 0

    TRANSITIONS = ("accept", "accept_partially", "refuse")


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
