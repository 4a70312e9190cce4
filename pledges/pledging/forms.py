"""Forms of the pledge pages: the list's filter form, the pledge form, the edit form and the transition form.

The measure fields are plain text on purpose: ``pledges.pledging.services.clean_pledge_measure`` is the one place that
reads a number of persons or an amount in euros, so the page, the API and the admin refuse the same input
with the same words.
"""

from django import forms
from django_filters.fields import ChoiceField

from pledges.pledging.models import PledgeKind
from pledges.pledging.selectors import pledging_cycles
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.forms import ServiceForm, VersionedServiceForm

QUANTITY_HELP = (
    "For a relocation pledge only: the number of persons, a whole number such as 150. "
    "Leave it empty for a financial contribution or an alternative measure."
)
AMOUNT_HELP = (
    "For a financial contribution or an alternative measure: euros, digits only with at most two decimals "
    "after a point, such as 1250000.00. Leave it empty for a relocation pledge."
)
DESCRIPTION_HELP = "Required for an alternative measure (staff, equipment, operational support...); optional otherwise."
EARMARK_HELP = "A benefitting state the pledge is meant for, if your delegation names one."


def _state_choices():
    return [(state.code, f"{state.name} ({state.code})") for state in MemberState.objects.all()]


class _CycleYearField(forms.ModelChoiceField):
    """A cycle chosen by its year; a year the list does not offer is refused as a choice not offered."""

    def label_from_instance(self, obj):
        return obj.year


class PledgeFilterForm(forms.Form):
    """The list page's form of ``pledges.pledging.filters.PledgeFilter``: its parameters and their meaning,
    four of them offered (the cycle and the state as lists to choose from), with the API's names
    (``cycle`` is a year, ``member_state`` a code in either case)."""

    cycle = _CycleYearField(
        queryset=SolidarityCycle.objects.order_by("-year"),
        to_field_name="year",
        required=False,
        label="Cycle",
        empty_label="All cycles",
        error_messages={"invalid_choice": forms.ChoiceField.default_error_messages["invalid_choice"]},
    )
    member_state = ChoiceField(choices=_state_choices, required=False, label="Member State", empty_label="All states")
    # The API's other parameters are not offered on the page.
    earmark = illustrative = ordering = None

    field_order = ["cycle", "kind", "member_state", "status"]

    def __init__(self, data=None, *args, **kwargs):
        # States are named by their code in either case, as in the API (``be`` finds Belgium).
        if data is not None and data.get("member_state"):
            data = data.copy()
            data["member_state"] = data["member_state"].strip().upper()
        super().__init__(data, *args, **kwargs)
        # The help texts of the filters are written for API clients; the page's lists speak for themselves.
        for field in self.fields.values():
            field.help_text = ""


class _MeasureFields(forms.Form):
    quantity = forms.CharField(
        label="Persons to relocate",
        required=False,
        help_text=QUANTITY_HELP,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    amount_eur = forms.CharField(
        label="Amount in euros",
        required=False,
        help_text=AMOUNT_HELP,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Description", required=False, help_text=DESCRIPTION_HELP, max_length=5000, widget=forms.Textarea
    )
    earmark = forms.ModelChoiceField(
        label="Earmarked for",
        queryset=MemberState.objects.all(),
        required=False,
        empty_label="No earmark",
        help_text=EARMARK_HELP,
        error_messages={"invalid_choice": "Choose a Member State from the list, or no earmark."},
    )

    def _exclude_own_state_from_earmarks(self, member_state_id) -> None:
        if member_state_id:
            self.fields["earmark"].queryset = MemberState.objects.exclude(code=member_state_id)

    def measure_values(self) -> dict:
        """The measure as the services take it: text, read and checked by ``clean_pledge_measure``."""
        data = self.cleaned_data
        return {name: data[name] for name in ("quantity", "amount_eur", "description", "earmark") if name in data}


class PledgeCreateForm(ServiceForm, _MeasureFields):
    """A new pledge of the user's delegation in a cycle whose pledging exercise is open (AMMR Art. 13)."""

    PREVIEW, DRAFT, SUBMIT = "preview", "draft", "submit"
    ACTIONS = (PREVIEW, DRAFT, SUBMIT)

    # The pledging state travels with the form so that the page and its POST agree; the view checks it.
    member_state = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2)
    cycle = forms.ModelChoiceField(
        label="Cycle",
        queryset=pledging_cycles(),
        to_field_name="year",
        empty_label=None,
        help_text="Only a cycle in its pledging exercise takes new pledges.",
        error_messages={
            "required": "Choose the cycle of the pledge.",
            "invalid_choice": "Choose a cycle whose pledging exercise is open.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind of solidarity measure (AMMR Art. 56(2))",
        choices=PledgeKind.choices,
        widget=forms.RadioSelect,
        help_text="A relocation is counted in persons; the other two kinds in euros.",
        error_messages={
            "required": "Choose the kind of pledge.",
            "invalid_choice": "Choose relocation, financial contribution or alternative measure.",
        },
    )

    field_order = ["member_state", "cycle", "kind", "quantity", "amount_eur", "description", "earmark", "reason"]

    def __init__(self, *args, member_state_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].label_from_instance = lambda cycle: f"{cycle.year} ({cycle.get_status_display()})"
        self._exclude_own_state_from_earmarks(member_state_id)
        # A preview saves nothing, so it needs no reason for the audit trail.
        if self.action == self.PREVIEW:
            self.fields["reason"].required = False

    @property
    def action(self) -> str:
        action = self.data.get("action", "") if self.is_bound else ""
        return action if action in self.ACTIONS else self.DRAFT


class PledgeEditForm(VersionedServiceForm, _MeasureFields):
    """A revision of a draft or submitted pledge; only the field that fits its kind is offered."""

    field_order = ["quantity", "amount_eur", "description", "earmark", "reason", "version"]

    def __init__(self, *args, pledge, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("amount_eur" if pledge.kind == PledgeKind.RELOCATION else "quantity")
        self._exclude_own_state_from_earmarks(pledge.member_state_id)

    @staticmethod
    def initial_for(pledge) -> dict:
        return {
            "quantity": pledge.quantity,
            "amount_eur": pledge.amount_eur,
            "description": pledge.description,
            "earmark": pledge.earmark_id,
            "version": pledge.version,
        }


TRANSITION_HELP = {
    "submit": "A submitted pledge counts towards the pool; the Council act makes it binding (AMMR Art. 57).",
    "reopen": "Back to draft: it stops counting towards the pool until it is submitted again.",
    "withdraw": "A withdrawn pledge cannot be restored; record a new one instead.",
}
TRANSITION_LABELS = {"submit": "Submit", "reopen": "Reopen as draft", "withdraw": "Withdraw"}


class PledgeTransitionForm(ServiceForm):
    """Submit, reopen or withdraw; the service decides whether the move is allowed (403/409)."""

    transition = forms.CharField(widget=forms.HiddenInput, max_length=40)
    # The version the page showed: a move made on a stale page is refused rather than applied blindly.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, transition: str = "", **kwargs):
        # Several of these forms share one page: each gets its own ids (id_submit_reason, id_withdraw_reason).
        kwargs.setdefault("auto_id", f"id_{transition if transition in TRANSITION_LABELS else 'transition'}_%s")
        super().__init__(*args, **kwargs)
        self.name = transition
        self.label = TRANSITION_LABELS.get(transition, transition)
        self.help = TRANSITION_HELP.get(transition, "")
