"""The /api/v1/ endpoints of pledges and what hangs on them: activations, fulfilments, deductions, offsets.

Every write goes through ``pledges.services`` and every read through ``pledges.selectors``; the viewsets
only check the shape of the input, ask ``rules`` and serialize. Persons, euros and percentages are handed
to the services as sent: they are the one place that reads them (``clean_pledge_measure`` and friends), so
the API, the pages and the admin refuse the same input with the same code and words.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from pledges.implementation import filters
from pledges.implementation.models import Activation, DeclineGround, Fulfilment, ResponsibilityOffset
from pledges.implementation.selectors import (
    OffsetEligibility,
    activations_visible_to,
    offset_eligibility,
    offsets_visible_to,
)
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_answer,
    offset_request,
)
from pledges.pledging.api import (
    CREATE_ERRORS,
    ID,
    LIST_ERRORS,
    NOT_IN_SCOPE,
    READ_ERRORS,
    TRANSITION_ERRORS,
    DecimalStringField,
    PersonsField,
    ReasonField,
    _cycle,
    _scope_to_viewer,
    _ScopedViewSet,
    _state,
    _transition_response,
)
from pledges.pledging.filters import CYCLE_HELP
from pledges.pledging.models import DeductionRequest, Pledge, PledgeKind, sees_every_state_pledges
from pledges.pledging.selectors import deductions_visible_to
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.platform.api import (
    CONTROL_KEYS,
    ETAG,
    ServiceCreateMixin,
    TransitionActionMixin,
    TransitionRequestSerializer,
    VersionedRetrieveMixin,
    error_responses,
    request_example,
    request_reason,
)
from solidarity.platform.errors import ValidationFailed
from solidarity.platform.workflow import require_reason


class ActivationSerializer(serializers.ModelSerializer):
    pledge = serializers.PrimaryKeyRelatedField(
        queryset=Pledge.objects.all(), help_text="The id of a pledge recorded by the Council act."
    )
    cycle = serializers.IntegerField(source="pledge.cycle.year", read_only=True, help_text=CYCLE_HELP)
    contributing_state = serializers.CharField(
        source="pledge.member_state_id", read_only=True, help_text="The state whose pledge is activated."
    )
    kind = serializers.ChoiceField(
        source="pledge.kind", choices=PledgeKind.choices, read_only=True, help_text="The pledge's kind."
    )
    benefitting_state = _state("The state the activation goes to (Art. 60(2)).")
    amount = DecimalStringField(help_text="Called, in the pledge's unit: whole persons, or euros with two decimals.")
    fulfilled = serializers.DecimalField(
        max_digits=15, decimal_places=2, read_only=True, help_text="Carried out so far, in the pledge's unit."
    )
    decline_ground = serializers.ChoiceField(
        choices=DeclineGround.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it was declined; blank otherwise.",
    )
    finding = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The confirmed finding an Art. 60(3) decline rests on, or null."
    )
    reason = ReasonField()

    class Meta:
        model = Activation
        fields = [
            "id",
            "cycle",
            "pledge",
            "contributing_state",
            "kind",
            "benefitting_state",
            "amount",
            "fulfilled",
            "status",
            "decline_ground",
            "decline_explanation",
            "finding",
            "version",
            "created_at",
            "reason",
        ]
        read_only_fields = ["status", "decline_explanation", "version", "created_at"]

    def get_fields(self):
        return _scope_to_viewer(self, super().get_fields(), "pledge", Pledge.objects.visible_to)


class ActivationTransitionSerializer(TransitionRequestSerializer):
    transition = serializers.CharField(help_text=f"One of: {', '.join(Activation.USER_TRANSITIONS)}.")
    decline_ground = serializers.ChoiceField(
        choices=DeclineGround.choices,
        required=False,
        help_text="For `decline`: `systemic_shortcomings` needs a confirmed finding on the beneficiary (Art. 60(3)).",
    )
    explanation = serializers.CharField(required=False, allow_blank=True, help_text="For `decline`: in words.")


class FulfilmentSerializer(serializers.ModelSerializer):
    activation = serializers.PrimaryKeyRelatedField(
        queryset=Activation.objects.all(), help_text="The id of an accepted activation of your state's pledge."
    )
    cycle = serializers.IntegerField(source="activation.pledge.cycle.year", read_only=True, help_text=CYCLE_HELP)
    contributing_state = serializers.CharField(source="activation.pledge.member_state_id", read_only=True)
    benefitting_state = serializers.CharField(source="activation.benefitting_state_id", read_only=True)
    amount = DecimalStringField(help_text="Carried out, in the pledge's unit: whole persons, or euros.")
    reason = ReasonField()

    class Meta:
        model = Fulfilment
        fields = [
            "id",
            "activation",
            "cycle",
            "contributing_state",
            "benefitting_state",
            "date",
            "amount",
            "evidence_reference",
            "created_at",
            "reason",
        ]
        read_only_fields = ["created_at"]

    def get_fields(self):
        return _scope_to_viewer(self, super().get_fields(), "activation", activations_visible_to)


class DeductionRequestSerializer(serializers.ModelSerializer):
    cycle = _cycle()
    member_state = _state("The requesting state's code; defaults to your own delegation.", required=False)
    requested_percent = DecimalStringField(
        places=4,
        required=False,
        allow_null=True,
        help_text="For a partial deduction: percent of the contribution, 0 to 100.",
    )
    granted_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, read_only=True, allow_null=True, help_text="As decided by the Council."
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
            "grounds",
            "council_act_reference",
            "status",
            "version",
            "illustrative",
            "created_at",
            "reason",
        ]
        read_only_fields = ["council_act_reference", "status", "version", "illustrative", "created_at"]
        validators = []


class DeductionTransitionSerializer(TransitionRequestSerializer):
    transition = serializers.CharField(help_text=f"One of: {', '.join(DeductionRequest.TRANSITIONS)}.")
    granted_percent = DecimalStringField(
        places=4, required=False, allow_null=True, help_text="For `grant_partial`: the part granted, in percent."
    )
    council_act_reference = serializers.CharField(
        required=False, allow_blank=True, help_text="For `grant_full` / `grant_partial`: the Council implementing act."
    )


class OffsetSerializer(serializers.ModelSerializer):
    cycle = _cycle()
    benefitting_state = _state("The state asking for offsets; defaults to your own delegation.", required=False)
    contributing_state = _state("The state asked to take responsibility for the applications.")
    applications_requested = PersonsField(help_text="Applications to take over, a whole number above zero.")
    requested_on = serializers.DateField(required=False, help_text="Defaults to today; the answer is due 30 days on.")
    reason = ReasonField()

    class Meta:
        model = ResponsibilityOffset
        fields = [
            "id",
            "cycle",
            "benefitting_state",
            "contributing_state",
            "applications_requested",
            "applications_accepted",
            "requested_on",
            "answer_deadline",
            "answered_on",
            "explanation",
            "status",
            "version",
            "created_at",
            "reason",
        ]
        read_only_fields = [
            "applications_accepted",
            "answer_deadline",
            "answered_on",
            "explanation",
            "status",
            "version",
            "created_at",
        ]


class OffsetTransitionSerializer(TransitionRequestSerializer):
    transition = serializers.CharField(help_text=f"One of: {', '.join(ResponsibilityOffset.TRANSITIONS)}.")
    applications_accepted = PersonsField(
        required=False, allow_null=True, help_text="For `accept_partially`: how many, fewer than requested."
    )
    explanation = serializers.CharField(required=False, allow_blank=True, help_text="The answer, in words.")


class OffsetEligibilityQuerySerializer(serializers.Serializer):
    cycle = _cycle()
    contributing_state = _state("The state that would take the offsets (Art. 63(2)).", required=False)


def _percent(help_text: str):
    return serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True, help_text=help_text)


class OffsetEligibilitySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text=CYCLE_HELP)
    contributing_state = serializers.CharField(allow_null=True, help_text="As asked, or null.")
    threshold_percent = _percent("The threshold of Art. 63(1) and (2): 50 %.")
    proposal_relocations = serializers.IntegerField(
        allow_null=True, help_text="Relocations of the Commission's proposal."
    )
    pledged_relocations = serializers.IntegerField(
        allow_null=True, help_text="Counted relocation pledges of every state; null where you may not see them."
    )
    collective_percent = _percent("Those pledges in percent of the proposal's relocations; null where hidden.")
    collective_threshold_met = serializers.BooleanField(allow_null=True, help_text="Art. 63(1); null where hidden.")
    contributing_state_percent = _percent("The contributing state's relocation pledges in percent of its fair share.")
    contributing_state_threshold_met = serializers.BooleanField(
        allow_null=True, help_text="Art. 63(2); null where hidden or not asked."
    )
    may_request = serializers.BooleanField(
        allow_null=True, help_text="Whether offsets may be requested; null when it rests on figures you may not see."
    )
    explanation = serializers.CharField()


HIDDEN_BEFORE_ADOPTION = (
    "Before the Council act (AMMR Art. 57) a state's pledges are seen only by that state, the coordinator and "
    "auditors: the figures you may not see are left out."
)


def eligibility_payload(eligibility: OffsetEligibility, *, cycle, contributing_state, viewer) -> dict:
    """The eligibility, without the pledge figures ``viewer`` may not see yet."""
    sees_all = sees_every_state_pledges(viewer, cycle)
    sees_state = contributing_state is None or sees_all or contributing_state.pk == viewer.member_state_id
    asked_state = contributing_state is not None
    state_met = eligibility.contributing_state_threshold_met
    if (sees_all and eligibility.collective_threshold_met) or (sees_state and asked_state and state_met):
        may_request = True
    elif sees_all and sees_state:
        may_request = False
    else:
        may_request = None
    return {
        "cycle": cycle.year,
        "contributing_state": contributing_state.pk if asked_state else None,
        "threshold_percent": OffsetEligibility.THRESHOLD,
        "proposal_relocations": eligibility.proposal_relocations,
        "pledged_relocations": eligibility.pledged_relocations if sees_all else None,
        "collective_percent": eligibility.collective_percent if sees_all else None,
        "collective_threshold_met": eligibility.collective_threshold_met if sees_all else None,
        "contributing_state_percent": eligibility.contributing_state_percent if sees_state else None,
        "contributing_state_threshold_met": state_met if sees_state and asked_state else None,
        "may_request": may_request,
        "explanation": eligibility.explanation if sees_all and sees_state else HIDDEN_BEFORE_ADOPTION,
    }


@extend_schema_view(
    list=extend_schema(
        summary="List activations",
        description=(
            "Parts of recorded pledges called towards benefitting states (AMMR Art. 60(2)). Officials see the "
            "activations of their state's pledges and those towards their state. " + NOT_IN_SCOPE
        ),
        responses={200: ActivationSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One activation",
        responses={200: ActivationSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ID, ETAG],
    ),
    create=extend_schema(
        summary="Propose an activation (coordinator)",
        description=(
            "Calls `amount` of a recorded pledge, in its unit, towards `benefitting_state`. 409 `exceeds_pledge` "
            "when more than what remains of the pledge is asked (`current.remaining`), 409 "
            "`pledge_not_activatable` unless the pledge is recorded and the cycle adopted or in application."
        ),
        responses={201: ActivationSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Part of a financial pledge towards Greece",
                {"pledge": 1, "benefitting_state": "EL", "amount": "1000000.00", "reason": "Request of Greece"},
            )
        ],
    ),
    transition=extend_schema(
        summary="Accept or decline an activation (officials of the contributing state)",
        description=(
            "`proposed -accept-> accepted`, `proposed -decline-> declined`. A decline needs a `decline_ground`; "
            "`systemic_shortcomings` is allowed only while a confirmed finding exists on the benefitting state "
            "(AMMR Art. 60(3)) and links to it. A decline frees that part of the pledge."
        ),
        request=ActivationTransitionSerializer,
        responses={200: ActivationSerializer, **error_responses(*TRANSITION_ERRORS)},
        parameters=[ID, ETAG],
        examples=[
            request_example("Accept", {"transition": "accept", "reason": "Transfer scheduled"}),
            request_example(
                "Decline on Art. 60(3) grounds",
                {
                    "transition": "decline",
                    "decline_ground": "systemic_shortcomings",
                    "explanation": "Confirmed finding on the benefitting state's Dublin system",
                    "reason": "Art. 60(3)",
                },
            ),
        ],
    ),
)
class ActivationViewSet(
    VersionedRetrieveMixin,
    ServiceCreateMixin,
    TransitionActionMixin,
    mixins.ListModelMixin,
    _ScopedViewSet,
):
    queryset = Activation.objects.none()
    serializer_class = ActivationSerializer
    action_permissions = {"create": "pledges.propose_activation", "transition": "pledges.answer_activation"}
    filterset_class = filters.ActivationFilter
    transition_serializer_class = ActivationTransitionSerializer

    def visible_rows(self, user):
        return activations_visible_to(user)

    def perform_service_create(self, fields, *, actor, reason):
        return activation_propose(actor=actor, reason=reason, **fields)

    def perform_transition(self, instance, *, data, actor):
        activation = activation_transition(
            activation=instance,
            transition=data["transition"],
            actor=actor,
            reason=data["reason"],
            decline_ground=data.get("decline_ground") or "",
            explanation=data.get("explanation") or "",
        )
        return _transition_response(ActivationSerializer, activation)


def fulfilments_visible_to(user):
    """Fulfilments of the activations ``user`` may see."""
    visible = activations_visible_to(user).values("pk")
    return Fulfilment.objects.filter(activation__in=visible).select_related("activation__pledge__cycle")


@extend_schema_view(
    list=extend_schema(
        summary="List fulfilments",
        description="What contributing states carried out under accepted activations (AMMR Art. 60(3)). "
        + NOT_IN_SCOPE,
        responses={200: FulfilmentSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One fulfilment",
        description="Fulfilments are recorded once and never changed, so they carry no version or ETag.",
        responses={200: FulfilmentSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ID],
    ),
    create=extend_schema(
        summary="Record a fulfilment (officials of the contributing state)",
        description=(
            "On an accepted activation of your state's pledge, once carried out (no future `date`), with an "
            "`evidence_reference`. The activation becomes `fulfilled` when its whole amount is. 409 "
            "`exceeds_activation` beyond what remains (`current.remaining`), 409 `activation_not_accepted`. "
            "An activation you may not see reads as nonexistent (400 on `activation`). Fulfilments are never "
            "changed once recorded, so they carry no version."
        ),
        responses={201: FulfilmentSerializer, **error_responses(*CREATE_ERRORS)},
        examples=[
            request_example(
                "A transfer made",
                {
                    "activation": 1,
                    "date": "2026-09-30",
                    "amount": "500000.00",
                    "evidence_reference": "Payment order 2026/4471",
                    "reason": "First instalment paid",
                },
            )
        ],
    ),
)
class FulfilmentViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, _ScopedViewSet):
    queryset = Fulfilment.objects.none()
    serializer_class = FulfilmentSerializer
    filterset_class = filters.FulfilmentFilter

    def visible_rows(self, user):
        return fulfilments_visible_to(user)

    def create(self, request, *args, **kwargs):
        # As ServiceCreateMixin, but without an ETag: a fulfilment has no version to match.
        reason = require_reason(request_reason(request))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {name: value for name, value in serializer.validated_data.items() if name not in CONTROL_KEYS}
        fulfilment = fulfilment_record(actor=request.user, reason=reason, **fields)
        return Response(self.get_serializer(fulfilment).data, status=status.HTTP_201_CREATED)


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
            "migratory situation (400 `not_designated`). `full` is 100 %; `partial` needs `requested_percent` "
            "between 0 and 100. 409 `deduction_open` while another request of the state is open."
        ),
        responses={201: DeductionRequestSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Half of the contribution (Art. 61)",
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
            "`granted_percent`) or `refuse`. Granting needs the `council_act_reference` of the Council "
            "implementing act (Art. 62(4)); 409 `deduction_already_granted` for a second grant in the cycle."
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
    # Who may request is decided by the service against the state asked for: no collection-level rule fits.
    action_permissions = {"transition": "pledges.decide_deduction"}
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
        )
        return _transition_response(DeductionRequestSerializer, deduction)


@extend_schema_view(
    list=extend_schema(
        summary="List responsibility offsets",
        description=(
            "Requests that a contributing state take responsibility for applications instead of relocating "
            "(AMMR Arts 63, 69). Officials see those their state asked for or was asked. " + NOT_IN_SCOPE
        ),
        responses={200: OffsetSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One responsibility offset",
        responses={200: OffsetSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ID, ETAG],
    ),
    create=extend_schema(
        summary="Request offsets (officials of the benefitting state, or the coordinator)",
        description=(
            "Open once relocation pledges reach 50 % of the proposal's relocations (Art. 63(1)), or towards a "
            "state that pledged 50 % of its fair share as relocations (Art. 63(2)); else 409 `offsets_not_open`. "
            "The answer is due 30 days after `requested_on` (Art. 69)."
        ),
        responses={201: OffsetSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Ask France to take 120 applications",
                {"cycle": 2026, "contributing_state": "FR", "applications_requested": 120, "reason": "Art. 63(1)"},
            )
        ],
    ),
    transition=extend_schema(
        summary="Answer an offset request (officials of the requested state, or the coordinator)",
        description=(
            "`requested -accept-> accepted`, `-accept_partially-> partially_accepted` (with "
            "`applications_accepted`, fewer than requested), `-refuse-> refused` (Art. 69)."
        ),
        request=OffsetTransitionSerializer,
        responses={200: OffsetSerializer, **error_responses(*TRANSITION_ERRORS)},
        parameters=[ID, ETAG],
        examples=[
            request_example(
                "Accept 80 of them",
                {
                    "transition": "accept_partially",
                    "applications_accepted": 80,
                    "explanation": "Reception capacity for 80 applicants",
                    "reason": "Answer within 30 days (Art. 69)",
                },
            )
        ],
    ),
    eligibility=extend_schema(
        summary="Whether offsets may be requested in a cycle (Art. 63(1)-(2))",
        description=(
            "Relocation pledges against 50 % of the proposal's relocations, and, with `contributing_state`, that "
            "state's relocation pledges against 50 % of its fair share. Before the Council act the figures you "
            "may not see are null, and so is `may_request` where it rests on them."
        ),
        parameters=[
            OpenApiParameter("cycle", int, OpenApiParameter.QUERY, required=True, description=CYCLE_HELP),
            OpenApiParameter(
                "contributing_state", str, OpenApiParameter.QUERY, description="Eurostat code, e.g. `FR`."
            ),
        ],
        responses={200: OffsetEligibilitySerializer, **error_responses(400, 403)},
    ),
)
class OffsetViewSet(
    VersionedRetrieveMixin,
    ServiceCreateMixin,
    TransitionActionMixin,
    mixins.ListModelMixin,
    _ScopedViewSet,
):
    queryset = ResponsibilityOffset.objects.none()
    serializer_class = OffsetSerializer
    action_permissions = {"transition": "pledges.answer_offset"}
    filterset_class = filters.OffsetFilter
    transition_serializer_class = OffsetTransitionSerializer

    def visible_rows(self, user):
        return offsets_visible_to(user)

    def perform_service_create(self, fields, *, actor, reason):
        benefitting_state = fields.pop("benefitting_state", None) or actor.member_state
        if benefitting_state is None:
            raise ValidationFailed("Name the benefitting state.", code="required", field="benefitting_state")
        return offset_request(actor=actor, reason=reason, benefitting_state=benefitting_state, **fields)

    def perform_transition(self, instance, *, data, actor):
        offset = offset_answer(
            offset=instance,
            transition=data["transition"],
            actor=actor,
            reason=data["reason"],
            applications_accepted=data.get("applications_accepted"),
            explanation=data.get("explanation") or "",
        )
        return _transition_response(OffsetSerializer, offset)

    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def eligibility(self, request, *args, **kwargs):
        query = OffsetEligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = query.validated_data["cycle"]
        state = query.validated_data.get("contributing_state")
        payload = eligibility_payload(
            offset_eligibility(cycle, contributing_state=state),
            cycle=cycle,
            contributing_state=state,
            viewer=request.user,
        )
        return Response(OffsetEligibilitySerializer(payload).data)


def register(router) -> None:
    """Add this package's viewsets to the /api/v1/ router."""
    router.register("activations", ActivationViewSet, basename="activation")
    router.register("fulfilments", FulfilmentViewSet, basename="fulfilment")
    router.register("deduction-requests", DeductionRequestViewSet, basename="deduction-request")
    router.register("offsets", OffsetViewSet, basename="offset")
