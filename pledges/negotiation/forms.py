"""Forms of the negotiation pages: quick entry of a meeting's positions, the position edit form, page filters.

Choices (states, topics, meetings) are handed in as lists loaded once (by the view, or by ``MeetingEntry``):
a ModelChoiceField would query its table again for every row of a formset.
"""

import datetime

from django import forms
from django.forms import BaseFormSet, formset_factory

from pledges.negotiation.models import ForumLevel, Stance, Topic, Visibility
from solidarity.domain.models import MemberState
from solidarity.platform.forms import ServiceForm, VersionedServiceForm

NO_POSITION = ""

PROPOSED_VALUE_HELP = "In the topic's unit; leave empty when the delegation named no figure."


def _proposed_value_field(**extra) -> forms.DecimalField:
    # The model's precision: 14 digits before the decimal point, two after.
    return forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=2,
        label="Proposed value",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **extra,
    )


def _topic_label(topic) -> str:
    return f"{topic.title} ({topic.unit})" if topic.unit else topic.title


# Quick entry of many delegations' positions at one meeting ------------------------------------------------


class PositionRowForm(forms.Form):
    """One delegation's row: an empty stance means the delegation took no position, and nothing is recorded."""

    member_state = forms.ChoiceField(widget=forms.HiddenInput)
    topic = forms.ChoiceField(label="Topic")
    stance = forms.ChoiceField(label="Stance", required=False)
    proposed_value = _proposed_value_field()
    conditions = forms.CharField(label="Conditions", required=False, max_length=2000)
    statement = forms.CharField(label="Statement", required=False, max_length=4000)
    source = forms.CharField(label="Source", required=False, max_length=300)
    visibility = forms.ChoiceField(label="Visibility", choices=Visibility.choices, initial=Visibility.SHARED)

    def __init__(self, *args, states, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_state"].choices = [(state.code, state.name) for state in states]
        self.fields["topic"].choices = [(str(topic.pk), _topic_label(topic)) for topic in topics]
        self.fields["stance"].choices = [(NO_POSITION, "No position"), *Stance.choices]
        self.fields["visibility"].choices = [
            (Visibility.SHARED, "Shared"),
            (Visibility.RESTRICTED, "Restricted to my delegation"),
        ]

    def clean(self):
        cleaned = super().clean()
        described = any(cleaned.get(name) not in (None, "") for name in ("proposed_value", "conditions", "statement"))
        if cleaned.get("stance") == NO_POSITION and described:
            self.add_error(
                "stance",
                "Choose the stance this row describes, or clear the row: a row without a stance records nothing.",
            )
        return cleaned

    @property
    def records_a_position(self) -> bool:
        return bool(self.cleaned_data.get("stance"))

    def service_row(self, *, states_by_code: dict, topics_by_id: dict) -> dict:
        data = self.cleaned_data
        return {
            "member_state": states_by_code[data["member_state"]],
            "topic": topics_by_id[int(data["topic"])],
            "stance": data["stance"],
            "proposed_value": data["proposed_value"],
            "conditions": data["conditions"],
            "statement": data["statement"],
            "source": data["source"],
            "visibility": data["visibility"],
        }


class BasePositionRowFormSet(BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        codes = [form.cleaned_data.get("member_state") for form in self.forms]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError("Each delegation has one row: reload the page and enter the batch again.")
        if not any(form.records_a_position for form in self.forms):
            raise forms.ValidationError(
                "Every row says no position: choose a stance for at least one delegation.", code="empty_batch"
            )


PositionRowFormSet = formset_factory(
    PositionRowForm, formset=BasePositionRowFormSet, extra=0, max_num=100, validate_max=True, absolute_max=100
)


def position_row_formset(*, states, topics, default_topic=None, data=None) -> BasePositionRowFormSet:
    """One fixed row per state, in protocol order, each set to ``default_topic`` and "no position"."""
    initial = [
        {
            "member_state": state.code,
            "topic": str(default_topic.pk) if default_topic else "",
            "stance": NO_POSITION,
            "visibility": Visibility.SHARED,
        }
        for state in states
    ]
    return PositionRowFormSet(
        data=data,
        initial=initial if data is None else None,
        prefix="rows",
        form_kwargs={"states": states, "topics": topics},
    )


class MeetingBatchForm(ServiceForm):
    """The reason of a batch: one reason for every position it records, kept in each one's history."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason for this batch"
        self.fields[
            "reason"
        ].help_text = (
            "For example the minutes or the read-out of the meeting; kept in the audit trail of every position."
        )


class MeetingEntry:
    """Quick entry at one meeting: the batch's reason and a fixed row per delegation, in protocol order.

    Unbound (``data`` None) its rows start on the topic the page asked for (``topic_choice``, a topic id) or
    the cycle's first topic. ``for_cycle`` gives None when the cycle has no topic to take a position on.
    """

    def __init__(self, *, states: list, topics: list, data=None, topic_choice: str = ""):
        self.states, self.topics = states, topics
        self.states_by_code = {state.code: state for state in states}
        self.topics_by_id = {topic.pk: topic for topic in topics}
        self.bound = data is not None
        if self.bound:
            self.batch = MeetingBatchForm(data)
            self.formset = position_row_formset(states=states, topics=topics, data=data)
        else:
            default_topic = self.topics_by_id.get(int(topic_choice)) if topic_choice.isdigit() else None
            self.batch = MeetingBatchForm()
            self.formset = position_row_formset(states=states, topics=topics, default_topic=default_topic or topics[0])

    @classmethod
    def for_cycle(cls, cycle, *, data=None, topic_choice: str = "") -> "MeetingEntry | None":
        topics = list(Topic.objects.filter(cycle=cycle))
        states = list(MemberState.objects.all())
        return cls(states=states, topics=topics, data=data, topic_choice=topic_choice) if topics else None

    def is_valid(self) -> bool:
        return self.batch.is_valid() & self.formset.is_valid()  # both, so every error shows at once

    @property
    def reason(self) -> str:
        return self.batch.cleaned_data["reason"]

    @property
    def recording(self) -> list[PositionRowForm]:
        """The rows that record a position (a stance was chosen), in the page's order."""
        return [form for form in self.formset.forms if form.records_a_position]

    def service_rows(self) -> list[dict]:
        """The recording rows as ``positions_record_for_meeting`` takes them."""
        return [
            form.service_row(states_by_code=self.states_by_code, topics_by_id=self.topics_by_id)
            for form in self.recording
        ]

    def add_row_errors(self, row_errors: dict) -> None:
        """Put each error the service names (by the index of its row among the recording rows) on its row."""
        recording = self.recording
        for index, row_error in row_errors.items():
            form = recording[index]
            field = row_error.field if row_error.field in form.fields and row_error.field != "member_state" else None
            form.add_error(field, row_error.message)

    def rows(self) -> list[dict]:
        """Each row's form with the delegation it is for (None for a code no state has)."""
        return [
            {"index": index, "form": form, "state": self.states_by_code.get(form["member_state"].value())}
            for index, form in enumerate(self.formset.forms)
        ]

    def first_outside_eu(self) -> int | None:
        """The index of the first Dublin-associated state's row: the page heads that part of the table."""
        return next((row["index"] for row in self.rows() if row["state"] and not row["state"].eu_member), None)

    def _row_label(self, form) -> str:
        state = self.states_by_code.get(form["member_state"].value())
        return state.name if state else "Unknown delegation"

    def error_summary(self) -> list[dict]:
        """Every error of the batch as a link to the field (or row) it concerns, in the order of the page."""
        if not self.bound:
            return []
        batch, formset = self.batch, self.formset
        items = [{"target": batch["reason"].id_for_label, "text": f"Reason: {e}"} for e in batch["reason"].errors]
        items += [{"target": "entry-rows", "text": str(e)} for e in batch.non_field_errors()]
        items += [{"target": "entry-rows", "text": str(e)} for e in formset.non_form_errors()]
        for index, form in enumerate(formset.forms):
            if form.errors:
                items += self._row_errors(index, form)
        return items

    def _row_errors(self, index: int, form) -> list[dict]:
        who = f"Row {index + 1}, {self._row_label(form)}"
        items = [{"target": f"row-{index}", "text": f"{who}: {e}"} for e in form.non_field_errors()]
        for name, field in form.fields.items():
            if name == "member_state":
                continue
            bound = form[name]
            items += [
                {"target": bound.id_for_label, "text": f"{who}, {field.label.lower()}: {e}"} for e in bound.errors
            ]
        if form.errors.get("member_state"):
            items.append({"target": f"row-{index}", "text": f"{who}: this row does not name a known delegation."})
        return items


# Editing one position --------------------------------------------------------------------------------------


class PositionEditForm(VersionedServiceForm):
    topic = forms.ChoiceField(label="Topic")
    member_state = forms.ChoiceField(label="Delegation")
    meeting = forms.ChoiceField(label="Meeting", required=False)
    date = forms.DateField(
        label="Date",
        required=False,
        help_text="Format YYYY-MM-DD. Leave empty to use the meeting's date.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stance = forms.ChoiceField(label="Stance", choices=Stance.choices)
    proposed_value = _proposed_value_field(help_text=PROPOSED_VALUE_HELP)
    conditions = forms.CharField(label="Conditions", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    statement = forms.CharField(label="Statement", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    source = forms.CharField(
        label="Source", required=False, max_length=300, help_text="Where the position is known from."
    )
    visibility = forms.ChoiceField(
        label="Visibility",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text="A restricted position is seen only by your delegation, the coordinator and auditors.",
    )

    field_order = [
        "topic",
        "member_state",
        "meeting",
        "date",
        "stance",
        "proposed_value",
        "conditions",
        "statement",
        "source",
        "visibility",
        "reason",
        "version",
    ]

    def __init__(self, *args, states, topics, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self._states = {state.code: state for state in states}
        self._topics = {str(topic.pk): topic for topic in topics}
        self._meetings = {str(meeting.pk): meeting for meeting in meetings}
        self.fields["topic"].choices = [(key, _topic_label(topic)) for key, topic in self._topics.items()]
        self.fields["member_state"].choices = [(code, f"{s.name} ({code})") for code, s in self._states.items()]
        self.fields["meeting"].choices = [
            ("", "No meeting (a position known on a date)"),
            *((key, f"{m.title}, {m.date:%d %b %Y}") for key, m in self._meetings.items()),
        ]

    @classmethod
    def initial_for(cls, position) -> dict:
        return {
            "topic": str(position.topic_id),
            "member_state": position.member_state_id,
            "meeting": str(position.meeting_id or ""),
            "date": position.date,
            "stance": position.stance,
            "proposed_value": position.proposed_value,
            "conditions": position.conditions,
            "statement": position.statement,
            "source": position.source,
            "visibility": position.visibility,
            "version": position.version,
        }

    def clean(self):
        cleaned = super().clean()
        meeting = self._meetings.get(cleaned.get("meeting") or "")
        if cleaned.get("date") is None and "date" not in self.errors:
            if meeting is None:
                self.add_error("date", "Give the date of the position, or choose its meeting.")
            else:
                cleaned["date"] = meeting.date
        return cleaned

    def changes(self) -> dict:
        """The form's values as the service takes them: model instances for the related fields."""
        data = self.cleaned_data
        return {
            "topic": self._topics[data["topic"]],
            "member_state": self._states[data["member_state"]],
            "meeting": self._meetings.get(data["meeting"] or ""),
            "date": data["date"],
            "stance": data["stance"],
            "proposed_value": data["proposed_value"],
            "conditions": data["conditions"],
            "statement": data["statement"],
            "source": data["source"],
            "visibility": data["visibility"],
        }


# Filters of the read-only pages ----------------------------------------------------------------------------


class TimelineFilterForm(forms.Form):
    """Narrow a timeline to one forum level or a period; the change shown is still against the position before."""

    level = forms.ChoiceField(
        label="Forum", required=False, choices=[("", "Every forum and date"), *ForumLevel.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period comes before its start.")
        return cleaned

    def keeps(self, position) -> bool:
        if not self.is_valid():
            return True
        data = self.cleaned_data
        level = data.get("level")
        if level and (position.meeting is None or position.meeting.level != level):
            return False
        start: datetime.date | None = data.get("date_from")
        end: datetime.date | None = data.get("date_to")
        return not (start and position.date < start) and not (end and position.date > end)


class ComparisonFilterForm(forms.Form):
    QUANTIFIED, ALL = "quantified", "all"

    topics = forms.ChoiceField(
        label="Topics",
        required=False,
        choices=[
            (QUANTIFIED, "Topics with a value in relocations or euros"),
            (ALL, "All topics"),
        ],
    )

    @property
    def all_topics(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("topics") == self.ALL
