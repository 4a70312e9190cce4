"""``findings/``: systemic shortcomings of a benefitting state in applying the Dublin rules (AMMR Art. 60(3))."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from compliance import filters
from compliance.api.common import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, ComplianceRecordViewSet
from compliance.models import Finding
from compliance.services import finding_transition
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    WriteControlFields,
    error_responses,
    request_example,
    with_etag,
)
from solidarity.platform.serializers import RegistryModelSerializer


class FindingSerializer(WriteControlFields, RegistryModelSerializer):
    member_state = serializers.PrimaryKeyRelatedField(
        queryset=MemberState.objects.all(), help_text="The benefitting state concerned (Eurostat code)."
    )
    cycle = serializers.SlugRelatedField(
        slug_field="year", queryset=SolidarityCycle.objects.all(), help_text="The cycle's year."
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "member_state",
            "cycle",
            "scope",
            "description",
            "evidence_references",
            "legal_reference",
            "commission_report_reference",
            "commission_report_date",
            "status",
            "confirmed_on",
            "lifted_on",
            "illustrative",
            "created_at",
            "version",
            "reason",
        ]
        read_only_fields = ["status", "confirmed_on", "lifted_on", "created_at"]


class FindingTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(Finding.TRANSITIONS)


@extend_schema_view(
    list=extend_schema(
        summary="List systemic-shortcoming findings",
        description="Newest first; filter by `member_state`, `cycle` (year), `status` (repeatable) and "
        "`confirmed_from`/`confirmed_to`. While a finding is `confirmed`, contributing states may decline "
        "activations towards that state on Art. 60(3) grounds; the pledge itself is never reduced.",
        responses={200: FindingSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One finding",
        responses={200: FindingSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Open a finding (compliance officer)",
        description="Starts as `draft`. A `reason` may be given; it is kept in the audit trail.",
        responses={201: FindingSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Reception conditions",
                {
                    "member_state": "EL",
                    "cycle": 2026,
                    "scope": "Reception conditions for applicants transferred under Dublin",
                    "description": "Transferred applicants are left without accommodation for weeks.",
                    "evidence_references": "EUAA monitoring report 2026/3",
                    "reason": "Monitoring mission",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a finding's text (compliance officer)",
        description="`member_state` and `cycle` cannot change; `status` only through `transition/`. Needs "
        "If-Match (or `version`): a stale one gets 412, a missing one 428.",
        responses={200: FindingSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "The whole text",
                {
                    "member_state": "EL",
                    "cycle": 2026,
                    "scope": "Reception conditions for applicants transferred under Dublin",
                    "description": "Transferred applicants are left without accommodation for weeks.",
                    "evidence_references": "EUAA monitoring report 2026/3; follow-up visit",
                    "legal_reference": "Regulation (EU) 2024/1351, Art. 60(3)",
                    "version": 1,
                    "reason": "Follow-up visit",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a finding's text (compliance officer)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`); a `reason` unless a draft.",
        responses={200: FindingSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "More evidence",
                {"evidence_references": "EUAA report 2026/3; NGO report", "version": 1, "reason": "New report"},
            )
        ],
    ),
    transition=extend_schema(
        summary="Move a finding to its next stage (compliance officer)",
        description="`draft -assess-> under_assessment -confirm-> confirmed -lift-> lifted`; `dismiss` from "
        "`draft` or `under_assessment`. Confirming needs `commission_report_reference` and "
        "`commission_report_date` recorded (409 `commission_report_missing`, Art. 60(3)). Confirming or lifting "
        "e-mails the officials of contributing states with "
        "open activations towards the state, once committed. 409 when not allowed from the current stage, 403 "
        "for anyone but a compliance officer, 400 on an unknown transition or a missing reason.",
        request=FindingTransitionSerializer,
        responses={200: FindingSerializer, **error_responses(400, 403, 404, 409)},
        parameters=[ETAG],
        examples=[
            request_example("Open the assessment", {"transition": "assess", "reason": "Evidence received"}),
            request_example("Confirm", {"transition": "confirm", "reason": "Systemic shortcomings established"}),
        ],
    ),
)
class FindingViewSet(TransitionActionMixin, ComplianceRecordViewSet):
    model = Finding
    queryset = Finding.objects.select_related("cycle")
    serializer_class = FindingSerializer
    filterset_class = filters.FindingFilter
    immutable_fields = ("member_state", "cycle", "status")
    transition_serializer_class = FindingTransitionSerializer

    def perform_transition(self, instance, *, data, actor):
        finding = finding_transition(
            finding=instance, transition=data["transition"], actor=actor, reason=data["reason"]
        )
        return with_etag(Response(self.get_serializer(finding).data), finding)
