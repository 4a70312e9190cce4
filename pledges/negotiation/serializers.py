"""Serializers of the negotiation API: forum meetings, topics, positions, bulk entry, a position's versions and
the matrix, and the JSON (and CSV table) the matrix is answered with.

The matrix's cells are built as plain dicts in the shape ``MatrixCellSerializer`` documents: a matrix holds
hundreds of cells, and serializing each through fields cost more than the query.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings

from pledges.negotiation.display import STANCE_LABELS
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic, Visibility
from pledges.negotiation.services import BulkRowErrors
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.api import REASON_HELP, ReasonField, WriteControlFields
from solidarity.platform.serializers import RegistryModelSerializer, RegistrySerializer

MAX_BULK_ROWS = 1000  # 31 delegations x some 30 topics: far above one meeting, low enough to bound a request


def _cycle_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="year", queryset=SolidarityCycle.objects.all(), help_text="The cycle's year, e.g. 2026.", **kwargs
    )


VISIBILITY_HELP = (
    "`shared` (every delegation) or `restricted` (the recording delegation only). A state's shared position is "
    "recorded by its own negotiators or by the coordinator (AMMR Arts 13-14): what a delegation records about "
    "another state is stored `restricted`, whatever is sent, and is never that state's cell in the matrix."
)


# --- Forum meetings and topics ---------------------------------------------------------------------------


class ForumMeetingSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = _cycle_field()

    class Meta:
        model = ForumMeeting
        fields = ["id", "cycle", "level", "date", "title", "location", "documents", "version", "reason"]
        # The service answers a duplicate meeting (409), under the row lock, rather than a racy pre-check.
        validators = []


class TopicSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = _cycle_field()

    class Meta:
        model = Topic
        fields = ["id", "cycle", "title", "description", "unit", "order", "version", "reason"]
        validators = []


# --- Positions -------------------------------------------------------------------------------------------


class PositionSerializer(WriteControlFields, RegistryModelSerializer):
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
            "visibility": {"help_text": VISIBILITY_HELP},
        }


class PositionRowSerializer(RegistrySerializer):
    """One delegation's position in a bulk request; the meeting (and its date) come from the request."""

    topic = serializers.PrimaryKeyRelatedField(queryset=Topic.objects.all(), help_text="The topic's id.")
    member_state = serializers.PrimaryKeyRelatedField(queryset=MemberState.objects.all(), help_text="Eurostat code.")
    stance = serializers.ChoiceField(choices=Stance.choices)
    date = serializers.DateField(required=False, help_text="Defaults to the meeting's date.")
    proposed_value = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    conditions = serializers.CharField(required=False, allow_blank=True)
    statement = serializers.CharField(required=False, allow_blank=True)
    source = serializers.CharField(required=False, allow_blank=True, max_length=300)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, help_text=VISIBILITY_HELP)


class BulkPositionsSerializer(RegistrySerializer):
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=ForumMeeting.objects.select_related("cycle"), help_text="The meeting all the positions were taken at."
    )
    reason = ReasonField(help_text=REASON_HELP + " Kept in the history of every position.")
    positions = PositionRowSerializer(many=True, allow_empty=False, max_length=MAX_BULK_ROWS)


class BulkPositionsResultSerializer(RegistrySerializer):
    meeting = serializers.IntegerField()
    positions = PositionSerializer(many=True)


class MatrixTopicSerializer(RegistrySerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    unit = serializers.CharField(help_text="Unit of the proposed values, or empty.")
    order = serializers.IntegerField()


class MatrixCellSerializer(RegistrySerializer):
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


class MatrixRowSerializer(RegistrySerializer):
    member_state = serializers.CharField(help_text="Eurostat code.")
    name = serializers.CharField()
    cells = serializers.ListField(
        child=MatrixCellField(allow_null=True, read_only=True),
        help_text="One per topic, in the order of `topics`; null where the state has no position you may see.",
    )


class MatrixSerializer(RegistrySerializer):
    cycle = serializers.IntegerField(help_text="The cycle's year.")
    topics = MatrixTopicSerializer(many=True)
    rows = MatrixRowSerializer(many=True, help_text="One per state, in protocol order.")


class MatrixQuerySerializer(RegistrySerializer):
    cycle = serializers.IntegerField(help_text="The cycle's year, e.g. 2026.")


class PositionHistorySerializer(RegistrySerializer):
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
    """The matrix as `MatrixSerializer` documents it: the topics, and a row of cells (or None) per state."""
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


def bulk_errors(detail, prefix: str = "") -> dict:
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
            flat.update(bulk_errors(errors, name))
        else:
            flat[name] = errors
    return flat


def bulk_row_errors(error: BulkRowErrors) -> exceptions.ValidationError:
    """The service's errors of a bulk request's rows, keyed as clients name the field: ``positions[1].stance``."""
    return exceptions.ValidationError(
        {
            f"positions[{index}].{row.field}" if row.field else f"positions[{index}]": [
                exceptions.ErrorDetail(row.message, code=row.code)
            ]
            for index, row in sorted(error.rows.items())
        }
    )
