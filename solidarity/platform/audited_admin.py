"""The admin's audited base classes, shared by the admin of every app (``solidarity``, ``compliance``, ``pledges``).

Every change made in the admin leaves the same audit trail as one made through a page or the API: the reason
is required, the history row carries the user, and an object with a ``version`` is refused if someone saved
it since the form was opened (no lost update). Workflow states are read-only: stages move by transitions
only, never by editing a field (the admin has no transition buttons on purpose).

A domain model's admin is a ``ServiceAdmin``: each of its writes is a call to the service that holds the
model's rules, so the admin can do nothing a page or the API would refuse. A model no service writes has a
``ReadOnlyAdmin``. ``AuditedAdmin`` itself writes the model directly: it is for the accounts (users), which
the administrators keep.
"""

from django import forms
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from rules.permissions import perm_exists
from simple_history.admin import SimpleHistoryAdmin

from solidarity.platform.errors import DomainError
from solidarity.platform.history import stamp
from solidarity.platform.workflow import REASON_MAX_LENGTH, save_audited

AUDIT_FIELDS = ("change_reason", "seen_version")


class AuditedFormMixin(forms.Form):
    """The reason every change needs, and the version the form was opened on (optimistic locking)."""

    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=REASON_MAX_LENGTH,
        help_text="Required. Kept in the audit trail with your name and the time.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and hasattr(self.instance, "version"):
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or not hasattr(instance, "version") or instance._state.adding:
            return cleaned
        # The admin validates inside its own transaction: this lock holds until the save commits.
        stored = (
            type(instance)
            ._default_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        seen = cleaned.get("seen_version")
        if stored is not None and seen != stored:
            last = instance.history.select_related("history_user").first()
            who = last.history_user.get_username() if last and last.history_user else "someone"
            raise ValidationError(
                "Someone else saved this %(name)s while you were editing it (%(who)s; version %(stored)s, you "
                "opened version %(seen)s). Open it again to see the values now stored, then redo your change.",
                code="stale_version",
                params={"name": instance._meta.verbose_name, "who": who, "stored": stored, "seen": seen or "unknown"},
            )
        return cleaned


class AuditedModelForm(AuditedFormMixin, forms.ModelForm):
    pass


def audit_fieldset():
    return ("Audit", {"fields": AUDIT_FIELDS})


def model_fields(model, *, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The fields of ``model`` a person types in: not its id, workflow status or version, nor ``without``."""
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in ("status", "version", *without)
    )


class AuditedAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """Base admin of every audited model: rules permissions, reasons, versions, no revert from history."""

    form = AuditedModelForm
    readonly_fields: tuple[str, ...] = ()
    history_list_display = ["history_transition", "history_ip_address"]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        # The FSM status is protected (transitions only) and the version counts saves: neither is typed in.
        for name in ("status", "version"):
            if name not in fields and any(f.name == name for f in self.model._meta.fields):
                fields.append(name)
        return fields

    def has_view_permission(self, request, obj=None):
        # The rules' view permission, or where none is written their change permission (as rules' own admin
        # mixin does), asked of the rules directly: an admin that refuses to write narrows no one's reading.
        opts = self.opts
        view = f"{opts.app_label}.{get_permission_codename('view', opts)}"
        change = f"{opts.app_label}.{get_permission_codename('change', opts)}"
        return request.user.has_perm(view if perm_exists(view) else change, obj)

    def writable(self, request, obj=None) -> bool:
        """Whether this page can write: a page that only shows asks for no reason."""
        return self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self.writable(request, obj):
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.writable(request, obj):
            return fieldsets
        shown = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in AUDIT_FIELDS]
            if fields:
                shown.append((name, {**options, "fields": fields}))
        return shown

    def save_model(self, request, obj, form, change):
        save_audited(obj, actor=request.user, reason=form.cleaned_data["change_reason"], bump_version=change)

    def delete_model(self, request, obj):
        stamp(obj, actor=request.user, reason="Deleted in the admin")
        obj.delete()

    def delete_queryset(self, request, queryset):
        # One by one, so that each deletion leaves its history row with the user and reason.
        for obj in queryset:
            self.delete_model(request, obj)

    def revert_disabled(self, request, obj=None):
        # Reverting would write an old status past the workflow's guards: history is read-only here.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History is read-only: make a new change instead of reverting.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(AuditedAdmin):
    """A model that no service writes, or whose writes are workflow steps taken on the pages and the API: the
    admin shows it and its history, and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceModelForm(AuditedModelForm):
    """A domain model's admin form: once the form and the model accept the values, its admin's service writes
    them, still within validation, so that a rule the service refuses becomes a message on the form and nothing
    is written (the service runs in a savepoint)."""

    service_admin: "ServiceAdmin | None" = None  # bound per request by ServiceAdmin.get_form
    admin_request = None

    def _post_clean(self):
        super()._post_clean()
        if self._errors or self.service_admin is None:
            return
        try:
            with transaction.atomic():
                self.instance = self.service_admin.write(self.admin_request, self)
        except DomainError as error:
            self._add_service_error(error.field, error.message)
        except ValidationError as error:  # the model's own checks, run by the service
            if not hasattr(error, "error_dict"):
                self.add_error(None, error)
                return
            for name, errors in error.error_dict.items():
                for message in errors:
                    self._add_service_error(name, message)

    def _add_service_error(self, name: str | None, message) -> None:
        name = "change_reason" if name == "reason" else name
        self.add_error(name if name in self.fields else None, message)


class ServiceAdmin(AuditedAdmin):
    """The admin of a domain model whose writes go through its services.

    ``create_fields`` are what the create service takes, ``update_fields`` what the update service changes;
    every other field is shown read-only. A subclass implements ``create`` and ``update`` by calling the
    services with ``actor=request.user`` and the form's reason; one whose model has no update service leaves
    ``update_fields`` empty and its objects cannot be changed here. Nothing is deleted here unless a subclass
    sets ``deletes`` and calls the model's delete service in ``delete``.
    """

    form = ServiceModelForm
    create_fields: tuple[str, ...] = ()
    update_fields: tuple[str, ...] = ()
    deletes = False  # True where a delete service exists: ``delete`` then calls it

    def create(self, request, values: dict, reason: str):
        raise NotImplementedError

    def update(self, request, obj, changes: dict, version, reason: str):
        raise NotImplementedError

    def delete(self, request, obj, reason: str) -> None:
        raise NotImplementedError

    def write(self, request, form):
        """Create or update the form's object through the services; returns the object as saved."""
        reason = form.cleaned_data["change_reason"]
        if form.instance._state.adding:
            values = {name: form.cleaned_data[name] for name in form.fields if name not in AUDIT_FIELDS}
            return self.create(request, values=values, reason=reason)
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name not in AUDIT_FIELDS}
        return self.update(
            request, form.instance, changes=changes, version=form.cleaned_data.get("seen_version"), reason=reason
        )

    def has_change_permission(self, request, obj=None):
        return bool(self.update_fields) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.deletes and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        self.delete(request, obj, reason="Deleted in the admin")

    def get_readonly_fields(self, request, obj=None):
        writable = self.create_fields if obj is None else self.update_fields
        shown = [*super().get_readonly_fields(request, obj)]
        shown += [f.name for f in self.model._meta.fields if not f.primary_key and f.name not in writable]
        return list(dict.fromkeys(shown))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(form, ServiceModelForm):
            return form
        return type(form.__name__, (form,), {"service_admin": self, "admin_request": request})

    def save_model(self, request, obj, form, change):
        """Nothing left to save: the service wrote the object when the form was validated."""

    def save_related(self, request, form, formsets, change):
        """The services write a domain object whole; the admin has no inlines or many-to-many fields to add."""
