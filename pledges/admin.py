"""Admin of pledges and deduction requests: corrections with a reason; workflows move by transitions only."""

from django.contrib import admin

from pledges.pledging.models import DeductionRequest, DeductionStatus, Pledge, PledgeStatus
from solidarity.admin import AuditedAdmin


@admin.register(Pledge)
class PledgeAdmin(AuditedAdmin):
    list_display = ("id", "cycle", "member_state", "kind", "quantity", "amount_eur", "status", "illustrative")
    list_filter = ("cycle", "kind", "status", "illustrative", "member_state")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name", "description")
    # Who pledged what is fixed at creation; services keep the running totals and the recorder.
    readonly_fields = ("cycle", "member_state", "kind", "recorded_by", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return [name for name in fields if name not in ("cycle", "member_state", "kind")]
        for name in ("activated",):
            if any(f.name == name for f in self.model._meta.fields) and name not in fields:
                fields.append(name)
        if obj.status in (PledgeStatus.RECORDED, PledgeStatus.WITHDRAWN):
            # AMMR Art. 57: once recorded by the Council act only a deduction lowers a pledge, not an edit.
            return [f.name for f in self.model._meta.fields if f.editable or f.name in fields]
        return fields


@admin.register(DeductionRequest)
class DeductionRequestAdmin(AuditedAdmin):
    list_display = (
        "id",
        "cycle",
        "member_state",
        "article",
        "scope",
        "requested_percent",
        "granted_percent",
        "status",
    )
    list_filter = ("cycle", "article", "scope", "status")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name", "council_act_reference")
    readonly_fields = ("granted_percent", "created_at")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        decided = (DeductionStatus.GRANTED_FULL, DeductionStatus.GRANTED_PARTIAL, DeductionStatus.REFUSED)
        if obj is not None and obj.status in decided:
            # The Council decided by implementing act (Art. 62(4)); the record is no longer edited here.
            return [f.name for f in self.model._meta.fields if f.editable or f.name in fields]
        return fields
