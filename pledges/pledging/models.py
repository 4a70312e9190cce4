from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django_fsm import FSMField, FSMModelMixin, transition

from solidarity.accounts.rules import delegation_of, reads_every_delegation
from solidarity.domain.models import PLEDGES_PUBLIC_FROM, MemberState, SolidarityCycle
from solidarity.platform.history import audited

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


def sees_every_state_pledges(user, cycle: SolidarityCycle) -> bool:
    """Whether ``user`` may read every state's pledges of ``cycle``: once the Council act made them public
    (AMMR Art. 57), or as the coordinator or an auditor. Otherwise a state reads its own alone."""
    return cycle.pledges_are_public or reads_every_delegation(user)


def states_whose_pledges_are_visible(user, cycle: SolidarityCycle, states) -> list[str]:
    """The codes of ``states`` whose pledges of ``cycle`` ``user`` may read (AMMR Art. 57): every one of them
    once they are public or for the coordinator and auditors; otherwise the user's own state alone."""
    if sees_every_state_pledges(user, cycle):
        return [state.code for state in states]
    return [state.code for state in states if state.code == delegation_of(user)]


def sees_implementation(user, *, pledging_state_id: str | None, benefitting_state_id: str | None = None) -> bool:
    """Whether ``user`` reads the figures of the implementation of a state's pledge: what was activated and
    fulfilled (AMMR Art. 60(2)-(3)), beyond the pledge itself that the Council act made public (Art. 57).

    They are the parties' business: the pledging (contributing) state and the benefitting state (an
    activation's, or the state a pledge is earmarked for), with the coordinator, who activates, and auditors.
    Another state reads neither the activations nor the pledge's ``activated`` figure; the pool's totals over
    all states stay public. ``implementation_parties_filter`` is the same rule for queries.
    """
    if reads_every_delegation(user):
        return True
    own_state = delegation_of(user)
    return bool(own_state) and own_state in (pledging_state_id, benefitting_state_id)


def implementation_parties_filter(user, *, pledging_state: str, benefitting_state: str | None = None) -> Q | None:
    """``sees_implementation`` for queries: the rows whose implementation ``user`` reads, given the lookups of
    their pledging and benefitting states; None when every row (the coordinator and auditors)."""
    if reads_every_delegation(user):
        return None
    own_state = delegation_of(user)
    if not own_state:
        return Q(pk__in=[])
    parties = Q(**{pledging_state: own_state})
    return parties | Q(**{benefitting_state: own_state}) if benefitting_state else parties


# AMMR Art. 57: recorded by the Council implementing act, in a cycle adopted since.
_PUBLIC = Q(status=PledgeStatus.RECORDED, cycle__status__in=PLEDGES_PUBLIC_FROM)


# The transitions the implementation writes in a pledge's history, when an activation calls part of it and when
# a declined one frees that part again (AMMR Art. 60): its parties' business (``sees_implementation``).
ACTIVATE_TRANSITION = "activate"
RELEASE_TRANSITION = "release"
IMPLEMENTATION_TRANSITIONS = (ACTIVATE_TRANSITION, RELEASE_TRANSITION)
# The transition a granted deduction writes in the pledge's history (AMMR Arts 61-62): decided by a Council
# implementing act, and so public with the pledge.
DEDUCT_TRANSITION = "deduct"


class PledgeQuerySet(models.QuerySet):
    """Pledge visibility lives here and in ``Pledge.is_visible_to`` (the one rule, AMMR Art. 57): pledges are
    public once the Council implementing act has recorded them; until then a state's pledges are read only by
    that state, the coordinator and auditors. Rules, selectors, API, pages and exports all ask these two."""

    def public(self):
        return self.filter(_PUBLIC)

    def visible_to(self, user, *, cycle: SolidarityCycle | None = None):
        """The pledges ``user`` may read (of ``cycle`` only, when given).

        With ``cycle``, and before its Council act, that is the state's own alone: said so rather than left to
        the general rule, PostgreSQL reads one state's pledges through the (cycle, state) index instead of
        testing each of the cycle's 27 000 against "public or own" (whose OR hides it).
        """
        queryset = self if cycle is None else self.filter(cycle=cycle)
        if reads_every_delegation(user):
            return queryset
        own_state = delegation_of(user)
        if cycle is not None and not cycle.pledges_are_public:
            return queryset.filter(member_state_id=own_state) if own_state else queryset.none()
        return queryset.filter(_PUBLIC | Q(member_state_id=own_state)) if own_state else queryset.filter(_PUBLIC)

    def for_cycle(self, cycle):
        return self.filter(cycle=cycle)

    def implementation_visible_to(self, user):
        """The pledges whose implementation figures ``user`` reads (``sees_implementation``, AMMR Arts 57, 60)."""
        parties = implementation_parties_filter(user, pledging_state="member_state_id", benefitting_state="earmark_id")
        return self if parties is None else self.filter(parties)

    def counted(self):
        """Pledges that count towards the pool: submitted in the exercise or recorded by the Council act."""
        return self.filter(status__in=[PledgeStatus.SUBMITTED, PledgeStatus.RECORDED])

    def binding(self):
        return self.filter(status=PledgeStatus.RECORDED)

    def with_binding_measure(self):
        """``binding_measure`` to filter and order by: the queryset twin of ``Pledge.binding_measure``. An alias,
        not an annotation: the instances keep the property, which an annotated value of that name would shadow."""
        return self.alias(binding_measure=BINDING_MEASURE)


