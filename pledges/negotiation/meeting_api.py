"""/api/v1/ endpoints of the negotiation's frame: forum meetings and the topics positions are taken on.

Both are the coordinator's (``pledges.manage_negotiation``, written through ``pledges.negotiation.services``);
every member reads them.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from pledges.negotiation.filters import ForumMeetingFilter, TopicFilter
from pledges.negotiation.models import ForumMeeting, Topic
from pledges.negotiation.serializers import ForumMeetingSerializer, TopicSerializer
from pledges.negotiation.services import forum_meeting_create, forum_meeting_update, topic_create, topic_update
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    WRITE_ERRORS,
    ActionPermission,
    ListFilterBackend,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    error_responses,
    request_example,
)
from solidarity.platform.hostile_input import RefusesNullCharacters


@extend_schema_view(
    list=extend_schema(
        summary="List forum meetings",
        description="Meetings of the High-Level (Art. 13) and Technical-Level (Art. 14) Solidarity Forum.",
        responses={200: ForumMeetingSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One forum meeting",
        responses={200: ForumMeetingSerializer, **error_responses(401, 403, 404)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Record a forum meeting (coordinator)",
        description="Give a `reason`; it is kept in the audit trail. 409 when the meeting is recorded already.",
        responses={201: ForumMeetingSerializer, **error_responses(400, 401, 403, 409)},
        parameters=[ETAG],
        examples=[
            OpenApiExample(
                "High-Level Forum",
                value={
                    "cycle": 2026,
                    "level": "high",
                    "date": "2025-11-18",
                    "title": "High-Level EU Solidarity Forum",
                    "location": "Brussels",
                    "documents": "COM(2025) 795",
                    "reason": "Convened by the Council presidency",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a forum meeting (coordinator)",
        description=(
            "`cycle` cannot change. Needs If-Match (or `version`): a stale one gets 412, a missing one 428. "
            "Positions recorded at the meeting on its old date move to the new one."
        ),
        responses={200: ForumMeetingSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Postponed by a week",
                {
                    "cycle": 2026,
                    "level": "high",
                    "date": "2025-11-25",
                    "title": "High-Level EU Solidarity Forum",
                    "location": "Brussels",
                    "documents": "COM(2025) 795",
                    "version": 1,
                    "reason": "Postponed by the presidency",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Correct a forum meeting (coordinator)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
        responses={200: ForumMeetingSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[IF_MATCH, ETAG],
        examples=[request_example("Move it", {"location": "Luxembourg", "version": 1, "reason": "Council in April"})],
    ),
)
class ForumMeetingViewSet(
    RefusesNullCharacters, ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = ForumMeeting.objects.select_related("cycle")
    serializer_class = ForumMeetingSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "pledges.manage_negotiation",
        "update": "pledges.manage_negotiation",
        "partial_update": "pledges.manage_negotiation",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = ForumMeetingFilter
    lookup_value_regex = "[0-9]+"
    immutable_fields = ("cycle",)

    def perform_service_create(self, fields, *, actor, reason):
        return forum_meeting_create(cycle=fields.pop("cycle"), actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return forum_meeting_update(
            meeting=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )


@extend_schema_view(
    list=extend_schema(
        summary="List negotiation topics",
        description="The questions delegations take positions on, per cycle, in the coordinator's order.",
        responses={200: TopicSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One topic",
        responses={200: TopicSerializer, **error_responses(401, 403, 404)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Add a topic (coordinator)",
        description=(
            "`unit` names what a position's `proposed_value` counts, e.g. `relocations in the pool` or "
            "`EUR million`; leave it empty for a question without a number. 409 when the cycle has a topic of "
            "this title already."
        ),
        responses={201: TopicSerializer, **error_responses(400, 401, 403, 409)},
        parameters=[ETAG],
        examples=[
            OpenApiExample(
                "Pool size",
                value={
                    "cycle": 2026,
                    "title": "Size of the pool",
                    "description": "Relocations in the Annual Solidarity Pool (Art. 12).",
                    "unit": "relocations in the pool",
                    "order": 1,
                    "reason": "Agenda of the High-Level Forum",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a topic (coordinator)",
        description="`cycle` cannot change. Needs If-Match (or `version`) and a `reason`.",
        responses={200: TopicSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Reworded",
                {
                    "cycle": 2026,
                    "title": "Size of the Annual Solidarity Pool",
                    "description": "Relocations in the pool (Art. 12).",
                    "unit": "relocations in the pool",
                    "order": 1,
                    "version": 1,
                    "reason": "Agenda wording of the presidency",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a topic (coordinator)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
        responses={200: TopicSerializer, **error_responses(*WRITE_ERRORS, 409)},
        parameters=[IF_MATCH, ETAG],
        examples=[request_example("Put it first", {"order": 1, "version": 1, "reason": "New agenda order"})],
    ),
)
class TopicViewSet(
    RefusesNullCharacters, ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = Topic.objects.select_related("cycle")
    serializer_class = TopicSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "pledges.manage_negotiation",
        "update": "pledges.manage_negotiation",
        "partial_update": "pledges.manage_negotiation",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = TopicFilter
    lookup_value_regex = "[0-9]+"
    immutable_fields = ("cycle",)

    def perform_service_create(self, fields, *, actor, reason):
        return topic_create(cycle=fields.pop("cycle"), actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return topic_update(
            topic=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )
