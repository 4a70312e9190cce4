from collections.abc import Iterable
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from solidarity.domain.fairshare import relocation_equivalent
from solidarity.platform.errors import FIELDS_DISAGREE, NoSuchObject
from solidarity.platform.history import audited


class MemberStateQuerySet(models.QuerySet):
    def in_key(self):
        """The states the seed puts in a new cycle's key (AMMR Art. 66; see ``MemberState.counted_in_key``)."""
        return self.filter(bound_by_solidarity=True)

    def codes_in_protocol_order(self, codes: Iterable, *, field: str) -> list[str]:
        """``codes`` upper-case, each once, in protocol order; NoSuchObject (``unknown_member_state``, on
        ``field``) for a code that names no state. The one reader of a list of states sent by people and tools."""
        order = dict(self.values_list("code", "protocol_order"))
        chosen = {str(code).strip().upper() for code in codes or []}
        unknown = sorted(chosen - set(order))
        if unknown:
            raise NoSuchObject(
                gettext("Unknown Member State code(s): %(codes)s.") % {"codes": ", ".join(unknown)},
                code="unknown_member_state",
                field=field,
            )
        return sorted(chosen, key=order.__getitem__)


class MemberState(models.Model):
    """A Member State or Dublin-associated state; the primary key is its Eurostat code (EL for Greece)."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80, unique=True)
    protocol_order = models.PositiveSmallIntegerField(unique=True)
    eu_member = models.BooleanField(default=True)
    bound_by_solidarity = models.BooleanField(
        default=True, help_text="Counted in the fair-share key (AMMR Art. 66). Denmark is not."
    )
    dublin_associated = models.BooleanField(default=False)
    note = models.TextField(blank=True)

    history = audited()
    objects = MemberStateQuerySet.as_manager()

    class Meta:
        ordering = ["protocol_order"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}$"), name="member_state_code_two_capitals"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def counted_in_key(self) -> bool:
        """Whether the seed puts the state in a new cycle's key: the 26 Member States bound by the AMMR's
        solidarity part (Art. 66, Annex I); Denmark is outside under Protocol No 22, the Dublin-associated states
        contribute ad hoc (Art. 13(1)). A cycle's own key is ``SolidarityCycle.counts_in_key``."""
        return self.bound_by_solidarity


