"""The Django admin of the registry's reference data, for the administrators.

Every change made here leaves the same audit trail as one made through a service: the reason is required,
the history row carries the user, and an object with a ``version`` is refused if someone saved it since the
form was opened (no lost update). Workflow states are read-only: stages move by transitions only, never by
editing a field (the admin has no transition buttons on purpose).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from solidarity.accounts.models import User
from solidarity.domain.models import Designation, MemberState, OfficialShare, ReferenceFigure, SolidarityCycle
from solidarity.platform.history import stamp
from solidarity.platform.workflow import save_audited

AUDIT_FIELDS = ("change_reason", "seen_version")


class AuditedFormMixin(forms.Form):
    """The reason every change needs, and the version the form was opened on (optimistic locking)."""

    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=100,
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


def _audit_fieldset():
    return ("Audit", {"fields": AUDIT_FIELDS})


@admin.register(MemberState)
class MemberStateAdmin(AuditedAdmin):
    list_display = ("code", "name", "protocol_order", "eu_member", "bound_by_solidarity", "dublin_associated")
    list_filter = ("eu_member", "bound_by_solidarity", "dublin_associated")
    search_fields = ("code", "name")
    ordering = ("protocol_order",)


class RegistryUserChangeForm(AuditedFormMixin, UserChangeForm):
    pass


class RegistryUserCreationForm(AuditedFormMixin, AdminUserCreationForm):
    pass


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = RegistryUserChangeForm
    add_form = RegistryUserCreationForm
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Delegation", {"fields": ("member_state",)}),
        ("Audit", {"fields": ("change_reason",)}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Delegation and roles", {"fields": ("member_state", "groups")}),
        ("Audit", {"fields": ("change_reason",)}),
    )
    list_display = ("username", "email", "member_state", "role_list", "is_staff", "is_active")
    list_filter = ("groups", "member_state", "is_staff", "is_superuser", "is_active")
    list_select_related = ("member_state",)
    history_list_display = ["history_ip_address"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_list(self, obj):
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "none"


@admin.register(SolidarityCycle)
class SolidarityCycleAdmin(AuditedAdmin):
    list_display = (
        "year",
        "status",
        "reference_relocations",
        "reference_financial_eur",
        "council_act_reference",
        "applies_from",
    )
    list_filter = ("status",)
    search_fields = ("year", "council_act_reference")
    fieldsets = (
        (None, {"fields": ("year", "status", "version", "legal_basis")}),
        (
            "Reference numbers of the pool (AMMR Arts 12, 57)",
            {
                "fields": (
                    "reference_relocations",
                    "reference_financial_eur",
                    "proposal_relocations",
                    "proposal_financial_eur",
                    "eur_per_relocation",
                    "sar_share_percent",
                )
            },
        ),
        ("Fair-share key (AMMR Art. 66)", {"fields": ("weight_population", "weight_gdp", "relocation_rounding")}),
        (
            "Key dates and legal references",
            {
                "fields": (
                    "report_reference",
                    "report_date",
                    "pressure_decision_reference",
                    "pressure_decision_date",
                    "proposal_date",
                    "forum_dates",
                    "political_agreement_date",
                    "council_act_reference",
                    "council_act_date",
                    "applies_from",
                    "implementation_deadline",
                )
            },
        ),
        ("Notes", {"fields": ("notes",)}),
        _audit_fieldset(),
    )


@admin.register(ReferenceFigure)
class ReferenceFigureAdmin(AuditedAdmin):
    list_display = ("cycle", "member_state", "population", "gdp_eur_million", "gdp_reference_year", "verified")
    list_filter = ("cycle", "verified")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")


@admin.register(Designation)
class DesignationAdmin(AuditedAdmin):
    list_display = ("cycle", "member_state", "kind", "ground", "source")
    list_filter = ("cycle", "kind", "ground")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")


@admin.register(OfficialShare)
class OfficialShareAdmin(AuditedAdmin):
    list_display = ("cycle", "member_state", "share_percent", "relocations", "financial_eur", "verified")
    list_filter = ("cycle", "verified")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")
