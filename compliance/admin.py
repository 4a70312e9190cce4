"""Admin of the compliance records: Dublin performance, secondary movements, action plans, their benchmarks and
measurements, and findings of systemic shortcomings.

Every record is created and corrected through ``compliance_record_create`` and ``compliance_record_update``,
with the checks of the pages and the API (AMMR Art. 60(3) hangs on findings); action plans and findings move
by transitions only. What identifies a record (its state, period, cycle or plan) is fixed at creation.
"""

from django.contrib import admin

from compliance.models import (
    ActionPlan,
    Benchmark,
    DublinPerformance,
    Finding,
    Measurement,
    SecondaryMovementIndicator,
)
from compliance.services import compliance_record_create, compliance_record_update
from solidarity.platform.audited_admin import ServiceAdmin, model_fields

PERIOD_IDENTITY = ("member_state", "period_kind", "period_start")
PLAN_IDENTITY = ("member_state", "cycle")


class ComplianceRecordAdmin(ServiceAdmin):
    """A compliance record's admin: the compliance services write it."""

    def create(self, request, values, reason):
        return compliance_record_create(model=self.model, actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return compliance_record_update(
            instance=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )


@admin.register(DublinPerformance)
class DublinPerformanceAdmin(ComplianceRecordAdmin):
    list_display = ("member_state", "period_kind", "period_start", "transfers_carried_out", "illustrative")
    list_filter = ("period_kind", "illustrative", "member_state")
    list_select_related = ("member_state",)
    search_fields = ("member_state__code", "member_state__name", "source")
    create_fields = model_fields(DublinPerformance)
    update_fields = model_fields(DublinPerformance, without=PERIOD_IDENTITY)


@admin.register(SecondaryMovementIndicator)
class SecondaryMovementIndicatorAdmin(ComplianceRecordAdmin):
    list_display = ("member_state", "period_kind", "period_start", "applications_lodged", "illustrative")
    list_filter = ("period_kind", "illustrative", "member_state")
    list_select_related = ("member_state",)
    search_fields = ("member_state__code", "member_state__name", "source")
    create_fields = model_fields(SecondaryMovementIndicator)
    update_fields = model_fields(SecondaryMovementIndicator, without=PERIOD_IDENTITY)


@admin.register(ActionPlan)
class ActionPlanAdmin(ComplianceRecordAdmin):
    list_display = ("title", "member_state", "cycle", "status", "illustrative")
    list_filter = ("cycle", "status", "illustrative")
    list_select_related = ("member_state", "cycle")
    search_fields = ("title", "member_state__code", "member_state__name")
    create_fields = model_fields(ActionPlan)
    update_fields = model_fields(ActionPlan, without=PLAN_IDENTITY)


@admin.register(Benchmark)
class BenchmarkAdmin(ComplianceRecordAdmin):
    list_display = ("indicator", "action_plan", "target", "due_date", "direction")
    list_filter = ("direction", "action_plan__cycle")
    list_select_related = ("action_plan", "action_plan__member_state", "action_plan__cycle")
    search_fields = ("indicator", "action_plan__title")
    create_fields = model_fields(Benchmark)
    update_fields = model_fields(Benchmark, without=("action_plan",))


@admin.register(Measurement)
class MeasurementAdmin(ComplianceRecordAdmin):
    """Measurements carry no version: they are recorded and read, not edited (as over the API)."""

    list_display = ("benchmark", "date", "value", "source", "recorded_by")
    list_filter = ("date",)
    list_select_related = ("benchmark", "recorded_by")
    search_fields = ("benchmark__indicator", "source")
    create_fields = model_fields(Measurement, without=("recorded_by",))


@admin.register(Finding)
class FindingAdmin(ComplianceRecordAdmin):
    list_display = ("member_state", "cycle", "scope", "status", "confirmed_on", "lifted_on", "illustrative")
    list_filter = ("cycle", "status", "illustrative")
    list_select_related = ("member_state", "cycle")
    search_fields = ("member_state__code", "member_state__name", "description")
    # The dates of confirming and lifting are set by those transitions.
    create_fields = model_fields(Finding, without=("confirmed_on", "lifted_on"))
    update_fields = model_fields(Finding, without=(*PLAN_IDENTITY, "confirmed_on", "lifted_on"))