class CycleStatus(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    PROPOSED = "proposed", "Pool proposed"
    PLEDGING = "pledging", "Pledging exercise"
    ADOPTED = "adopted", "Council act adopted"
    IN_APPLICATION = "in_application", "In application"
    CLOSED = "closed", "Closed"


# The stages in which a cycle's recorded pledges are public and binding: from the Council act on (Art. 57).
PLEDGES_PUBLIC_FROM = (CycleStatus.ADOPTED, CycleStatus.IN_APPLICATION, CycleStatus.CLOSED)


class RelocationRounding(models.TextChoices):
    UP = "up", "Round up"
    HALF_UP = "half_up", "Round half up"


def _may_manage_cycle(instance, user) -> bool:
    return user.has_perm("solidarity.manage_cycle", instance)


def current_of(cycles: Iterable["SolidarityCycle"]) -> "SolidarityCycle | None":
    """Of ``cycles``, newest first, the one people work on now: the latest that has left preparation, else the
    latest. For a page that lists the cycles anyway (one a year: a handful of rows)."""
    cycles = list(cycles)
    return next((cycle for cycle in cycles if cycle.status != CycleStatus.PREPARATION), cycles[0] if cycles else None)


class SolidarityCycleQuerySet(models.QuerySet):
    def current(self):
        """The cycle people work on now (see ``current_of``)."""
        return current_of(self.order_by("-year"))

    def get_by_natural_key(self, year):
        return self.get(year=year)


class SolidarityCycle(FSMModelMixin, models.Model):
    """One annual solidarity cycle (AMMR Arts 9-15, 56-60). Every rule that can change is stored here."""

    year = models.PositiveSmallIntegerField(unique=True, validators=[MinValueValidator(2026)])
    status = FSMField(default=CycleStatus.PREPARATION, choices=CycleStatus.choices, protected=True)

    # Reference numbers of the pool: those of the Council act once adopted (Art. 57), the proposal's before.
    reference_relocations = models.PositiveIntegerField()
    reference_financial_eur = models.DecimalField(max_digits=15, decimal_places=2)
    # The Commission's proposal (Art. 12), kept apart: offsets open at the cycle's threshold of its relocations
    # (``offset_threshold_percent``, Art. 63(1)).
    proposal_relocations = models.PositiveIntegerField(null=True, blank=True)
    proposal_financial_eur = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)
    eur_per_relocation = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("20000.00"))
    weight_population = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.5000"))
    weight_gdp = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.5000"))
    relocation_rounding = models.CharField(
        max_length=10, choices=RelocationRounding.choices, default=RelocationRounding.UP
    )
    # Which states are in the key is data of each cycle (Art. 66): ``cycle_create`` fills it from the states
    # bound by the solidarity part; read it through ``counts_in_key``.
    states_in_key = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the states this cycle's fair-share key runs over (Art. 66), in protocol order.",
    )
    sar_share_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Indicative share of the pool for states under pressure after SAR disembarkations (Art. 57(2)).",
    )

    legal_basis = models.CharField(max_length=200, blank=True)
    report_reference = models.CharField(max_length=120, blank=True)
    report_date = models.DateField(null=True, blank=True)
    pressure_decision_reference = models.CharField(max_length=120, blank=True)
    pressure_decision_date = models.DateField(null=True, blank=True)
    proposal_date = models.DateField(null=True, blank=True)
    forum_dates = models.JSONField(default=list, blank=True, help_text="Dates of the High-Level Forum meetings.")
    political_agreement_date = models.DateField(null=True, blank=True)
    council_act_reference = models.CharField(max_length=120, blank=True)
    council_act_date = models.DateField(null=True, blank=True)
    # Two dates, not one: the day this cycle's pool applies from (the Council act: 12 June 2026 for the first
    # cycle) and the day the regulation applies from (AMMR Art. 85), each recorded with where it was read.
    applies_from = models.DateField(
        null=True, blank=True, help_text="The first day the cycle's pool applies (the Council implementing act)."
    )
    regulation_applies_from = models.DateField(
        null=True, blank=True, help_text="The day Regulation (EU) 2024/1351 applies from (Art. 85)."
    )
    regulation_applies_from_source = models.CharField(
        max_length=300, blank=True, help_text="Where that date was read, and whether it was verified."
    )
    implementation_deadline = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    version = models.PositiveIntegerField(default=1)

    history = audited()
    objects = SolidarityCycleQuerySet.as_manager()

    # Art. 63 thresholds
    # Art. 63(1)-(2), read (fantasticsearch.net/law/eu/en): offsets may be requested where relocation pledges
    # are "equal to or above 50 % of the number indicated in the Commission proposal", or offered by a state
    # that "has pledged 50 % or more of its mandatory fair share" as relocations.
    offset_threshold_percent = models.DecimalField(  # noqa: DJ012 (cycle data blocks sit before Meta)
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text=_(
            "Art. 63(1)-(2): relocation pledges, of all states against the proposal's relocations or of one "
            "state against its fair share, from which offsets may be requested (50 % in the regulation)."
        ),
    )
    # Art. 63(3): offsets become mandatory where relocation pledges after the High-Level Forum fall below a
    # share of the needs. The 60 % is read in Crisis Regulation (EU) 2024/1359, recital 30, not in Art. 63.
    mandatory_offset_threshold_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("60.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text=_(
            "Art. 63(3): below this share of the proposal's relocations (the needs), pledged after the High-Level "
            "Forum, contributing states must take responsibility for applications. 60 % from Regulation (EU) "
            "2024/1359, recital 30 (relocation or offsets are to cover 60 % of the relocation needs); the "
            "figure in Art. 63(3) itself was not read."
        ),
    )

    class Meta:
        ordering = ["-year"]
        permissions = [("manage_cycle", "Can manage a solidarity cycle and move it through its stages")]
        constraints = [
            models.CheckConstraint(condition=Q(reference_financial_eur__gte=0), name="cycle_financial_non_negative"),
            models.CheckConstraint(condition=Q(eur_per_relocation__gt=0), name="cycle_eur_per_relocation_positive"),
            models.CheckConstraint(
                condition=Q(weight_population__gte=0, weight_gdp__gte=0), name="cycle_weights_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(weight_population__lte=1, weight_gdp__lte=1), name="cycle_weights_at_most_one"
            ),
            models.CheckConstraint(
                condition=Q(offset_threshold_percent__gt=0, offset_threshold_percent__lte=100),
                name="cycle_offset_threshold_in_range",
                violation_error_code="out_of_range",
                violation_error_message=_("The threshold of Art. 63(1)-(2) lies above 0 and at most 100 %."),
            ),
            models.CheckConstraint(
                condition=Q(mandatory_offset_threshold_percent__gt=0, mandatory_offset_threshold_percent__lte=100),
                name="cycle_mandatory_offset_threshold_in_range",
                violation_error_code="out_of_range",
                violation_error_message=_("The threshold of Art. 63(3) lies above 0 and at most 100 %."),
            ),
        ]

    def __str__(self):
        return f"Solidarity cycle {self.year}"

    def natural_key(self) -> tuple:
        """A cycle is named by its year, in the API and in its history (DESIGN: "cycles by year")."""
        return (self.year,)

    def counts_in_key(self, state: "MemberState | str") -> bool:
        """Whether ``state`` is in this cycle's key (AMMR Art. 66, Annex I): the one home of the rule.

        The key runs over the Member States bound by the solidarity part, stored per cycle (``states_in_key``);
        Denmark (Protocol No 22) and the Dublin-associated states are outside it and may contribute "on an ad hoc
        basis" (Art. 13(1)): their pledges are ad hoc, never counted against an obligation or in coverage. A
        cycle whose list is empty (none was recorded) runs over the seed's states (``MemberState.counted_in_key``).
        """
        code = getattr(state, "code", state)  # a state or its code: a pledge asks by its column, without a join
        if self.states_in_key:
            return code in self.states_in_key
        member = state if isinstance(state, MemberState) else MemberState.objects.get(pk=code)
        return member.counted_in_key

    def relocation_equivalent(self, *, relocations=0, euros=0) -> Decimal:
        """``relocations`` persons and ``euros`` as relocations at this cycle's price (AMMR Art. 56(2))."""
        return relocation_equivalent(relocations=relocations, euros=euros, eur_per_relocation=self.eur_per_relocation)

    # Transitions: the coordinator moves the cycle; services lock the row and record actor and reason.
    @transition(field=status, source=CycleStatus.PREPARATION, target=CycleStatus.PROPOSED, permission=_may_manage_cycle)
    def propose(self):
        """The Commission's pool proposal (Art. 12) is recorded."""

    @transition(field=status, source=CycleStatus.PROPOSED, target=CycleStatus.PLEDGING, permission=_may_manage_cycle)
    def open_pledging(self):
        """The High-Level Forum opens the pledging exercise (Art. 13)."""

    @transition(
        field=status,
        source=CycleStatus.PLEDGING,
        target=CycleStatus.ADOPTED,
        permission=_may_manage_cycle,
        conditions=[lambda cycle: bool(cycle.council_act_reference and cycle.council_act_date)],
    )
    def adopt(self):
        """The Council implementing act establishes the pool (Art. 57); pledges become binding."""

    @transition(
        field=status, source=CycleStatus.ADOPTED, target=CycleStatus.IN_APPLICATION, permission=_may_manage_cycle
    )
    def start_application(self):
        """The pool applies and pledges are activated (Arts 58-60)."""

    @transition(
        field=status, source=CycleStatus.IN_APPLICATION, target=CycleStatus.CLOSED, permission=_may_manage_cycle
    )
    def close(self):
        """The implementation year is over."""

    TRANSITIONS = ("propose", "open_pledging", "adopt", "start_application", "close")

    @property
    def is_pledging(self) -> bool:
        return self.status == CycleStatus.PLEDGING

    @property
    def pledges_are_public(self) -> bool:
        return self.status in PLEDGES_PUBLIC_FROM


