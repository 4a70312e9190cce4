"""/api/v1/ endpoints of negotiation tracking: forum meetings, topics, positions, the matrix and bulk entry.

Meetings and topics are the coordinator's (``pledges.negotiation_services``); positions are recorded by
negotiators (``pledges.services``). Every read of positions starts from ``positions_visible_to``: a
restricted position is seen only by the delegation that recorded it, the coordinator and auditors, and
anyone else gets 404 for it, never a hint that it exists.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from pledges.negotiation.filters import ForumMeetingFilter, PositionFilter, TopicFilter
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic, Visibility
from pledges.negotiation.selectors import position_matrix, positions_visible_to
from pledges.negotiation.services import (
    BulkRowErrors,
    forum_meeting_create,
    forum_meeting_update,
    position_create,
    position_update,
    positions_record_for_meeting,
    topic_create,
    topic_update,
)
from solidarity.accounts.rules import is_auditor, is_coordinator
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    ActionPermission,
    ListFilterBackend,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    WriteControlFields,
    error_responses,
    is_csv,
    request_example,
    request_reason,
)
from solidarity.platform.workflow import require_reason

WRITE_ERRORS = (400, 403, 404, 412, 428)
MAX_BULK_ROWS = 1000  # 31 delegations x some 30 topics: far above one meeting, low enough to bound a request


def _cycle_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="year", queryset=SolidarityCycle.objects.all(), help_text="The cycle's year, e.g. 2026.", **kwargs
    )


# --- Forum meetings and topics ---------------------------------------------------------------------------


class ForumMeetingSerializer(WriteControlFields, serializers.ModelSerializer):
    cycle = _cycle_field()

    class Meta:
        model = ForumMeeting
        fields = ["id", "cycle", "level", "date", "title", "location", "documents", "version", "reason"]
        # The service answers a duplicate meeting (409), under the row lock, rather than a racy pre-check.
        validators = []


class TopicSerializer(WriteControlFields, serializers.ModelSerializer):
    cycle = _cycle_field()

    class Meta:
        model = Topic
        fields = ["id", "cycle", "title", "description", "unit", "order", "version", "reason"]
        validators = []


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
class ForumMeetingViewSet(ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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
class TopicViewSet(ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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


# --- Positions -------------------------------------------------------------------------------------------


class PositionSerializer(WriteControlFields, serializers.ModelSerializer):
    cycle = _cycle_field(required=False)
    topic = serializers.PrimaryKeyRelatedField(queryset=Topic.objects.all(), help_text="The topic's id.")
    member_state = serializers.PrimaryKeyRelatedField(
        queryset=MemberState.objects.all(), help_text="Eurostat code of the delegation whose position this is."
    )
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=ForumMeeting.objects.all(),
        allow_null=True,
        required=False,
        help_text="The forum meeting where it was stated, or null for a position taken outside a meeting.",
    )
    date = serializers.DateField(required=False, help_text="When it was stated; defaults to the meeting's date.")
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of the negotiator who recorded it."
    )
    recorded_by_state = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The recording delegation: a `restricted` position is visible to it (and EU-level readers) only.",
    )

    class Meta:
        model = Position
        fields = [
            "id",
            "cycle",
            "topic",
            "member_state",
            "meeting",
            "date",
            "stance",
            "proposed_value",
            "conditions",
            "statement",
            "source",
            "visibility",
            "version",
            "recorded_by",
            "recorded_by_state",
            "reason",
        ]
        extra_kwargs = {
            "stance": {"help_text": "On the scale red_line < oppose < reserve < neutral < support < strong_support."},
            "proposed_value": {"help_text": "A number in the topic's unit, e.g. the pool size a delegation proposes."},
            "visibility": {"help_text": "`shared` (every delegation) or `restricted` (the recording delegation only)."},
        }


class PositionRowSerializer(serializers.Serializer):
    """One delegation's position in a bulk request; the meeting (and its date) come from the request."""

    topic = serializers.PrimaryKeyRelatedField(queryset=Topic.objects.all(), help_text="The topic's id.")
    member_state = serializers.PrimaryKeyRelatedField(queryset=MemberState.objects.all(), help_text="Eurostat code.")
    stance = serializers.ChoiceField(choices=Stance.choices)
    date = serializers.DateField(required=False, help_text="Defaults to the meeting's date.")
    proposed_value = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    conditions = serializers.CharField(required=False, allow_blank=True)
    statement = serializers.CharField(required=False, allow_blank=True)
    source = serializers.CharField(required=False, allow_blank=True, max_length=300)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class BulkPositionsSerializer(serializers.Serializer):
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=ForumMeeting.objects.select_related("cycle"), help_text="The meeting all the positions were taken at."
    )
    reason = serializers.CharField(help_text="Why; kept in the audit trail of every position.")
    positions = PositionRowSerializer(many=True, allow_empty=False, max_length=MAX_BULK_ROWS)


class BulkPositionsResultSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    positions = PositionSerializer(many=True)


class MatrixTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    unit = serializers.CharField(help_text="Unit of the proposed values, or empty.")
    order = serializers.IntegerField()


class MatrixCellSerializer(serializers.Serializer):
    topic = serializers.IntegerField(help_text="The topic's id (the cell's column).")
    position = serializers.IntegerField(help_text="Id of the latest position visible to you.")
    stance = serializers.ChoiceField(choices=Stance.choices)
    stance_label = serializers.CharField(help_text="The stance in words, e.g. `Red line`.")
    proposed_value = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    date = serializers.DateField()
    meeting = serializers.IntegerField(allow_null=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    previous_stance = serializers.ChoiceField(
        choices=Stance.choices, allow_null=True, help_text="The position before it visible to you, if any."
    )
    previous_date = serializers.DateField(allow_null=True)
    movement = serializers.IntegerField(
        help_text="Steps along the stance scale since the previous position: positive towards support, 0 if none."
    )


@extend_schema_field(MatrixCellSerializer)
class MatrixCellField(serializers.Field):
    """A cell, or null: as a field (not a nested serializer) so that the schema can say its items are nullable."""

    def to_representation(self, value):
        # One cell serializer per field, not per cell: building a serializer copies all its fields, which
        # cost more than the whole matrix query at 700 cells.
        if not hasattr(self, "_cell"):
            self._cell = MatrixCellSerializer()
        return self._cell.to_representation(value)


class MatrixRowSerializer(serializers.Serializer):
    member_state = serializers.CharField(help_text="Eurostat code.")
    name = serializers.CharField()
    cells = serializers.ListField(
        child=MatrixCellField(allow_null=True, read_only=True),
        help_text="One per topic, in the order of `topics`; null where the state has no position you may see.",
    )


class MatrixSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text="The cycle's year.")
    topics = MatrixTopicSerializer(many=True)
    rows = MatrixRowSerializer(many=True, help_text="One per state, in protocol order.")


class MatrixQuerySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text="The cycle's year, e.g. 2026.")


class PositionHistorySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField(help_text="When the version was written.")
    change = serializers.SerializerMethodField(help_text="`created`, `changed` or `deleted`.")
    changed_by = serializers.SerializerMethodField(help_text="Username of who wrote it, or null (the system).")
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    version = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    member_state = serializers.CharField(source="member_state_id")
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)
    date = serializers.DateField()
    stance = serializers.ChoiceField(choices=Stance.choices)
    proposed_value = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    conditions = serializers.CharField()
    statement = serializers.CharField()
    source = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)

    def get_change(self, record) -> str:
        return {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]

    def get_changed_by(self, record) -> str | None:
        return record.history_user.get_username() if record.history_user else None


def matrix_payload(matrix) -> dict:
    rows = []
    for state, cells in matrix.rows():
        rows.append(
            {
                "member_state": state.code,
                "name": state.name,
                "cells": [None if cell is None else _cell_payload(cell) for cell in cells],
            }
        )
    return {
        "cycle": matrix.cycle.year,
        "topics": [{"id": t.pk, "title": t.title, "unit": t.unit, "order": t.order} for t in matrix.topics],
        "rows": rows,
    }


