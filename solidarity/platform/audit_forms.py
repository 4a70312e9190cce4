"""The audit log's filter form: the one parser of its filters, for the page, its exports, the API and
``export_audit``. What it returns, ``AuditFilters``, is what ``solidarity.platform.audit`` reads the log by.
"""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from solidarity.platform.audit import AuditFilters, audit_sources, source_for
from solidarity.platform.wording import with_article

# The longest moment written out: 2026-07-01T14:30:00.000000+02:00 is 32 characters.
MOMENT_MAX_LENGTH = 32


class MomentField(forms.CharField):
    """A date (``2026-07-01``) or a date and time (``2026-07-01T14:30``), in the registry's time zone.

    ``end_of_day``: a bare date means "up to the end of that day" (the upper bound of a range, exclusive).
    """

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        if len(text) > MOMENT_MAX_LENGTH:
            raise ValidationError(f"Give at most {MOMENT_MAX_LENGTH} characters.", code="max_length")
        try:
            # A bare date first: Python reads "2026-07-01" as a datetime too, which would lose end_of_day.
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise ValidationError(
                "Give a date as YYYY-MM-DD, or a date and time as YYYY-MM-DDTHH:MM.", code="invalid_date"
            )
        try:
            if moment is None:
                moment = datetime.datetime.combine(day, datetime.time.min)
                if self.end_of_day:
                    moment += datetime.timedelta(days=1)
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            # In UTC: PostgreSQL takes no offset beyond ±15:59, which an ISO moment may carry (+23:37).
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            # 9999-12-31 as the end of a range, or a moment its offset moves out of the calendar.
            raise ValidationError(_("Give a moment between the years 1 and 9999."), code="invalid_date") from None


class StateCodeField(forms.ModelChoiceField):
    """A Member State by its code; a code that names none is an unknown reference (``unknown_member_state``, as
    elsewhere in the API), not a bad choice among values the schema could list."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            raise ValidationError(_("No Member State has that code."), code="unknown_member_state") from None


def _model_choices():
    return [("", "Any type")] + [(s.label, s.verbose_name.capitalize()) for s in audit_sources().values()]


class PlainSelect(forms.Select):
    """A select whose options are written in Python rather than through a template each: the audit log's
    filter form has some sixty of them, and rendering them one template at a time was half the page's CPU."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for _, group, _ in widget["optgroups"]
                for option in group
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options)


class AuditFilterForm(forms.Form):
    """The one parser of the audit log's filters: the page, its exports, the API and ``export_audit``."""

    model = forms.ChoiceField(label="Object type", required=False, choices=_model_choices, widget=PlainSelect)
    object_id = forms.CharField(label="Object id", required=False, max_length=64)
    user = forms.CharField(label="User (username)", required=False, max_length=150)
    member_state = StateCodeField(
        label="Member State",
        required=False,
        queryset=None,  # the states users act for: set per form, the platform names no domain model
        to_field_name="code",
        empty_label="Any state",
        widget=PlainSelect,
        help_text="Only objects that belong to a state (pledges, positions, findings, ...).",
    )
    date_after = MomentField(
        label="From", required=False, help_text="A date, included.", widget=forms.TextInput(attrs={"type": "date"})
    )
    date_before = MomentField(
        label="To",
        required=False,
        end_of_day=True,
        help_text="A date, included.",
        widget=forms.TextInput(attrs={"type": "date"}),
    )
    transition = forms.CharField(
        label="Transition",
        required=False,
        max_length=40,
        help_text="E.g. submit, confirm, adopt.",
        widget=forms.TextInput(attrs={"list": "audit-transitions"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        states = get_user_model()._meta.get_field("member_state").related_model
        self.fields["member_state"].queryset = states.objects.all()

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).only("pk", "username").first()
        if user is None:
            raise ValidationError(f"No user is named {username!r}.", code="unknown_user")
        return user

    def clean(self):
        data = super().clean()
        after, before = data.get("date_after"), data.get("date_before")
        if after and before and after >= before:
            self.add_error("date_before", ValidationError("The end of the range is before its start.", code="range"))
        source = source_for(data.get("model") or "")
        object_id = (data.get("object_id") or "").strip()
        if source and object_id:
            try:
                source.parse_pk(object_id)
            except ValidationError:
                self.add_error(
                    "object_id",
                    ValidationError(f"{object_id!r} is not an id of {with_article(source.verbose_name)}.", "invalid"),
                )
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            model=data.get("model") or "",
            object_id=(data.get("object_id") or "").strip(),
            user_id=data["user"].pk if data.get("user") else None,
            member_state=data["member_state"].code if data.get("member_state") else "",
            date_after=data.get("date_after"),
            date_before=data.get("date_before"),
            transition=(data.get("transition") or "").strip(),
        )
