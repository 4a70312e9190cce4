"""What every edit form shares: the version it was read at, the reason, and domain errors shown in words."""

import re
from decimal import Decimal

from django import forms

from solidarity.domain.models import RelocationRounding, SolidarityCycle
from solidarity.domain.scenarios import FROM_CYCLE, SCENARIO_FIELDS
from solidarity.platform.forms import ServiceForm, VersionedServiceForm

CYCLE_TRANSITION_LABELS = {
    "propose": "Record the Commission's proposal (proposed)",
    "open_pledging": "Open the pledging exercise (pledging)",
    "adopt": "Record the Council implementing act (adopted)",
    "start_application": "Start the implementation year (in application)",
    "close": "Close the cycle (closed)",
}


class CycleTransitionForm(ServiceForm):
    """The coordinator moves a cycle to its next stage; adoption also records the Council act."""

    transition = forms.ChoiceField(label="Next stage", widget=forms.RadioSelect)
    council_act_reference = forms.CharField(
        label="Council implementing act: reference",
        help_text="Needed to adopt, for example Council Implementing Decision (EU) 2026/123.",
        max_length=200,
        required=False,
    )
    council_act_date = forms.DateField(
        label="Council implementing act: date",
        help_text="Needed to adopt. Format: 2026-12-08.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["transition", "council_act_reference", "council_act_date", "reason"]

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        # By source, not availability: adoption's condition (the act) is what this very form supplies.
        available = [t.name for t in cycle.get_all_status_transitions() if t.source in (cycle.status, "*")]
        self.fields["transition"].choices = [
            (name, label) for name, label in CYCLE_TRANSITION_LABELS.items() if name in available
        ]
        if "adopt" not in available:
            del self.fields["council_act_reference"], self.fields["council_act_date"]
        else:
            self.initial.setdefault("council_act_reference", cycle.council_act_reference)
            self.initial.setdefault("council_act_date", cycle.council_act_date)


class ScenarioForm(ServiceForm):
    """A what-if variant of a cycle's key; what it leaves as the cycle's is the official input."""

    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    shared = forms.BooleanField(
        label="Share with every delegation",
        required=False,
        help_text="Unticked, only your delegation (and the coordinator and auditors) can read it.",
    )
    reference_relocations = forms.IntegerField(label="Reference number of relocations", min_value=0)
    reference_financial_eur = forms.DecimalField(
        label="Reference financial contributions (EUR)", min_value=0, max_digits=15, decimal_places=2
    )
    eur_per_relocation = forms.DecimalField(
        label="Value of one relocation (EUR)", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    weight_population = forms.DecimalField(
        label="Weight of population", min_value=0, max_value=1, max_digits=5, decimal_places=4, help_text="0.5 is half."
    )
    weight_gdp = forms.DecimalField(
        label="Weight of GDP",
        min_value=0,
        max_value=1,
        max_digits=5,
        decimal_places=4,
        help_text="The two weights add up to 1.",
    )
    relocation_rounding = forms.ChoiceField(label="Rounding of relocations", choices=RelocationRounding.choices)
    states_in_key = forms.MultipleChoiceField(
        label="States in the key",
        widget=forms.CheckboxSelectMultiple,
        help_text="The states that share the pool. The cycle's key is every state bound by solidarity.",
    )
    deductions = forms.CharField(
        label="Deductions (percent of the state's pledges, by state; the fair share is unchanged)",
        required=False,
        help_text="One per line or separated by commas, as code and percent: AT 100, BE 20.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = [*SCENARIO_FIELDS[:-2], "states_in_key", "deductions", "reason"]

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["states_in_key"].choices = [(state.code, f"{state.name} ({state.code})") for state in states]

    def clean_deductions(self) -> dict[str, str]:
        deductions = {}
        for item in re.split(r"[,;\n]+", self.cleaned_data["deductions"]):
            if not item.strip():
                continue
            match = re.fullmatch(r"\s*([A-Za-z]{2})\s*[:=]?\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*%?\s*", item)
            if not match:
                raise forms.ValidationError(f"“{item.strip()}” is not a state code and a percent, like AT 100.")
            deductions[match.group(1).upper()] = match.group(2).replace(",", ".")
        return deductions

    def service_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.fields if name not in ("reason", "deductions")}
        values["deductions_percent"] = self.cleaned_data["deductions"]
        values.pop("version", None)
        return values

    @staticmethod
    def initial_from(source) -> dict:
        """The form's values from a scenario or a cycle (a new scenario starts as the official key)."""
        initial = {name: getattr(source, name) for name in FROM_CYCLE}
        for name in ("title", "description", "shared", "version"):
            if hasattr(source, name) and not isinstance(source, SolidarityCycle):
                initial[name] = getattr(source, name)
        initial["states_in_key"] = list(getattr(source, "states_in_key", None) or [])
        deductions = getattr(source, "deductions_percent", None) or {}
        initial["deductions"] = ", ".join(f"{code} {percent}" for code, percent in deductions.items())
        return initial


class ScenarioEditForm(ScenarioForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ScenarioDeleteForm(VersionedServiceForm):
    pass