def matrix_table(payload: dict) -> list[dict]:
    """The matrix as a table: a row per state, a stance column per topic (and a value column where it counts)."""
    rows = []
    for row in payload["rows"]:
        line = {"member_state": row["member_state"], "name": row["name"]}
        for topic, cell in zip(payload["topics"], row["cells"], strict=True):
            line[topic["title"]] = cell["stance"] if cell else None
            if topic["unit"]:
                line[f"{topic['title']} ({topic['unit']})"] = cell["proposed_value"] if cell else None
        rows.append(line)
    return rows


STANCE_LABELS = dict(Stance.choices)


def _cell_payload(cell) -> dict:
    """A cell as JSON values, in the shape of ``MatrixCellSerializer`` (which documents it): a matrix holds
    hundreds of cells, and running each through the serializer's fields cost more than the query."""
    latest, previous = cell.latest, cell.previous
    return {
        "topic": latest.topic_id,
        "position": latest.pk,
        "stance": latest.stance,
        "stance_label": STANCE_LABELS[latest.stance],
        "proposed_value": None if latest.proposed_value is None else f"{latest.proposed_value:.2f}",
        "date": latest.date.isoformat(),
        "meeting": latest.meeting_id,
        "visibility": latest.visibility,
        "previous_stance": previous.stance if previous else None,
        "previous_date": previous.date.isoformat() if previous else None,
        "movement": cell.movement,
    }


def _bulk_errors(detail, prefix: str = "") -> dict:
    """Serializer errors of a bulk body, keyed as clients name the field: ``positions[1].stance``."""
    flat = {}
    items = enumerate(detail) if isinstance(detail, list) else detail.items()
    for key, errors in items:
        if isinstance(key, int):
            name = f"{prefix}[{key}]"
        elif key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
            name = prefix
        else:
            name = f"{prefix}.{key}" if prefix else key
        if isinstance(errors, dict) or (isinstance(errors, list) and errors and isinstance(errors[0], dict)):
            flat.update(_bulk_errors(errors, name))
        else:
            flat[name] = errors
    return flat


CYCLE_QUERY = OpenApiParameter(
    "cycle", int, OpenApiParameter.QUERY, required=True, description="The cycle's year, e.g. 2026."
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
class PositionViewSet(ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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
        reason = require_reason(request_reason(request))
        body = BulkPositionsSerializer(data=request.data)
        if not body.is_valid():
            raise exceptions.ValidationError(_bulk_errors(body.errors))
        meeting = body.validated_data["meeting"]
        try:
            created = positions_record_for_meeting(
                meeting=meeting, rows=body.validated_data["positions"], actor=request.user, reason=reason
            )
        except BulkRowErrors as error:
            raise exceptions.ValidationError(
                {
                    f"positions[{index}].{row.field}" if row.field else f"positions[{index}]": [
                        exceptions.ErrorDetail(row.message, code=row.code)
                    ]
                    for index, row in sorted(error.rows.items())
                }
            ) from None
        payload = {"meeting": meeting.pk, "positions": PositionSerializer(created, many=True).data}
        return Response(payload, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, *args, **kwargs):
        position = self.get_object()
        records = position.history.select_related("history_user").order_by("-history_date", "-history_id")
        user = request.user
        if not (is_coordinator(user) or is_auditor(user) or _recorded_by_own_delegation(user, position)):
            # A position shared today may have been restricted before: those versions stay with their delegation.
            records = records.filter(Q(visibility=Visibility.SHARED))
        page = self.paginate_queryset(records)
        if page is None:  # a CSV export: every version at once
            return Response(PositionHistorySerializer(records, many=True).data)
        return self.get_paginated_response(PositionHistorySerializer(page, many=True).data)


def _recorded_by_own_delegation(user, position) -> bool:
    return bool(user.member_state_id) and user.member_state_id == position.recorded_by_state_id


def register(router) -> None:
    """Add this module's viewsets to the /api/v1/ router."""
    router.register("forum-meetings", ForumMeetingViewSet, basename="forum-meeting")
    router.register("topics", TopicViewSet, basename="topic")
    router.register("positions", PositionViewSet, basename="position")