class ReferenceFigure(models.Model):
    """Population and GDP of one state for one cycle's fair-share key (Art. 66, Annex I)."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.CASCADE, related_name="reference_figures")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="reference_figures")
    population = models.PositiveBigIntegerField(help_text="Population on 1 January (persons).")
    population_reference_date = models.DateField(null=True, blank=True)
    population_source = models.CharField(max_length=200, blank=True)
    gdp_eur_million = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="GDP at current prices, EUR million."
    )
    gdp_reference_year = models.PositiveSmallIntegerField(null=True, blank=True)
    gdp_source = models.CharField(max_length=200, blank=True)
    verified = models.BooleanField(default=False, help_text="Checked against the official source.")
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member_state"], name="one_reference_figure_per_state_and_cycle"),
            models.CheckConstraint(condition=Q(gdp_eur_million__gte=0), name="reference_gdp_non_negative"),
        ]

    def __str__(self):
        return f"{self.member_state_id} {self.cycle.year}"


class DesignationKind(models.TextChoices):
    UNDER_PRESSURE = "under_pressure", "Under migratory pressure"
    AT_RISK = "at_risk", "At risk of migratory pressure"
    SIGNIFICANT_SITUATION = "significant_situation", "Facing a significant migratory situation"


class DesignationGround(models.TextChoices):
    ARRIVALS = "arrivals", "Arrivals"
    SAR = "sar", "Arrivals after search-and-rescue disembarkations"


class Designation(models.Model):
    """A state's designation in the Commission's pressure decision (Art. 11)."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.CASCADE, related_name="designations")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="designations")
    kind = models.CharField(max_length=24, choices=DesignationKind.choices)
    ground = models.CharField(max_length=10, choices=DesignationGround.choices, blank=True)
    source = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member_state", "kind"], name="one_designation_per_kind"),
            # Only a state under pressure has a ground (Art. 11(1)); the others carry none.
            models.CheckConstraint(
                condition=Q(kind="under_pressure") | Q(ground=""),
                name="designation_ground_only_under_pressure",
                violation_error_code=FIELDS_DISAGREE,
                violation_error_message=_(
                    "Only a designation as under migratory pressure has a ground: leave it empty."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.member_state_id} {self.get_kind_display()} ({self.cycle.year})"


class OfficialShare(models.Model):
    """The share and amounts printed in the Council act, to compare with the computed key."""

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.CASCADE, related_name="official_shares")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="official_shares")
    share_percent = models.DecimalField(max_digits=8, decimal_places=4)
    relocations = models.PositiveIntegerField(null=True, blank=True)
    financial_eur = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    verified = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member_state"], name="one_official_share_per_state_and_cycle"),
            models.CheckConstraint(
                condition=Q(share_percent__gte=0, share_percent__lte=100), name="official_share_is_a_percentage"
            ),
        ]

    def __str__(self):
        return f"{self.member_state_id} {self.share_percent} % ({self.cycle.year})"