# AMMR Arts 61(1), 62(1): a deduction reduces "its pledged contributions set out in the Council implementing act";
# what binds the state is the pledge less the part the Council deducted (Art. 61(4), 62(4)). In the pledge's unit.
BINDING_MEASURE = Case(
    When(kind=PledgeKind.RELOCATION, then=F("quantity") - F("deducted")),
    default=F("amount_eur") - F("deducted"),
    output_field=models.DecimalField(max_digits=15, decimal_places=2),
)


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
    deducted = models.DecimalField(
        max_digits=15,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=(
            "The part of the pledge a Council implementing act deducted (AMMR Arts 61-62), in the pledge's unit; "
            "the pledge binds for its amount less this part."
        ),
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
            # Activations never exceed the binding pledge (AMMR Arts 60(2), 61-62); the services keep `activated`
            # and `deducted` in step.
            models.CheckConstraint(
                condition=Q(activated__gte=0)
                & (
                    Q(kind="relocation", activated__lte=F("quantity") - F("deducted"))
                    | (~Q(kind="relocation") & Q(activated__lte=F("amount_eur") - F("deducted")))
                ),
                name="pledge_activations_within_binding_pledge",
            ),
            # A deduction takes part or all of the pledge, never more (AMMR Arts 61(1), 62(1)).
            models.CheckConstraint(
                condition=Q(deducted__gte=0)
                & (
                    Q(kind="relocation", deducted__lte=F("quantity"))
                    | (~Q(kind="relocation") & Q(deducted__lte=F("amount_eur")))
                ),
                name="pledge_deduction_within_pledge",
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
    def is_public(self) -> bool:
        """Recorded by the Council act, in a cycle adopted since (AMMR Art. 57; see ``PledgeQuerySet``)."""
        return self.status == PledgeStatus.RECORDED and self.cycle.pledges_are_public

    def is_visible_to(self, user) -> bool:
        """The instance twin of ``PledgeQuerySet.visible_to``."""
        return self.is_visible_before_publication_to(user) or self.is_public

    def is_visible_before_publication_to(self, user) -> bool:
        """Whether ``user`` reads this pledge before the Council act makes it public (AMMR Art. 57), and so
        its drafts and revisions: its own state, the coordinator and auditors."""
        return reads_every_delegation(user) or self.member_state_id == delegation_of(user)

    def implementation_visible_to(self, user) -> bool:
        """Whether ``user`` reads what was activated of this pledge (``sees_implementation``, AMMR Arts 57, 60):
        its state, the state it is earmarked for, the coordinator and auditors."""
        return sees_implementation(user, pledging_state_id=self.member_state_id, benefitting_state_id=self.earmark_id)

    def history_visible_to(self, user):
        """The versions of this pledge ``user`` may read: every one for those who read it before it is public;
        for anyone else those written since the Council act recorded it (AMMR Art. 57), and of those, unless
        ``user`` reads its implementation, not the ones its activations wrote (Art. 60)."""
        records = self.history.all()
        if self.is_visible_before_publication_to(user):
            return records
        records = records.filter(status=PledgeStatus.RECORDED)
        if self.implementation_visible_to(user):
            return records
        return records.exclude(history_transition__in=IMPLEMENTATION_TRANSITIONS)

    @property
    def relocation_equivalent(self) -> Decimal:
        """Persons for a relocation; euros divided by the cycle's euro value of one relocation otherwise."""
        if self.kind == PledgeKind.RELOCATION:
            return self.cycle.relocation_equivalent(relocations=self.quantity)
        return self.cycle.relocation_equivalent(euros=self.amount_eur)

    @property
    def pledged_measure(self):
        """The measure as pledged, in its own unit: persons or euros, before any deduction."""
        return self.quantity if self.kind == PledgeKind.RELOCATION else self.amount_eur

    @property
    def binding_measure(self):
        """What the pledge binds the state to, in its own unit: the pledged measure less the part a Council
        implementing act deducted.

        AMMR Art. 61(1) (and 62(1)): a state "may, at any time, request a partial or full deduction of its pledged
        contributions set out in the Council implementing act"; the Council decides by implementing act (Arts
        61(4), 62(4)). So a deduction lowers the pledge, not the fair share; activations and implementation follow
        the binding measure. The one home of the figure, with its queryset twin ``BINDING_MEASURE``.
        """
        pledged = self.pledged_measure
        if pledged is None:
            return None
        binding = Decimal(pledged) - (self.deducted or 0)
        return int(binding) if self.kind == PledgeKind.RELOCATION else binding

    @property
    def is_ad_hoc(self) -> bool:
        """A pledge of a state outside the cycle's key (Denmark, the Dublin-associated states), made "for the
        purpose of contributing to solidarity on an ad hoc basis" (AMMR Art. 13(1)): shown apart, never counted
        against an obligation or in coverage (it has no fair share to cover: ``SolidarityCycle.counts_in_key``)."""
        return not self.cycle.counts_in_key(self.member_state_id)

    @property
    def measure(self):
        """The measure the implementation works on: ``binding_measure`` (what activations are capped by)."""
        return self.binding_measure

    def deduction_of(self, percent: Decimal) -> Decimal:
        """The part of this pledge that ``percent`` of it deducts, in the pledge's unit.

        Rounded down, to whole persons or to the cent: the registry never frees a state of more than the Council
        decided (AMMR Arts 61(4), 62(4)).
        """
        exact = Decimal(self.pledged_measure) * Decimal(percent) / 100
        return exact.quantize(Decimal(1) if self.kind == PledgeKind.RELOCATION else CENT, rounding=ROUND_DOWN)

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


# A granted deduction is decided by a Council implementing act (AMMR Arts 61(4), 62(4)), and so public: the
# one definition, for the queryset, the instance and the rules.
GRANTED_DEDUCTION_STATUSES = (DeductionStatus.GRANTED_FULL, DeductionStatus.GRANTED_PARTIAL)
# A request the Commission or the Council has still to decide (Arts 61(3)-(4), 62(3)-(4)).
OPEN_DEDUCTION_STATUSES = (DeductionStatus.REQUESTED, DeductionStatus.UNDER_ASSESSMENT)


class DeductionRequestQuerySet(models.QuerySet):
    def granted(self):
        return self.filter(status__in=GRANTED_DEDUCTION_STATUSES)

    def visible_to(self, user):
        """Every request for the coordinator and auditors; else the state's own and the granted ones."""
        if reads_every_delegation(user):
            return self
        own_state = delegation_of(user)
        granted = Q(status__in=GRANTED_DEDUCTION_STATUSES)
        return self.filter(granted | Q(member_state_id=own_state)) if own_state else self.filter(granted)


def _percent_or_null(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": 100})


class DeductionRequest(FSMModelMixin, models.Model):
    """A request to deduct a state's contributions (AMMR Arts 61-62); the Council decides by implementing act."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.PROTECT, related_name="deduction_requests")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="deduction_requests")
    article = models.CharField(max_length=2, choices=DeductionArticle.choices)
    scope = models.CharField(max_length=8, choices=DeductionScope.choices)
    requested_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        help_text="Part of the pledges to deduct, in percent (100 for full).",
    )
    granted_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The share of the state's binding pledges (in relocation equivalents) the Council deducted.",
    )
    # What the Council deducted from each type of measure (AMMR Art. 56(2)), in percent of the state's binding
    # pledges of that type; set when granted.
    relocations_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    financial_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    alternative_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    grounds = models.TextField()
    council_act_reference = models.CharField(max_length=120, blank=True)
    council_act_date = models.DateField(
        null=True, blank=True, help_text="The date of the Council implementing act that granted the deduction."
    )
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
            models.CheckConstraint(
                condition=(
                    Q(relocations_percent__isnull=True) | Q(relocations_percent__gte=0, relocations_percent__lte=100)
                )
                & (Q(financial_percent__isnull=True) | Q(financial_percent__gte=0, financial_percent__lte=100))
                & (Q(alternative_percent__isnull=True) | Q(alternative_percent__gte=0, alternative_percent__lte=100)),
                name="deduction_percent_by_kind_range",
            ),
            # One granted deduction per state and cycle: two could add up beyond the whole contribution.
            models.UniqueConstraint(
                fields=["cycle", "member_state"],
                condition=Q(status__in=GRANTED_DEDUCTION_STATUSES),
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
    def is_granted(self) -> bool:
        return self.status in GRANTED_DEDUCTION_STATUSES

    @property
    def effective_percent(self) -> Decimal:
        return self.granted_percent if self.granted_percent is not None else self.requested_percent

    def percent_of_kind(self, kind: str) -> Decimal | None:
        """What the Council deducted from the state's binding pledges of ``kind``, in percent (AMMR Arts 61-62)."""
        return getattr(self, f"{KIND_PERCENT_FIELD[kind]}")


# The field of ``DeductionRequest`` holding what the Council deducted from each type of measure.
KIND_PERCENT_FIELD = {
    PledgeKind.RELOCATION: "relocations_percent",
    PledgeKind.FINANCIAL: "financial_percent",
    PledgeKind.ALTERNATIVE: "alternative_percent",
}
