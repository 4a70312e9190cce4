"""Forms of the compliance pages: records entered by compliance officers, transitions, and page filters.

Record forms are model forms (every field error of the model is shown at once, in words) that never save
themselves: the view passes their cleaned values to a service in ``compliance.services``, which validates
again, writes the history row and applies the version check of an edit.

Page filter forms carry the page's own choices and parameter names; what they choose is handed, under the
API's parameter names, to the one FilterSet of each resource in ``compliance.filters``, which does the filtering.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxValueValidator, MinValueValidator

from compliance.models import (
    ActionPlan,
    Benchmark,
    Direction,
    DublinPerformance,
    Finding,
    Measurement,
    PeriodKind,
    SecondaryMovementIndicator,
)
from compliance.selectors import BenchmarkStatus
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.forms import ServiceForm, VersionedServiceForm


class DateInput(forms.DateInput):
    """The browser's own date picker; its value is always ISO 8601."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def record_values(form: forms.ModelForm) -> dict:
    """The model fields of a valid record form, as keyword arguments for a service."""
    return {name: form.cleaned_data[name] for name in form._meta.fields}


def _display(record, name: str):
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if field.choices:
        value = getattr(record, f"get_{name}_display")()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return None if value == "" else value


def field_rows(record, form_class) -> list[tuple[str, object]]:
    """(label, value) for each field a form edits, as the record stores it now."""
    return [(form_class.base_fields[name].label, _display(record, name)) for name in form_class._meta.fields]


def _at_least(form: forms.Form, minimum, names, maximum=None) -> None:
    for name in names:
        if name in form.fields:
            field = form.fields[name]
            field.validators.append(MinValueValidator(minimum))
            field.widget.attrs["min"] = minimum
            if maximum is not None:
                field.validators.append(MaxValueValidator(maximum))
                field.widget.attrs["max"] = maximum


