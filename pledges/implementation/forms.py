"""Forms and list filters of the implementation pages: activations, fulfilment, deductions and offsets.

The forms check only the shape of what was typed; every rule of the mechanism is the service's, whose
errors land on the field they concern (``ServiceForm.add_domain_error``). Fields the service checks with a
precise message are optional here, so the user reads that message rather than a generic "required".
The lists' filter forms are the pages' faces of the FilterSets the API uses (``pledges.implementation.filters``).
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ChoiceField, ModelChoiceField

from pledges.implementation.models import ActivationStatus, DeclineGround, OffsetStatus
from pledges.implementation.selectors import left_to_activate
from pledges.pledging.models import DeductionArticle, DeductionScope, DeductionStatus, PledgeKind
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.forms import ServiceForm, VersionedServiceForm


def in_unit(kind: str, value) -> str:
    """A measure in its unit, for people: "120 persons", "EUR 1,000,000.00"."""
    if value is None:
        return ""
    if kind == PledgeKind.RELOCATION:
        return f"{value:,.0f} persons"
    return f"EUR {value:,.2f}"


class _ReasonLast:
    """The reason is the last thing asked: it explains the change above it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name != "reason"] + ["reason"])


def _states(label: str, help_text: str = "", **kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=MemberState.objects.all(), label=label, help_text=help_text, empty_label="Choose a state", **kwargs
    )


def _text(label: str, help_text: str = "", **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, widget=forms.Textarea(attrs={"rows": 4}), **kwargs
    )


# Activations and fulfilment (AMMR Art. 60) ----------------------------------------------------------------


class ActivationProposeForm(_ReasonLast, ServiceForm):
    benefitting_state = _states(
        "Benefitting Member State",
        "The state the pledge is activated towards (AMMR Art. 60(2)).",
        error_messages={"required": "Choose the benefitting state."},
    )
    amount = forms.DecimalField(
        label="Amount to activate",
        max_digits=17,
        decimal_places=2,
        error_messages={"required": "Give the amount to activate, in the pledge's unit."},
    )

    def __init__(self, *args, pledge, **kwargs):
        super().__init__(*args, **kwargs)
        unit = "persons" if pledge.kind == PledgeKind.RELOCATION else "euros"
        self.fields["amount"].label = f"Amount to activate ({unit})"
        remaining = in_unit(pledge.kind, left_to_activate(pledge))
        self.fields["amount"].help_text = f"At most what remains of the pledge: {remaining}."
        if pledge.earmark_id and not self.is_bound:
            self.initial.setdefault("benefitting_state", pledge.earmark_id)


