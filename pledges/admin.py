"""Admin of pledges, deduction requests, their implementation and the negotiation.

Every change goes through the services of ``pledges.pledging`` and ``pledges.negotiation``, with the checks
of the pages and the API; workflows move by transitions only. Activations, fulfilment and responsibility
offsets are steps of the implementation's workflow, taken by the states concerned on the pages and the API:
they are shown here read-only, with their history.
"""

from django.contrib import admin

from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.negotiation import services as negotiation
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging import services as pledging
from pledges.pledging.models import DeductionRequest, Pledge, PledgeStatus
from solidarity.platform.audited_admin import ReadOnlyAdmin, ServiceAdmin

# --- Pledging -----------------------------------------------------------------------------------------------


@admin.register(Pledge)
class PledgeAdmin(ServiceAdmin):
    list_display = ("id", "cycle", "member_state", "kind", "quantity", "amount_eur", "status", "illustrative")
    list_filter = ("cycle", "kind", "status", "illustrative", "member_state")
    list_select_related = ("cycle", "member_state")
    search_fields = ("member_state__code", "member_state__name", "description")
    create_fields = (
        "cycle",
        "member_state",
        "kind",
        "quantity",
        "amount_eur",
        "description",
        "earmark",
        "illustrative",
    )
    # Who pledged what is fixed at creation; the services keep the running totals and the recorder.
    update_fields = ("quantity", "amount_eur", "description", "earmark")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in (PledgeStatus.RECORDED, PledgeStatus.WITHDRAWN):
            # AMMR Art. 57: once recorded by the Council act only a deduction lowers a pledge, not an edit
            # (``pledge_update`` refuses it; the page does not offer it).
            return [f.name for f in self.model._meta.fields if not f.primary_key]
        return super().get_readonly_fields(request, obj)

    def create(self, request, values, reason):
        return pledging.pledge_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return pledging.pledge_update(
            pledge=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )


@admin.register(DeductionRequest)
class DeductionRequestAdmin(ServiceAdmin):
    """A request is made here through ``deduction_request``; the Commission's and the Council's decisions on it
    are transitions (Art. 62(3)-(4)), so a request is not changed here."""

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
    create_fields = ("cycle", "member_state", "article", "scope", "requested_percent", "grounds", "illustrative")

    def create(self, request, values, reason):
        return pledging.deduction_request(actor=request.user, reason=reason, **values)


# --- Implementation (AMMR Arts 60, 63, 69) ----------------------------------------------------------------


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ("id", "pledge", "benefitting_state", "amount", "fulfilled", "status")
    list_filter = ("status", "pledge__cycle")
    list_select_related = ("pledge", "pledge__cycle", "pledge__member_state", "benefitting_state")
    search_fields = ("pledge__member_state__code", "benefitting_state__code")


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "activation", "date", "amount", "evidence_reference")
    list_filter = ("date",)
    list_select_related = ("activation", "activation__pledge", "activation__pledge__cycle")
    search_fields = ("evidence_reference",)


@admin.register(ResponsibilityOffset)
class ResponsibilityOffsetAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "cycle",
        "benefitting_state",
        "contributing_state",
        "applications_requested",
        "applications_accepted",
        "status",
    )
    list_filter = ("cycle", "status")
    list_select_related = ("cycle", "benefitting_state", "contributing_state")
    search_fields = ("benefitting_state__code", "contributing_state__code")


# --- Negotiation (AMMR Arts 13-14) -----------------------------------------------------------------------


@admin.register(ForumMeeting)
class ForumMeetingAdmin(ServiceAdmin):
    list_display = ("title", "cycle", "level", "date", "location")
    list_filter = ("cycle", "level")
    list_select_related = ("cycle",)
    search_fields = ("title", "location")
    create_fields = ("cycle", *negotiation.MEETING_FIELDS)
    update_fields = negotiation.MEETING_FIELDS

    def create(self, request, values, reason):
        return negotiation.forum_meeting_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return negotiation.forum_meeting_update(
            meeting=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )


@admin.register(Topic)
class TopicAdmin(ServiceAdmin):
    list_display = ("title", "cycle", "unit", "order")
    list_filter = ("cycle",)
    list_select_related = ("cycle",)
    search_fields = ("title",)
    create_fields = ("cycle", *negotiation.TOPIC_FIELDS)
    update_fields = negotiation.TOPIC_FIELDS

    def create(self, request, values, reason):
        return negotiation.topic_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return negotiation.topic_update(
            topic=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )


@admin.register(Position)
class PositionAdmin(ServiceAdmin):
    list_display = ("id", "cycle", "member_state", "topic", "date", "stance", "visibility")
    list_filter = ("cycle", "stance", "visibility", "member_state")
    list_select_related = ("cycle", "member_state", "topic")
    search_fields = ("member_state__code", "topic__title", "statement")
    create_fields = ("cycle", *negotiation.POSITION_FIELDS)
    update_fields = negotiation.POSITION_FIELDS

    def create(self, request, values, reason):
        return negotiation.position_create(actor=request.user, reason=reason, **values)

    def update(self, request, obj, changes, version, reason):
        return negotiation.position_update(
            position=obj, changes=changes, expected_version=version, actor=request.user, reason=reason
        )