class PeriodChecks:
    """Says in words what the database's CHECK constraints would refuse by name (a field with an error is
    left out of the model's own constraint check, so the user sees this message only)."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", "The period must end on or after its first day.")
        return cleaned


# Dublin performance -------------------------------------------------------------------------------------

DUBLIN_FIELDS = [
    "member_state",
    "period_kind",
    "period_start",
    "period_end",
    "take_charge_sent",
    "take_charge_received",
    "take_charge_accepted",
    "take_charge_refused",
    "take_back_sent",
    "take_back_received",
    "take_back_accepted",
    "take_back_refused",
    "transfers_carried_out",
    "average_reply_days",
    "average_transfer_days",
    "source",
    "illustrative",
]

DUBLIN_LABELS = {
    "member_state": "Member State",
    "period_kind": "Period",
    "period_start": "First day of the period",
    "period_end": "Last day of the period",
    "take_charge_sent": "Take-charge requests sent",
    "take_charge_received": "Take-charge requests received",
    "take_charge_accepted": "Take-charge requests accepted",
    "take_charge_refused": "Take-charge requests refused",
    "take_back_sent": "Take-back notifications sent",
    "take_back_received": "Take-back notifications received",
    "take_back_accepted": "Take-back notifications accepted",
    "take_back_refused": "Take-back notifications refused",
    "transfers_carried_out": "Transfers carried out",
    "average_reply_days": "Average reply delay (days)",
    "average_transfer_days": "Average transfer delay (days)",
    "source": "Source",
    "illustrative": "Illustrative figures (not official)",
}

DUBLIN_HELP = {
    "take_charge_received": "Requests received by this state as the one asked to take charge.",
    "transfers_carried_out": "The transfer rate is transfers carried out per accepted request.",
    "average_reply_days": "Leave empty if not known.",
    "average_transfer_days": "Leave empty if not known.",
    "source": "For example the Eurostat table or the national report the figures come from.",
}


class DublinChecks(PeriodChecks):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _at_least(self, 0, ["average_reply_days", "average_transfer_days"])


class DublinPerformanceForm(DublinChecks, ServiceForm, forms.ModelForm):
    class Meta:
        model = DublinPerformance
        fields = DUBLIN_FIELDS
        labels = DUBLIN_LABELS
        help_texts = DUBLIN_HELP
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": "This state already has a record for this period: edit that one."}
        }
        widgets = {"period_start": DateInput, "period_end": DateInput}


class DublinPerformanceEditForm(DublinChecks, VersionedServiceForm, forms.ModelForm):
    # The state is what the record is about: a record of the wrong state is a new record, not an edit.
    class Meta(DublinPerformanceForm.Meta):
        fields = DUBLIN_FIELDS[1:]


# Secondary movements ------------------------------------------------------------------------------------

SECONDARY_FIELDS = [
    "member_state",
    "period_kind",
    "period_start",
    "period_end",
    "applications_lodged",
    "secondary_movement_share_percent",
    "reception_occupancy_percent",
    "source",
    "illustrative",
]


class SecondaryMovementChecks(PeriodChecks):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _at_least(self, 0, ["secondary_movement_share_percent"], maximum=100)
        _at_least(self, 0, ["reception_occupancy_percent"])


class SecondaryMovementForm(SecondaryMovementChecks, ServiceForm, forms.ModelForm):
    class Meta:
        model = SecondaryMovementIndicator
        fields = SECONDARY_FIELDS
        labels = {
            "member_state": "Member State",
            "period_kind": "Period",
            "period_start": "First day of the period",
            "period_end": "Last day of the period",
            "applications_lodged": "Applications for international protection lodged",
            "secondary_movement_share_percent": "Share of applications from secondary movements (%)",
            "reception_occupancy_percent": "Reception occupancy (%)",
            "source": "Source",
            "illustrative": "Illustrative figures (not official)",
        }
        help_texts = {
            "secondary_movement_share_percent": "Between 0 and 100. Name where the claim comes from in the source.",
            "reception_occupancy_percent": "Places occupied per place available; may exceed 100.",
            "source": "Required: who states these figures, and where.",
        }
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": "This state already has indicators for this period: edit those."}
        }
        widgets = {"period_start": DateInput, "period_end": DateInput}


class SecondaryMovementEditForm(SecondaryMovementChecks, VersionedServiceForm, forms.ModelForm):
    class Meta(SecondaryMovementForm.Meta):
        fields = SECONDARY_FIELDS[1:]


# Action plans, benchmarks, measurements -----------------------------------------------------------------


class ActionPlanForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = ActionPlan
        fields = ["member_state", "cycle", "title", "summary", "illustrative"]
        labels = {"member_state": "Member State", "illustrative": "Illustrative plan (not an agreed document)"}
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": "This state already has an action plan for this cycle."}
        }


BENCHMARK_FIELDS = [
    "indicator",
    "linked_indicator",
    "unit",
    "baseline",
    "baseline_date",
    "target",
    "due_date",
    "direction",
]


class BenchmarkChecks:
    def clean(self):
        cleaned = super().clean()
        baseline_date, due_date = cleaned.get("baseline_date"), cleaned.get("due_date")
        if baseline_date and due_date and due_date <= baseline_date:
            self.add_error("due_date", "The due date must come after the date of the baseline.")
        baseline, target, direction = cleaned.get("baseline"), cleaned.get("target"), cleaned.get("direction")
        if baseline is not None and target is not None and direction:
            if direction == Direction.HIGHER_IS_BETTER and target <= baseline:
                self.add_error("target", "When higher is better, the target must be above the baseline.")
            elif direction == Direction.LOWER_IS_BETTER and target >= baseline:
                self.add_error("target", "When lower is better, the target must be below the baseline.")
        return cleaned


class BenchmarkForm(BenchmarkChecks, ServiceForm, forms.ModelForm):
    class Meta:
        model = Benchmark
        fields = BENCHMARK_FIELDS
        labels = {
            "indicator": "What is measured",
            "linked_indicator": "Dublin-performance indicator",
            "baseline_date": "Date of the baseline",
            "due_date": "Due date",
        }
        help_texts = {
            "linked_indicator": "Choose one to measure the benchmark from the state's Dublin performance.",
            "unit": "For example % or days.",
            "direction": "The target must improve on the baseline in this direction.",
        }
        widgets = {"baseline_date": DateInput, "due_date": DateInput}


class BenchmarkEditForm(BenchmarkChecks, VersionedServiceForm, forms.ModelForm):
    class Meta(BenchmarkForm.Meta):
        pass


class MeasurementForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["date", "value", "source"]
        labels = {"date": "Measured on", "value": "Value measured"}
        widgets = {"date": DateInput}


# Findings -----------------------------------------------------------------------------------------------

FINDING_FIELDS = [
    "member_state",
    "cycle",
    "scope",
    "description",
    "evidence_references",
    "legal_reference",
    "commission_report_reference",
    "commission_report_date",
    "illustrative",
]


class FindingForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = Finding
        fields = FINDING_FIELDS
        labels = {
            "member_state": "Benefitting Member State",
            "scope": "Scope of the shortcomings",
            "evidence_references": "Evidence (references, one a line)",
            "illustrative": "Illustrative finding (not a Commission finding)",
        }
        help_texts = {
            "legal_reference": "The provision the finding rests on.",
        }
        widgets = {"commission_report_date": DateInput}


class FindingEditForm(VersionedServiceForm, forms.ModelForm):
    # A finding stays on the state and cycle it was opened for; another state needs its own finding.
    class Meta(FindingForm.Meta):
        fields = FINDING_FIELDS[2:]


# Transitions --------------------------------------------------------------------------------------------

ACTION_PLAN_TRANSITIONS = {
    "agree": "Agree the plan (draft to agreed)",
    "start": "Start implementing it (agreed to in progress)",
    "complete": "Mark it completed (in progress to completed)",
}

FINDING_TRANSITIONS = {
    "assess": "Put under assessment (draft to under assessment)",
    "confirm": "Confirm the systemic shortcomings (Art. 60(3)): contributing states may then decline activations",
    "lift": "Lift the finding: Art. 60(3) declines are no longer possible",
    "dismiss": "Dismiss the finding",
}


class TransitionForm(ServiceForm):
    """One step of a workflow, with its reason. ``labels`` maps every transition name to what it does."""

    transition = forms.ChoiceField(label="What to do", widget=forms.RadioSelect)

    def __init__(self, *args, labels: dict[str, str], available: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # A posted form accepts every name: a step no longer possible is refused by the service (409) in words.
        names = list(labels) if available is None else available
        self.fields["transition"].choices = [(name, labels[name]) for name in names]
        self.order_fields(["transition", "reason"])

    @classmethod
    def offered(cls, record, *, user, labels: dict[str, str], posted: "TransitionForm | None" = None):
        """The form offering the steps ``user`` may take on ``record`` now, as django-fsm answers them (the
        transition's source and its permission); a refused ``posted`` form keeps its errors and reason."""
        names = [t.name for t in record.get_available_user_status_transitions(user) if t.name in labels]
        if posted is None:
            return cls(labels=labels, available=names)
        posted.fields["transition"].choices = [(name, labels[name]) for name in names]
        return posted


# Page filters -------------------------------------------------------------------------------------------

ALL = "all"


def _cycle_choices() -> list[tuple[str, str]]:
    return [(ALL, "All cycles")] + [
        (str(year), str(year)) for year in SolidarityCycle.objects.values_list("year", flat=True)
    ]


def _year(value: str | None) -> int | None:
    return int(value) if value and value != ALL else None


class OverviewFilterForm(forms.Form):
    cycle = forms.ChoiceField(label="Cycle", required=False, help_text="Action plans and findings of this cycle.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = _cycle_choices()

    @classmethod
    def from_query(cls, query):
        """Bound to the query, or to the current cycle when the query names none."""
        if "cycle" in query:
            return cls(query)
        current = SolidarityCycle.objects.current()
        return cls({**query.dict(), "cycle": str(current.year) if current else ALL})

    def cycle_year(self) -> int | None:
        return _year(self.cleaned_data.get("cycle") if self.is_valid() else None)

    def filterset_data(self) -> dict:
        """The chosen cycle as the ``cycle`` parameter of the benchmark and finding FilterSets."""
        year = self.cycle_year()
        return {} if year is None else {"cycle": year}


class PeriodFilterForm(forms.Form):
    """The periods a state's page shows, of its Dublin performance and secondary movements alike."""

    period_kind = forms.ChoiceField(
        label="Periods", required=False, choices=[("", "Months and quarters"), *PeriodKind.choices]
    )
    since = forms.DateField(label="From", required=False, widget=DateInput)
    until = forms.DateField(label="Until", required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["since"] > cleaned["until"]:
            self.add_error("until", "The end of the range must come after its start.")
        return cleaned

    def filterset_data(self, default_kind: str) -> dict:
        """The chosen periods as the parameters of the period FilterSets (``period_kind``, ``period_from``,
        ``period_to``: overlap with the range); an unbound or invalid form shows ``default_kind`` over all time."""
        if not (self.is_bound and self.is_valid()):
            return {"period_kind": default_kind}
        data = self.cleaned_data
        chosen = {"period_kind": data["period_kind"], "period_from": data["since"], "period_to": data["until"]}
        return {name: value for name, value in chosen.items() if value is not None}  # "" kind: months and quarters


class EarlyWarningFilterForm(forms.Form):
    STATUSES = [
        ("", "At risk or missed"),
        (BenchmarkStatus.AT_RISK, BenchmarkStatus.LABELS[BenchmarkStatus.AT_RISK]),
        (BenchmarkStatus.MISSED, BenchmarkStatus.LABELS[BenchmarkStatus.MISSED]),
    ]

    cycle = forms.ChoiceField(label="Cycle", required=False)
    member_state = forms.ModelChoiceField(
        label="Member State", required=False, queryset=MemberState.objects.all(), empty_label="All states"
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUSES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = _cycle_choices()

    def _chosen(self) -> dict:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    def filterset_data(self) -> dict:
        """The chosen cycle and state as the ``cycle`` and ``member_state`` parameters of the benchmark FilterSet."""
        chosen = self._chosen()
        data = {"cycle": _year(chosen.get("cycle")), "member_state": getattr(chosen.get("member_state"), "code", None)}
        return {name: value for name, value in data.items() if value is not None}

    def wanted_statuses(self) -> set[str]:
        """The statuses listed: the one chosen, or both at risk and missed."""
        status = self._chosen().get("status")
        return {status} if status else {BenchmarkStatus.AT_RISK, BenchmarkStatus.MISSED}
