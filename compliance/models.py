from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.errors import FIELDS_DISAGREE
from solidarity.platform.history import audited

RATE_PLACES = Decimal("0.01")


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class DublinPerformance(models.Model):
    """How one state applied the Dublin rules (AMMR Part III) in one month or quarter."""

    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="dublin_performance")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    take_charge_sent = models.PositiveIntegerField(default=0)
    take_charge_received = models.PositiveIntegerField(default=0)
    take_charge_accepted = models.PositiveIntegerField(default=0)
    take_charge_refused = models.PositiveIntegerField(default=0)
    take_back_sent = models.PositiveIntegerField(default=0)
    take_back_received = models.PositiveIntegerField(default=0)
    take_back_accepted = models.PositiveIntegerField(default=0)
    take_back_refused = models.PositiveIntegerField(default=0)
    transfers_carried_out = models.PositiveIntegerField(default=0)
    average_reply_days = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    average_transfer_days = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    illustrative = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["member_state__protocol_order", "period_start"]
        verbose_name_plural = "Dublin performance"
        constraints = [
            models.UniqueConstraint(
                fields=["member_state", "period_kind", "period_start"], name="one_dublin_record_per_state_and_period"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="dublin_period_ordered",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_("The period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(take_charge_accepted__lte=F("take_charge_received"))
                & Q(take_back_accepted__lte=F("take_back_received")),
                name="dublin_accepted_within_received",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_("Accepted requests cannot exceed the requests received."),
            ),
            models.CheckConstraint(
                condition=Q(average_reply_days__isnull=True) | Q(average_reply_days__gte=0),
                name="dublin_reply_days_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(average_transfer_days__isnull=True) | Q(average_transfer_days__gte=0),
                name="dublin_transfer_days_non_negative",
            ),
        ]

    def __str__(self):
        return f"Dublin {self.member_state_id} {self.period_start:%Y-%m}"

    @property
    def requests_received(self) -> int:
        return self.take_charge_received + self.take_back_received

    @property
    def requests_accepted(self) -> int:
        return self.take_charge_accepted + self.take_back_accepted

    @property
    def acceptance_rate(self) -> Decimal | None:
        """Accepted requests as a percentage of those received."""
        return _rate(self.requests_accepted, self.requests_received)

    @property
    def transfer_rate(self) -> Decimal | None:
        """Transfers carried out as a percentage of accepted requests."""
        return _rate(self.transfers_carried_out, self.requests_accepted)


class SecondaryMovementIndicator(models.Model):
    """Applications lodged and how many came from onward movement, per state and period, with their source."""

    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="secondary_movements")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    applications_lodged = models.PositiveIntegerField(null=True, blank=True)
    secondary_movement_share_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    reception_occupancy_percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=200)
    illustrative = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["member_state__protocol_order", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_state", "period_kind", "period_start"], name="one_secondary_record_per_state_and_period"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="secondary_period_ordered",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_("The period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(secondary_movement_share_percent__isnull=True)
                | Q(secondary_movement_share_percent__gte=0, secondary_movement_share_percent__lte=100),
                name="secondary_share_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(reception_occupancy_percent__isnull=True) | Q(reception_occupancy_percent__gte=0),
                name="occupancy_non_negative",
            ),
        ]

    def __str__(self):
        return f"Secondary movements {self.member_state_id} {self.period_start:%Y-%m}"


class ActionPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AGREED = "agreed", "Agreed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


def _may_manage_compliance(instance, user) -> bool:
    return user.has_perm("compliance.manage", instance)


class ActionPlan(FSMModelMixin, models.Model):
    """A state's plan to comply with the Dublin rules, with measurable benchmarks."""

    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="action_plans")
    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="action_plans")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    status = FSMField(default=ActionPlanStatus.DRAFT, choices=ActionPlanStatus.choices, protected=True)
    illustrative = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order"]
        permissions = [("manage", "Can record compliance data")]
        constraints = [
            models.UniqueConstraint(fields=["member_state", "cycle"], name="one_action_plan_per_state_and_cycle")
        ]

    def __str__(self):
        return f"Action plan {self.member_state_id} {self.cycle.year}"

    @transition(
        field=status, source=ActionPlanStatus.DRAFT, target=ActionPlanStatus.AGREED, permission=_may_manage_compliance
    )
    def agree(self):
        pass

    @transition(
        field=status,
        source=ActionPlanStatus.AGREED,
        target=ActionPlanStatus.IN_PROGRESS,
        permission=_may_manage_compliance,
    )
    def start(self):
        pass

    @transition(
        field=status,
        source=ActionPlanStatus.IN_PROGRESS,
        target=ActionPlanStatus.COMPLETED,
        permission=_may_manage_compliance,
    )
    def complete(self):
        pass

    TRANSITIONS = ("agree", "start", "complete")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"


