"""What every edit form shares: the version it was read at, the reason, and domain errors shown in words."""

from django import forms

from solidarity.platform.errors import DomainError, StaleVersion
from solidarity.platform.workflow import REASON_MAX_LENGTH


class ServiceForm(forms.Form):
    """A form whose save calls a service; the service's errors land on the field they concern.

    Edit forms carry the object's ``version`` (hidden) and a ``reason`` (kept in the audit trail). A stale
    form keeps the values the user typed and says who changed the object; the view shows what is stored now.
    """

    reason = forms.CharField(
        label="Reason for this change",
        help_text="Kept in the audit trail with your name and the time.",
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    stale: StaleVersion | None = None

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, StaleVersion):
            self.stale = error
        field = error.field if error.field in self.fields and error.field != "version" else None
        self.add_error(field, error.message)


class VersionedServiceForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
