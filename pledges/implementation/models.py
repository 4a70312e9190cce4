from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from pledges.pledging.models import Pledge
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.history import audited


class ActivationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    FULFILLED = "fulfilled", "Fulfilled"
    DECLINED = "declined", "Declined"


class DeclineGround(models.TextChoices):
    # AMMR Art. 60(3): contributing states "shall implement" their pledges; they are "not obliged to implement"
    # towards a beneficiary with identified systemic shortcomings. Any other refusal leaves the pledge due.
    SYSTEMIC_SHORTCOMINGS = "systemic_shortcomings", _("Systemic shortcomings of the benefitting state (Art. 60(3))")
    OTHER = "other", _("Refused on another ground: not implemented, the pledge stays due")


def _may_answer_activation(instance, user) -> bool:
    return user.has_perm("pledges.answer_activation", instance)


# An open activation still waits on its contributing state: proposed (to answer) or accepted (to fulfil).
# While a finding on its benefitting state is confirmed, it is what the state may still decline (AMMR Art.
# 60(3)). The one definition: queries use ``ActivationQuerySet.open()`` or filter on this tuple.
OPEN_ACTIVATION_STATUSES = (ActivationStatus.PROPOSED, ActivationStatus.ACCEPTED)


class ActivationQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=ActivationStatus.DECLINED)

    def open(self):
        """Activations still to be carried out (proposed or accepted): those a confirmed finding lets the
        contributing state decline, as "Contributing Member States shall not be obliged to implement their
        pledges ..." towards that benefitting state (AMMR Art. 60(3)); a fulfilled one is done."""
        return self.filter(status__in=OPEN_ACTIVATION_STATUSES)

    def not_implemented(self):
        """Refusals without an Art. 60(3) ground (``Activation.is_not_implemented``, AMMR Art. 60(3))."""
        return self.filter(status=ActivationStatus.DECLINED, decline_ground=DeclineGround.OTHER)


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
            # A refusal on a ground other than Art. 60(3) is unlawful non-implementation: it is never silent.
            models.CheckConstraint(
                condition=~Q(decline_ground="other") | ~Q(decline_explanation=""),
                name="activation_refusal_explained",
                violation_error_code="decline_explanation_required",
                violation_error_message=_("Explain a refusal on a ground other than Art. 60(3)."),
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

    @property
    def is_not_implemented(self) -> bool:
        """Whether the contributing state refused without an Art. 60(3) ground. AMMR Art. 60(3): contributing
        states "shall implement ... in proportion to their overall pledge"; only towards a beneficiary with
        identified systemic shortcomings are they "not obliged to implement". Such a refusal is shown to the
        coordinator as not implemented; the pledge stays due and the part goes back to be activated
        elsewhere (Art. 60(2)). ``ActivationQuerySet.not_implemented`` is the same rule for queries."""
        return self.status == ActivationStatus.DECLINED and self.decline_ground == DeclineGround.OTHER


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