class LinkedIndicator(models.TextChoices):
    NONE = "", "Measured by hand"
    ACCEPTANCE_RATE = "acceptance_rate", "Dublin acceptance rate (%)"
    TRANSFER_RATE = "transfer_rate", "Dublin transfer rate (%)"
    AVERAGE_REPLY_DAYS = "average_reply_days", "Average reply delay (days)"
    AVERAGE_TRANSFER_DAYS = "average_transfer_days", "Average transfer delay (days)"


class Benchmark(models.Model):
    """A concrete, measurable target of an action plan; its status is derived from the measurements."""

    action_plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="benchmarks")
    indicator = models.CharField(max_length=200)
    linked_indicator = models.CharField(max_length=24, choices=LinkedIndicator.choices, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    baseline = models.DecimalField(max_digits=14, decimal_places=2)
    baseline_date = models.DateField()
    target = models.DecimalField(max_digits=14, decimal_places=2)
    due_date = models.DateField()
    direction = models.CharField(max_length=6, choices=Direction.choices)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_date__lt=F("due_date")),
                name="benchmark_due_after_baseline",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_("The benchmark must fall due after its baseline date."),
            ),
            # The target must lie in the direction of improvement from the baseline.
            models.CheckConstraint(
                condition=Q(direction="higher", target__gt=F("baseline"))
                | Q(direction="lower", target__lt=F("baseline")),
                name="benchmark_target_improves_on_baseline",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_(
                    "The target must improve on the baseline: above it when higher is better, below it when lower is."
                ),
            ),
        ]

    def __str__(self):
        return self.indicator

    @property
    def member_state_id(self):
        return self.action_plan.member_state_id


class Measurement(models.Model):
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = audited()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "date"], name="one_measurement_per_benchmark_and_date")
        ]

    def __str__(self):
        return f"{self.value} on {self.date}"


class FindingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_ASSESSMENT = "under_assessment", "Under assessment"
    CONFIRMED = "confirmed", "Confirmed"
    LIFTED = "lifted", "Lifted"
    DISMISSED = "dismissed", "Dismissed"


class FindingQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=FindingStatus.CONFIRMED)


class Finding(FSMModelMixin, models.Model):
    """Systemic shortcomings of a benefitting state in applying the Dublin rules (AMMR Art. 60(3)).

    While confirmed, contributing states may decline activations towards that state; the pledge itself is
    never reduced by a finding.
    """

    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="findings")
    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="findings")
    scope = models.CharField(max_length=200)
    description = models.TextField()
    evidence_references = models.TextField(blank=True)
    legal_reference = models.CharField(max_length=200, default="Regulation (EU) 2024/1351, Art. 60(3)")
    # AMMR Art. 60(3): the shortcomings are those the Commission identifies (understood to be in its annual
    # report, DOMAIN.md); a finding is confirmed only with that identification recorded.
    commission_report_reference = models.CharField(
        _("Commission report"),
        max_length=200,
        blank=True,
        help_text=_("The Commission document identifying the shortcomings, e.g. COM(2025) 795."),
    )
    commission_report_date = models.DateField(
        _("date of the Commission report"), null=True, blank=True, help_text=_("The date the Commission adopted it.")
    )
    status = FSMField(default=FindingStatus.DRAFT, choices=FindingStatus.choices, protected=True)
    confirmed_on = models.DateField(null=True, blank=True)
    lifted_on = models.DateField(null=True, blank=True)
    illustrative = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()
    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["member_state", "cycle", "status"])]

    def __str__(self):
        return f"Finding on {self.member_state_id} ({self.cycle.year}): {self.scope}"

    def missing_commission_identification(self) -> list[str]:
        """The fields still needed before the finding may be confirmed. AMMR Art. 60(3), as DOMAIN.md reads
        it: "Contributing Member States shall not be obliged to implement their pledges ..." towards a
        benefitting state where systemic shortcomings were identified, understood to be by the Commission in
        its annual report; so a finding records that report's reference and date before it takes effect."""
        missing = []
        if not self.commission_report_reference.strip():
            missing.append("commission_report_reference")
        if self.commission_report_date is None:
            missing.append("commission_report_date")
        return missing

    @transition(
        field=status,
        source=FindingStatus.DRAFT,
        target=FindingStatus.UNDER_ASSESSMENT,
        permission=_may_manage_compliance,
    )
    def assess(self):
        pass

    @transition(
        field=status,
        source=FindingStatus.UNDER_ASSESSMENT,
        target=FindingStatus.CONFIRMED,
        permission=_may_manage_compliance,
    )
    def confirm(self):
        pass

    @transition(
        field=status, source=FindingStatus.CONFIRMED, target=FindingStatus.LIFTED, permission=_may_manage_compliance
    )
    def lift(self):
        pass

    @transition(
        field=status,
        source=[FindingStatus.DRAFT, FindingStatus.UNDER_ASSESSMENT],
        target=FindingStatus.DISMISSED,
        permission=_may_manage_compliance,
    )
    def dismiss(self):
        pass

    TRANSITIONS = ("assess", "confirm", "lift", "dismiss")