class ActivationAnswerForm(_ReasonLast, VersionedServiceForm):
    transition = forms.ChoiceField(
        label="Your answer",
        choices=[("accept", "Accept the activation"), ("decline", "Decline the activation")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose to accept or to decline."},
    )
    decline_ground = forms.ChoiceField(
        label="Ground of a decline",
        choices=DeclineGround.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="Only when declining. Art. 60(3) applies only while the Commission's finding of systemic "
        "shortcomings of the benefitting state is confirmed.",
    )
    explanation = _text(
        _("Explanation of a decline"),
        _(
            "Required for a refusal on another ground, which is recorded as not implemented: the pledge stays due. "
            "Kept with the activation and shown to the coordinator."
        ),
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: after a refusal it may share the page with the fulfilment form.
        kwargs.setdefault("auto_id", "answer-%s")
        super().__init__(*args, **kwargs)


class FulfilmentForm(_ReasonLast, VersionedServiceForm):
    date = forms.DateField(
        label="Date carried out",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day the persons were transferred or the payment was made.",
        error_messages={"required": "Give the date it was carried out.", "invalid": "Give a date as YYYY-MM-DD."},
    )
    amount = forms.DecimalField(
        label="Amount carried out",
        max_digits=17,
        decimal_places=2,
        error_messages={"required": "Give the amount carried out."},
    )
    evidence_reference = forms.CharField(
        label="Evidence reference",
        max_length=200,
        required=False,
        help_text="A transfer record, a payment order or another document that shows it was done.",
    )

    def __init__(self, *args, activation, **kwargs):
        kwargs.setdefault("auto_id", "fulfilment-%s")
        super().__init__(*args, **kwargs)
        unit = "persons relocated" if activation.pledge.kind == PledgeKind.RELOCATION else "euros paid"
        self.fields["amount"].label = f"Amount carried out ({unit})"
        remaining = in_unit(activation.pledge.kind, activation.amount - activation.fulfilled)
        self.fields["amount"].help_text = f"At most what remains of the activation: {remaining}."
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())


# Deductions (AMMR Arts 61-62) -------------------------------------------------------------------------------


class DeductionRequestForm(_ReasonLast, ServiceForm):
    article = forms.ChoiceField(
        label="Legal ground",
        choices=DeductionArticle.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Art. 61 or Art. 62."},
    )
    scope = forms.ChoiceField(
        label="Deduction asked",
        choices=DeductionScope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a full or a partial deduction."},
    )
    requested_percent = forms.DecimalField(
        label="Part to deduct (%)",
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text="Only for a partial deduction: the part of the state's pledges to deduct, above 0 and below 100.",
    )
    grounds = _text("Grounds", "The situation that justifies the deduction; the Commission assesses it.")


DEDUCTION_DECISIONS = {
    "assess": "The Commission assesses the request (within four weeks)",
    "grant_full": "Granted in full by the Council",
    "grant_partial": "Granted in part by the Council",
    "refuse": "Refused",
}


class DeductionDecideForm(_ReasonLast, VersionedServiceForm):
    transition = forms.ChoiceField(
        label="Decision",
        choices=list(DEDUCTION_DECISIONS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a decision."},
    )
    granted_percent = forms.DecimalField(
        label="Part granted (%)",
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text="Only for a partial grant: above 0 and below 100.",
    )
    council_act_reference = forms.CharField(
        label="Council implementing act",
        max_length=120,
        required=False,
        help_text="Needed to grant: the Council decides deductions by implementing act (AMMR Art. 62(4)).",
    )
    council_act_date = forms.DateField(
        label=_("Date of the Council implementing act"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed to grant, with the act's reference."),
    )
    relocations_percent = forms.DecimalField(
        label=_("Deducted from relocation pledges (%)"),
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text=_("For a partial grant decided by type of measure; empty: the part granted."),
    )
    financial_percent = forms.DecimalField(
        label=_("Deducted from financial pledges (%)"), required=False, max_digits=7, decimal_places=4
    )
    alternative_percent = forms.DecimalField(
        label=_("Deducted from alternative measures (%)"), required=False, max_digits=7, decimal_places=4
    )

    def __init__(self, *args, offered, **kwargs):
        """``offered``: the decisions the workflow allows now (``get_available_user_status_transitions``), the
        ones the buttons show. Any decision is taken as typed: the service refuses, with its reason, one the
        request's stage does not allow (or one made on a version changed meanwhile)."""
        super().__init__(*args, **kwargs)
        self.fields["transition"].widget.choices = [(name, DEDUCTION_DECISIONS[name]) for name in offered]


# Responsibility offsets (AMMR Arts 63, 69) ------------------------------------------------------------------


class OffsetRequestForm(_ReasonLast, ServiceForm):
    benefitting_state = _states(
        "Benefitting Member State",
        "The state responsible for the applications, which asks to be relieved of them.",
        error_messages={"required": "Choose the benefitting state."},
    )
    contributing_state = _states(
        "Requested Member State",
        "The contributing state asked to take responsibility for the applications.",
        error_messages={"required": "Choose the state you ask."},
    )
    applications_requested = forms.IntegerField(
        label="Applications",
        help_text="How many applications the requested state is asked to take responsibility for.",
        error_messages={"required": "Give the number of applications.", "invalid": "Give a whole number."},
    )

    def __init__(self, *args, fixed_benefitting_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_benefitting_state = fixed_benefitting_state
        # An official asks for its own state; only the coordinator chooses the benefitting state.
        if fixed_benefitting_state is not None:
            del self.fields["benefitting_state"]
            self.fields["contributing_state"].queryset = MemberState.objects.exclude(pk=fixed_benefitting_state.pk)


OFFSET_ANSWERS = {
    "accept": "Accept every application requested",
    "accept_partially": "Accept fewer applications",
    "refuse": "Refuse",
}


class OffsetAnswerForm(_ReasonLast, VersionedServiceForm):
    transition = forms.ChoiceField(
        label="Answer",
        choices=list(OFFSET_ANSWERS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an answer."},
    )
    applications_accepted = forms.IntegerField(
        label="Applications accepted",
        required=False,
        help_text="Only when accepting fewer: how many (AMMR Art. 69).",
        error_messages={"invalid": "Give a whole number."},
    )
    explanation = _text("Explanation", "Why, in a few words; kept with the answer.")


# List filters --------------------------------------------------------------------------------------------------
# The lists' forms of the FilterSets in ``pledges.implementation.filters`` (and ``pledges.pledging.filters`` for the
# pledges to activate): the parameters a page offers, as lists to choose from, with the API's names and
# meaning. A value the list does not offer is refused on its field, and the page ignores it.


class _ChosenByKey(ModelChoiceField):
    """An object chosen from a list, handed to the FilterSet as the API names it: a cycle by its year, a state
    by its code."""

    def clean(self, value):
        chosen = super().clean(value)
        return None if chosen is None else getattr(chosen, self.to_field_name or "pk")


def _cycle_field() -> _ChosenByKey:
    return _ChosenByKey(
        queryset=SolidarityCycle.objects.order_by("-year"),
        to_field_name="year",
        required=False,
        label="Cycle",
        empty_label="All cycles",
    )


def _state_field(label: str) -> _ChosenByKey:
    return _ChosenByKey(queryset=MemberState.objects.all(), required=False, label=label, empty_label="Any state")


def _choice_field(choices, label: str, empty_label: str) -> ChoiceField:
    return ChoiceField(choices=choices, required=False, label=label, empty_label=empty_label)


class ActivationFilterForm(forms.Form):
    """The activations list's form of ``ActivationFilter``."""

    cycle = _cycle_field()
    status = _choice_field(ActivationStatus.choices, "Status", "Any status")
    kind = _choice_field(PledgeKind.choices, "Kind of pledge", "Any kind")
    contributing_state = _state_field("Contributing state")
    benefitting_state = _state_field("Benefitting state")
    # The API's other parameters are not offered on the page.
    pledge = ordering = None

    field_order = ["cycle", "status", "kind", "contributing_state", "benefitting_state"]


class DeductionFilterForm(forms.Form):
    """The deduction requests list's form of ``DeductionRequestFilter``."""

    cycle = _cycle_field()
    status = _choice_field(DeductionStatus.choices, "Status", "Any status")
    article = _choice_field(DeductionArticle.choices, "Article", "Either")
    member_state = _state_field("Member State")
    # The API's other parameters are not offered on the page.
    scope = ordering = None

    field_order = ["cycle", "status", "article", "member_state"]


class OffsetFilterForm(forms.Form):
    """The offsets list's form of ``OffsetFilter``, with the page's own box for the overdue ones."""

    cycle = _cycle_field()
    status = _choice_field(OffsetStatus.choices, "Status", "Any status")
    benefitting_state = _state_field("Benefitting state")
    contributing_state = _state_field("Requested state")
    overdue = forms.NullBooleanField(
        required=False, widget=forms.CheckboxInput, label="Only unanswered after the 30-day deadline"
    )
    # The API's sorting is not offered on the page.
    ordering = None

    field_order = ["cycle", "status", "benefitting_state", "contributing_state", "overdue"]


class ActivatablePledgeFilterForm(forms.Form):
    """The form of ``pledges.pledging.filters.PledgeFilter`` on the list of pledges left to activate."""

    cycle = _cycle_field()
    kind = _choice_field(PledgeKind.choices, "Kind of pledge", "Any kind")
    member_state = _state_field("Contributing state")
    # PledgeFilter's other parameters are not offered on this page.
    status = earmark = illustrative = ordering = None

    field_order = ["cycle", "kind", "member_state"]
