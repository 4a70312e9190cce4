"""The /api/v1/deduction-requests/ endpoints: a state's request to deduct its contributions (AMMR Arts 61-62),
and the coordinator's record of the Commission's assessment and the Council's decision.

Writes go through ``pledges.pledging.services``, reads through ``pledges.pledging.selectors.deductions_visible_to``.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from pledges.implementation import filters
from pledges.pledging.api import (
    CREATE_ERRORS,
    ID,
    LIST_ERRORS,
    NOT_IN_SCOPE,
    READ_ERRORS,
    TRANSITION_ERRORS,
    DecimalStringField,
    _cycle,
    _ScopedViewSet,
    _state,
    _transition_response,
)
from pledges.pledging.models import DeductionRequest, PledgeKind
from pledges.pledging.selectors import deductions_visible_to
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.platform.api import (
    ETAG,
    ReasonField,
    ServiceCreateMixin,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    VersionedRetrieveMixin,
    error_responses,
    request_example,
)
from solidarity.platform.serializers import RegistryModelSerializer


def _kind_percent(kind: str):
    return serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text=f"Percent of the state's {kind} the Council deducted; null until granted.",
    )


def _kind_percent_input(kind: str):
    return DecimalStringField(
        places=4,
        maximum=100,
        example="50",
        required=False,
        allow_null=True,
        help_text=f"For `grant_partial` decided by type of measure: percent of the {kind} deducted; "
        "left out, `granted_percent`.",
    )


class DeductionRequestSerializer(RegistryModelSerializer):
    cycle = _cycle()
    member_state = _state("The requesting state's code; defaults to your own delegation.", required=False)
    requested_percent = DecimalStringField(
        places=4,
        above_zero=True,
        maximum=100,
        below_maximum=True,
        example="25.5",
        required=False,
        allow_null=True,
        help_text="For a partial deduction: percent of the state's pledges, 0 to 100.",
    )
    granted_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text=(
            "As decided by the Council: the share of the state's binding pledges deducted, in relocation "
            "equivalents (Art. 61(1), 62(1)); the fair share is unchanged."
        ),
    )
    relocations_percent = _kind_percent("relocation pledges")
    financial_percent = _kind_percent("financial pledges")
    alternative_percent = _kind_percent("alternative measures")
    council_act_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="Date of the Council implementing act that granted it."
    )
    reason = ReasonField()

    class Meta:
        model = DeductionRequest
        fields = [
            "id",
            "cycle",
            "member_state",
            "article",
            "scope",
            "requested_percent",
            "granted_percent",
            "relocations_percent",
            "financial_percent",
            "alternative_percent",
            "grounds",
            "council_act_reference",
            "council_act_date",
            "status",
            "version",
            "illustrative",
            "created_at",
            "reason",
        ]
        read_only_fields = ["council_act_reference", "status", "version", "illustrative", "created_at"]
        validators = []


class DeductionTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(DeductionRequest.TRANSITIONS)
    granted_percent = DecimalStringField(
        places=4,
        above_zero=True,
        maximum=100,
        below_maximum=True,
        example="25.5",
        required=False,
        allow_null=True,
        help_text="For `grant_partial`: the part granted, in percent.",
    )
    council_act_reference = serializers.CharField(
        required=False, allow_blank=True, help_text="For `grant_full` / `grant_partial`: the Council implementing act."
    )
    council_act_date = serializers.DateField(
        required=False, allow_null=True, help_text="For `grant_full` / `grant_partial`: the date of the act."
    )
    relocations_percent = _kind_percent_input("relocation pledges")
    financial_percent = _kind_percent_input("financial pledges")
    alternative_percent = _kind_percent_input("alternative measures")


@extend_schema_view(
    list=extend_schema(
        summary="List deduction requests",
        description=(
            "Requests to deduct a state's contributions (AMMR Arts 61-62). Officials see their own state's; "
            "granted deductions are in a Council act and public. " + NOT_IN_SCOPE
        ),
        responses={200: DeductionRequestSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One deduction request",
        responses={200: DeductionRequestSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ID, ETAG],
    ),
    create=extend_schema(
        summary="Request a deduction (officials, for their own state)",
        description=(
            "Art. 61 needs a designation as under migratory pressure, Art. 62 one as facing a significant "
            "migratory situation (409 `not_designated` without it). `full` is 100 %; `partial` needs "
            "`requested_percent` "
            "between 0 and 100. 409 `deduction_open` while another request of the state is open."
        ),
        responses={201: DeductionRequestSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Half of the pledges (Art. 61)",
                {
                    "cycle": 2027,
                    "article": "61",
                    "scope": "partial",
                    "requested_percent": "50",
                    "grounds": "Under migratory pressure; the pool is not used",
                    "reason": "Request to the Commission",
                },
            )
        ],
    ),
    transition=extend_schema(
        summary="Assess, grant or refuse a deduction (coordinator)",
        description=(
            "`requested -assess-> under_assessment`; from either, `grant_full`, `grant_partial` (with "
            "`granted_percent`, or a percent per type of measure) or `refuse`. Granting needs the "
            "`council_act_reference` and `council_act_date` of the Council implementing act (Art. 62(4); 409 "
            "`council_act_required` / `council_act_date_required` without them); 409 "
            "`deduction_already_granted` for a second grant in the cycle. A grant lowers the state's binding "
            "pledges of the cycle (`deducted` on each pledge; Art. 61(1), 62(1)), never its fair share; 409 "
            "`deduction_below_activated` when a pledge would bind less than is already activated of it."
        ),
        request=DeductionTransitionSerializer,
        responses={200: DeductionRequestSerializer, **error_responses(*TRANSITION_ERRORS)},
        parameters=[ID, ETAG],
        examples=[
            request_example("Assess", {"transition": "assess", "reason": "Commission assessment opened"}),
            request_example(
                "Grant in part",
                {
                    "transition": "grant_partial",
                    "granted_percent": "40",
                    "council_act_reference": "Council Implementing Decision (EU) 2027/0002",
                    "council_act_date": "2027-03-01",
                    "reason": "Council decision (Art. 62(4))",
                },
            ),
        ],
    ),
)
class DeductionRequestViewSet(
    VersionedRetrieveMixin,
    ServiceCreateMixin,
    TransitionActionMixin,
    mixins.ListModelMixin,
    _ScopedViewSet,
):
    queryset = DeductionRequest.objects.none()
    serializer_class = DeductionRequestSerializer
    # The role is asked before the body is read; the state asked for is the service's check.
    action_permissions = {"create": "pledges.add_deductionrequest", "transition": "pledges.decide_deduction"}
    filterset_class = filters.DeductionRequestFilter
    transition_serializer_class = DeductionTransitionSerializer

    def visible_rows(self, user):
        return deductions_visible_to(user)

    def perform_service_create(self, fields, *, actor, reason):
        return deduction_request(actor=actor, reason=reason, **fields)

    def perform_transition(self, instance, *, data, actor):
        deduction = deduction_decide(
            deduction=instance,
            transition=data["transition"],
            actor=actor,
            reason=data["reason"],
            granted_percent=data.get("granted_percent"),
            council_act_reference=data.get("council_act_reference") or "",
            council_act_date=data.get("council_act_date"),
            percent_by_kind={
                PledgeKind.RELOCATION: data.get("relocations_percent"),
                PledgeKind.FINANCIAL: data.get("financial_percent"),
                PledgeKind.ALTERNATIVE: data.get("alternative_percent"),
            },
        )
        return _transition_response(DeductionRequestSerializer, deduction)
