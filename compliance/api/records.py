"""``dublin-performance/`` and ``secondary-movements/``: per state and period, as compliance officers record them."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from compliance import filters
from compliance.api.common import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ComplianceRecordViewSet,
    decimal_out,
)
from compliance.models import DublinPerformance, SecondaryMovementIndicator
from solidarity.domain.models import MemberState
from solidarity.platform.api import ETAG, IF_MATCH, WriteControlFields, error_responses, request_example
from solidarity.platform.serializers import RegistryModelSerializer

PERIOD_FIELDS = ["member_state", "period_kind", "period_start", "period_end"]
# A record is the figures of one state in one period: what it is about cannot change, only its figures.
IDENTITY = ("member_state", "period_kind", "period_start")


class _PeriodRecordSerializer(WriteControlFields, RegistryModelSerializer):
    member_state = serializers.PrimaryKeyRelatedField(queryset=MemberState.objects.all(), help_text="Eurostat code.")

    class Meta:
        # One record per state and period: a duplicate is refused by the service as a 409 conflict, not
        # by a serializer validator as a 400, so the API and the forms give the same answer.
        validators = []


class DublinPerformanceSerializer(_PeriodRecordSerializer):
    requests_received = serializers.IntegerField(read_only=True, help_text="Take-charge plus take-back received.")
    requests_accepted = serializers.IntegerField(read_only=True, help_text="Take-charge plus take-back accepted.")
    acceptance_rate = decimal_out(7, 2, "Accepted requests in percent of those received; null without requests.")
    transfer_rate = decimal_out(
        7, 2, "Transfers carried out in percent of accepted requests; null without accepted requests."
    )

    class Meta(_PeriodRecordSerializer.Meta):
        model = DublinPerformance
        fields = [
            "id",
            *PERIOD_FIELDS,
            "take_charge_sent",
            "take_charge_received",
            "take_charge_accepted",
            "take_charge_refused",
            "take_back_sent",
            "take_back_received",
            "take_back_accepted",
            "take_back_refused",
            "transfers_carried_out",
            "average_reply_days",
            "average_transfer_days",
            "requests_received",
            "requests_accepted",
            "acceptance_rate",
            "transfer_rate",
            "source",
            "illustrative",
            "version",
            "reason",
        ]


class SecondaryMovementSerializer(_PeriodRecordSerializer):
    class Meta(_PeriodRecordSerializer.Meta):
        model = SecondaryMovementIndicator
        fields = [
            "id",
            *PERIOD_FIELDS,
            "applications_lodged",
            "secondary_movement_share_percent",
            "reception_occupancy_percent",
            "source",
            "illustrative",
            "version",
            "reason",
        ]


def _period_schema(noun: str, serializer, what: str, *, example: dict, correction: dict):
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {noun}",
            description=f"{what} Readable by every logged-in user; filter by `member_state`, `year`, "
            "`period_kind` and the period range `period_from`/`period_to` (overlap).",
            responses={200: serializer(many=True), **error_responses(*LIST_ERRORS)},
        ),
        retrieve=extend_schema(
            summary=f"One record of {noun}",
            responses={200: serializer, **error_responses(*READ_ERRORS)},
            parameters=[ETAG],
        ),
        create=extend_schema(
            summary=f"Record {noun} of a state and period (compliance officer)",
            description="One record per state, period kind and start: a second one gets 409 `unique`. "
            "Give a `reason`; it is kept in the audit trail.",
            responses={201: serializer, **error_responses(*CREATE_ERRORS)},
            parameters=[ETAG],
            examples=[request_example(f"{noun[0].upper()}{noun[1:]} of a quarter", example)],
        ),
        update=extend_schema(
            summary=f"Replace {noun} figures (compliance officer)",
            description="`member_state`, `period_kind` and `period_start` cannot change. Needs If-Match (or "
            "`version`): a stale one gets 412, a missing one 428.",
            responses={200: serializer, **error_responses(*WRITE_ERRORS)},
            parameters=[IF_MATCH, ETAG],
            examples=[request_example("All the figures again", {**example, "version": 1})],
        ),
        partial_update=extend_schema(
            summary=f"Correct {noun} figures (compliance officer)",
            description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
            responses={200: serializer, **error_responses(*WRITE_ERRORS)},
            parameters=[IF_MATCH, ETAG],
            examples=[request_example("A corrected figure", {**correction, "version": 1})],
        ),
    )


@_period_schema(
    "Dublin performance",
    DublinPerformanceSerializer,
    "Take-charge and take-back requests, transfers and delays per state and month or quarter (AMMR Part III), "
    "with the derived acceptance and transfer rates (read-only).",
    example={
        "member_state": "IT",
        "period_kind": "quarter",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "take_charge_sent": 1200,
        "take_charge_received": 310,
        "take_charge_accepted": 240,
        "take_charge_refused": 70,
        "take_back_sent": 2100,
        "take_back_received": 5200,
        "take_back_accepted": 4100,
        "take_back_refused": 1100,
        "transfers_carried_out": 420,
        "average_reply_days": "38.5",
        "average_transfer_days": "140.0",
        "source": "Eurostat migr_dubro, migr_dubti",
        "reason": "Quarterly Dublin statistics",
    },
    correction={"transfers_carried_out": 436, "reason": "Revised by the national authority"},
)
class DublinPerformanceViewSet(ComplianceRecordViewSet):
    model = DublinPerformance
    queryset = DublinPerformance.objects.all()
    serializer_class = DublinPerformanceSerializer
    filterset_class = filters.DublinPerformanceFilter
    immutable_fields = IDENTITY


@_period_schema(
    "secondary-movement indicators",
    SecondaryMovementSerializer,
    "Applications lodged, the share of them that came from secondary movements, and reception occupancy per "
    "state and period, each with its source.",
    example={
        "member_state": "DE",
        "period_kind": "quarter",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "applications_lodged": 61200,
        "secondary_movement_share_percent": "28.50",
        "reception_occupancy_percent": "96.00",
        "source": "EUAA early-warning indicators",
        "reason": "Quarterly indicators",
    },
    correction={"reception_occupancy_percent": "97.20", "reason": "Corrected occupancy"},
)
class SecondaryMovementViewSet(ComplianceRecordViewSet):
    model = SecondaryMovementIndicator
    queryset = SecondaryMovementIndicator.objects.all()
    serializer_class = SecondaryMovementSerializer
    filterset_class = filters.SecondaryMovementFilter
    immutable_fields = IDENTITY
