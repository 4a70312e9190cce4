"""The Django admin of the accounts, the Member States, the cycles and their reference data.

Users are edited here directly, with a reason and their history (the administrators keep the accounts). Every
change to a cycle, its reference data or a scenario goes through the domain's services, with the same checks
as the pages and the API; Member States and official shares, which no service writes, are shown read-only.
The base classes are in ``solidarity.platform.audited_admin``.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from solidarity.accounts.models import ApiToken, User
from solidarity.domain import services
from solidarity.domain.models import (
    Designation,
    IndicativeAdjustment,
    MemberState,
    OfficialShare,
    ReferenceFigure,
    Scenario,
    SolidarityCycle,
)
from solidarity.domain.scenarios import SCENARIO_FIELDS, scenario_create, scenario_delete, scenario_update
from solidarity.platform.audited_admin import (
    AuditedAdmin,
    AuditedFormMixin,
    ReadOnlyAdmin,
    ServiceAdmin,
    audit_fieldset,
    model_fields,
)


@admin.register(MemberState)
class MemberStateAdmin(ReadOnlyAdmin):
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
class SolidarityCycleAdmin(ServiceAdmin):
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
                    "regulation_applies_from",
                    "regulation_applies_from_source",
                    "implementation_deadline",
                )
            },
        ),
        ("Notes", {"fields": ("notes",)}),
        audit_fieldset(),
    )
    create_fields = model_fields(SolidarityCycle)
    update_fields = model_fields(SolidarityCycle)

    def create(self, request, values, reason):
        return services.cycle_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return services.cycle_update(
            cycle=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )


@admin.register(ReferenceFigure)
class ReferenceFigureAdmin(ServiceAdmin):
    list_display = ("cycle", "member_state", "population", "gdp_eur_million", "gdp_reference_year", "verified")
    list_filter = ("cycle", "verified")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")
    create_fields = model_fields(ReferenceFigure)
    # A figure is the one of its cycle and state: a correction changes the figures, never whose they are.
    update_fields = model_fields(ReferenceFigure, without=("cycle", "member_state"))

    def create(self, request, values, reason):
        figure = ReferenceFigure(**values)
        return self._replace(request, figure, fields=None, reason=reason)

    def update(self, request, obj, changes, version, reason):
        # ``obj`` carries the form's values; ``fields`` keeps the service to the ones that changed.
        return self._replace(request, obj, fields=tuple(changes), reason=reason)

    def _replace(self, request, figure, *, fields, reason):
        row = services.FigureRow(
            member_state=figure.member_state_id,
            **{name: getattr(figure, name) for name in self.update_fields},
        )
        services.reference_figures_replace(
            cycle=figure.cycle, rows=[row], actor=request.user, reason=reason, fields=fields
        )
        return ReferenceFigure.objects.get(cycle=figure.cycle, member_state_id=figure.member_state_id)


@admin.register(Designation)
class DesignationAdmin(ServiceAdmin):
    list_display = ("cycle", "member_state", "kind", "ground", "source")
    list_filter = ("cycle", "kind", "ground")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")
    create_fields = model_fields(Designation)
    # A designation is of a cycle, a state and a kind (AMMR Art. 11): a correction changes its ground and source.
    update_fields = ("ground", "source")

    def create(self, request, values, reason):
        return services.designation_set(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return services.designation_set(
            cycle=obj.cycle,
            member_state=obj.member_state,
            kind=obj.kind,
            ground=obj.ground,
            source=obj.source,
            actor=request.user,
            reason=reason,
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds which API token, until when; an admin revokes one by deleting it. Keys are never shown: only
    their digest is kept, and a new token is made by its user on the API tokens page."""

    list_display = ("name", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    fields = ("name", "user", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OfficialShare)
class OfficialShareAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "member_state", "share_percent", "relocations", "financial_eur", "verified")
    list_filter = ("cycle", "verified")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name")


@admin.register(IndicativeAdjustment)
class IndicativeAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "member_state", "figure", "source", "value", "legal_basis_verified")
    list_filter = ("cycle", "source", "legal_basis_verified")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name", "source_text")


@admin.register(Scenario)
class ScenarioAdmin(ServiceAdmin):
    list_display = ("title", "cycle", "author", "author_state", "shared")
    list_filter = ("cycle", "shared")
    list_select_related = ("cycle", "author", "author_state")
    search_fields = ("title", "author__username")
    create_fields = ("cycle", *SCENARIO_FIELDS)
    update_fields = SCENARIO_FIELDS
    deletes = True

    def create(self, request, values, reason):
        return scenario_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return scenario_update(
            scenario=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )

    def delete(self, request, obj, reason):
        scenario_delete(scenario=obj, expected_version=obj.version, actor=request.user, reason=reason)
