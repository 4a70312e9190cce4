"""/api/v1/positions/: delegations' positions, their versions, the matrix of a cycle and a meeting's bulk entry.

Positions are recorded by negotiators (``pledges.add_position``) and revised by their recording delegation.
Every read starts from ``positions_visible_to``: a restricted position is seen only by the delegation that
recorded it, the coordinator and auditors, and anyone else gets 404 for it, never a hint that it exists.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pledges.negotiation.filters import PositionFilter
from pledges.negotiation.models import Position
from pledges.negotiation.selectors import position_matrix, position_versions_visible_to, positions_visible_to
from pledges.negotiation.serializers import (
    MAX_BULK_ROWS,
    BulkPositionsResultSerializer,
    BulkPositionsSerializer,
    MatrixQuerySerializer,
    MatrixSerializer,
    PositionHistorySerializer,
    PositionSerializer,
    bulk_errors,
    bulk_row_errors,
    matrix_payload,
    matrix_table,
)
from pledges.negotiation.services import (
    BulkRowErrors,
    position_create,
    position_update,
    positions_record_for_meeting,
)
from solidarity.domain.api import YEAR_SCHEMA
from solidarity.domain.models import SolidarityCycle
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
    request_reason,
)
from solidarity.platform.body_fields import check_body_fields
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.locations import created as created_response
from solidarity.platform.renderers import is_csv
from solidarity.platform.workflow import require_reason

CYCLE_QUERY = OpenApiParameter(
    "cycle", YEAR_SCHEMA, OpenApiParameter.QUERY, required=True, description="The cycle's year, e.g. 2026."
)
BULK_EXAMPLE = OpenApiExample(
    "Two delegations at one meeting",
    value={
        "meeting": 1,
        "reason": "Minutes of the High-Level Forum",
        "positions": [
            {"topic": 2, "member_state": "BE", "stance": "support", "conditions": "Dublin compliance first"},
            {"topic": 2, "member_state": "NL", "stance": "reserve", "visibility": "restricted"},
        ],
    },
    request_only=True,
)
INVALID_ROW_EXAMPLE = OpenApiExample(
    "One invalid row",
    value={
        "type": "validation_error",
        "errors": [
            {"code": "invalid_choice", "detail": '"keen" is not a valid choice.', "attr": "positions[1].stance"}
        ],
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List positions",
        description=(
            "Delegations' stances on the topics. You see every `shared` position and the `restricted` ones "
            "your own delegation recorded; the coordinator and auditors see all. Filter by cycle, topic, "
            "state, meeting, stance (or a range of it with `stance_min` / `stance_max`), date range, "
            "visibility and who recorded it."
        ),
        responses={200: PositionSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One position",
        description="404 for a restricted position of another delegation, as for one that does not exist.",
        responses={200: PositionSerializer, **error_responses(401, 403, 404)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Record a position (negotiators)",
        description=(
            "A negotiator records the position of any delegation; `restricted` keeps it within the "
            "negotiator's own delegation. `cycle` defaults to the topic's, `date` to the meeting's. "
            "Give a `reason`."
        ),
        responses={201: PositionSerializer, **error_responses(400, 401, 403)},
        parameters=[ETAG],
        examples=[
            OpenApiExample(
                "Belgium at the High-Level Forum",
                value={
                    "topic": 2,
                    "member_state": "BE",
                    "meeting": 1,
                    "stance": "reserve",
                    "conditions": "Compliance with the Dublin rules first",
                    "statement": "Financial contributions rather than relocations.",
                    "source": "Press statement of the Belgian delegation",
                    "visibility": "shared",
                    "reason": "Minutes of the High-Level Forum",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(
        summary="Revise a position (its recording delegation)",
        description=(
            "Negotiators of the delegation that recorded it revise it; each revision keeps a history row. "
            "`cycle` cannot change. Needs If-Match (or `version`): a stale one gets 412, a missing one 428."
        ),
        responses={200: PositionSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Reserve lifted",
                {
                    "topic": 2,
                    "member_state": "BE",
                    "meeting": 1,
                    "stance": "support",
                    "proposed_value": "30000.00",
                    "conditions": "",
                    "statement": "Belgium supports the proposed pool.",
                    "source": "Minutes of the High-Level Forum",
                    "visibility": "shared",
                    "version": 1,
                    "reason": "Minutes corrected",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Revise some of a position (its recording delegation)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
        responses={200: PositionSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example("Share it", {"visibility": "shared", "version": 1, "reason": "Cleared for circulation"})
        ],
    ),
    matrix=extend_schema(
        summary="The negotiation matrix of a cycle",
        description=(
            "One row per state (protocol order) and one cell per topic: the latest position you may see, "
            "with its proposed value, date and how the stance moved since the position before it. Not "
            "paginated. As CSV (`?format=csv`): a row per state and a stance column per topic, with a column of "
            "proposed values for a topic that has a unit."
        ),
        parameters=[CYCLE_QUERY],
        responses={200: MatrixSerializer, **error_responses(400, 401, 403, 404)},
    ),
    bulk=extend_schema(
        summary="Record a meeting's positions in one request (negotiators)",
        description=(
            "All or nothing: when one row is invalid nothing is written and the 400 names each bad row's "
            f"field as `positions[<index>].<field>` (index from 0). At most {MAX_BULK_ROWS} rows."
        ),
        request=BulkPositionsSerializer,
        responses={
            201: BulkPositionsResultSerializer,
            **error_responses(400, 401, 403, meanings={400: "A row is invalid; nothing was written."}),
        },
        examples=[BULK_EXAMPLE, INVALID_ROW_EXAMPLE],
    ),
    history=extend_schema(
        summary="The versions of a position",
        description=(
            "Newest first, each with who wrote it and why. Versions written while the position was restricted "
            "are shown only to its recording delegation, the coordinator and auditors."
        ),
        responses={200: PositionHistorySerializer(many=True), **error_responses(401, 403, 404)},
    ),
)
class PositionViewSet(
    RefusesNullCharacters, ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = PositionSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "pledges.add_position",
        "bulk": "pledges.add_position",
        "update": "pledges.change_position",
        "partial_update": "pledges.change_position",
        "retrieve": "pledges.view_position",
        "history": "pledges.view_position",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = PositionFilter
    lookup_value_regex = "[0-9]+"
    immutable_fields = ("cycle",)
    csv_actions = ("matrix",)  # a table rather than a list: exported as one, see `matrix_table`

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Position.objects.none()
        return positions_visible_to(self.request.user)

    def perform_service_create(self, fields, *, actor, reason):
        cycle = fields.pop("cycle", None) or fields["topic"].cycle
        return position_create(cycle=cycle, actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return position_update(
            position=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )

    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def matrix(self, request, *args, **kwargs):
        query = MatrixQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = get_object_or_404(SolidarityCycle, year=query.validated_data["cycle"])
        matrix = position_matrix(cycle, viewer=request.user)
        payload = matrix_payload(matrix)
        if is_csv(request):
            return Response(matrix_table(payload))
        return Response(payload)

    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request, *args, **kwargs):
        reason = require_reason(request_reason(request), omitted="")  # the service records "created"
        body = BulkPositionsSerializer(data=request.data)
        check_body_fields(body, request.data)
        if not body.is_valid():
            raise exceptions.ValidationError(bulk_errors(body.errors))
        meeting = body.validated_data["meeting"]
        try:
            created = positions_record_for_meeting(
                meeting=meeting, rows=body.validated_data["positions"], actor=request.user, reason=reason
            )
        except BulkRowErrors as error:
            raise bulk_row_errors(error) from None
        payload = {"meeting": meeting.pk, "positions": PositionSerializer(created, many=True).data}
        # Several objects, no one detail URL: the list that reads them is the meeting's positions.
        return created_response(payload, location=f"{self.reverse_action('list')}?meeting={meeting.pk}")

    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, *args, **kwargs):
        records = position_versions_visible_to(request.user, self.get_object())
        page = self.paginate_queryset(records)
        if page is None:  # a CSV export: every version at once
            return Response(PositionHistorySerializer(records, many=True).data)
        return self.get_paginated_response(PositionHistorySerializer(page, many=True).data)