class Scenario(models.Model):
    """A what-if variant of a cycle's key: other reference numbers, weights, deductions or states in the key.

    Computed by the same fair-share engine as the cycle; private to its author's delegation unless shared.
    """

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.CASCADE, related_name="scenarios")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    author = models.ForeignKey("solidarity.User", on_delete=models.PROTECT, related_name="scenarios")
    author_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shared = models.BooleanField(default=False, help_text="Visible to every delegation, not only the author's.")
    reference_relocations = models.PositiveIntegerField()
    reference_financial_eur = models.DecimalField(max_digits=15, decimal_places=2)
    eur_per_relocation = models.DecimalField(max_digits=12, decimal_places=2)
    weight_population = models.DecimalField(max_digits=5, decimal_places=4)
    weight_gdp = models.DecimalField(max_digits=5, decimal_places=4)
    relocation_rounding = models.CharField(max_length=10, choices=RelocationRounding.choices)
    deductions_percent = models.JSONField(
        default=dict, blank=True, help_text='Deductions by state code, in percent: {"AT": "100"}.'
    )
    states_in_key = models.JSONField(
        default=list, blank=True, help_text="Codes of the states in the key; empty means the cycle's own key."
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(reference_financial_eur__gte=0), name="scenario_financial_non_negative"),
            models.CheckConstraint(condition=Q(eur_per_relocation__gt=0), name="scenario_eur_per_relocation_positive"),
            models.CheckConstraint(
                condition=Q(weight_population__gte=0, weight_gdp__gte=0, weight_population__lte=1, weight_gdp__lte=1),
                name="scenario_weights_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.cycle.year})"


class IndicativeFigure(models.TextChoices):
    RELOCATIONS = "relocations", _("Relocations (persons)")
    FINANCIAL_EUR = "financial_eur", _("Financial contribution (EUR)")


class IndicativeSource(models.TextChoices):
    COMMISSION_PROPOSAL = "commission_proposal", _("Commission proposal (Art. 12)")
    COUNCIL_ACT = "council_act", _("Council implementing act, annex (Art. 57)")


class IndicativeAdjustment(models.Model):
    """A state's indicative contribution printed in the Commission proposal (AMMR Art. 12) or the Council act's
    annex (Art. 57) that differs from what the key gives, recorded with its source and whether its legal basis
    was verified.

    Not a deduction: a deduction is of a state's "pledged contributions set out in the Council implementing act"
    (AMMR Art. 61(1), 62(1)) and lowers its pledges. For 2026, AT, CZ, HR and PL were "adjusted to zero" in the
    act, while Spain's statement to it says this was done "without the Council having decided on these
    deductions" (DOMAIN.md, "Deductions"): "zero in the act's annex; legal basis not verified". The fair share
    stays as computed; the adjustment is shown beside it.
    """

    cycle = models.ForeignKey(SolidarityCycle, on_delete=models.CASCADE, related_name="indicative_adjustments")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="indicative_adjustments")
    figure = models.CharField(max_length=16, choices=IndicativeFigure.choices)
    source = models.CharField(max_length=24, choices=IndicativeSource.choices)
    value = models.DecimalField(
        max_digits=17, decimal_places=2, help_text=_("The figure as printed in the source: persons or euros.")
    )
    source_text = models.CharField(max_length=300, help_text=_("Where it is printed, or reported, in words."))
    legal_basis_verified = models.BooleanField(
        default=False, help_text=_("Whether the provision the figure rests on was read and checked.")
    )
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    history = audited()

    class Meta:
        ordering = ["cycle__year", "member_state__protocol_order", "figure", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member_state", "figure", "source"], name="one_indicative_adjustment_per_figure"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="indicative_adjustment_non_negative"),
        ]

    def __str__(self):
        return f"{self.member_state_id} {self.get_figure_display()} {self.value} ({self.cycle.year})"

    @property
    def status_label(self) -> str:
        """How far the figure is established: the words the fair-share page and the API show."""
        if self.legal_basis_verified:
            return str(_("legal basis verified"))
        return str(_("legal basis not verified"))
