"""The /api/v1/ endpoints of the pool in implementation: activations and fulfilments here, deduction requests in
``deduction_api``, responsibility offsets in ``offset_api``; ``register`` adds them all to the router.

Every write goes through the services and every read through the selectors; the viewsets
only check the shape of the input, ask ``rules`` and serialize. Persons, euros and percentages are handed
to the services as sent: they are the one place that reads them (``clean_pledge_measure`` and friends), so
the API, the pages and the admin refuse the same input with the same code and words.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from pledges.implementation import filters
from pledges.implementation.deduction_api import DeductionRequestViewSet
from pledges.implementation.models import Activation, DeclineGround, Fulfilment
from pledges.implementation.offset_api import OffsetViewSet
from pledges.implementation.selectors import activations_visible_to, fulfilments_visible_to
from pledges.implementation.services import activation_propose, activation_transition, fulfilment_record
from pledges.pledging.api import (
    CREATE_ERRORS,
    ID,
    LIST_ERRORS,
    NOT_IN_SCOPE,
    READ_ERRORS,
    TRANSITION_ERRORS,
    DecimalStringField,
    _scope_to_viewer,
    _ScopedViewSet,
    _state,
    _transition_response,
)
from pledges.pledging.filters import CYCLE_HELP
from pledges.pledging.models import Pledge, PledgeKind
from solidarity.platform.api import (
    CONTROL_KEYS,
    ETAG,
    ReasonField,
    ServiceCreateMixin,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    VersionedRetrieveMixin,
    error_responses,
    request_example,
    request_reason,
)
from solidarity.platform.body_fields import check_body_fields
from solidarity.platform.locations import created_object
from solidarity.platform.serializers import RegistryModelSerializer
from solidarity.platform.workflow import require_reason


class ActivationSerializer(RegistryModelSerializer):
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
    amount = DecimalStringField(
        above_zero=True, help_text="Called, in the pledge's unit: whole persons, or euros with two decimals."
    )
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
    not_implemented = serializers.BooleanField(
        source="is_not_implemented",
        read_only=True,
        help_text="Refused on a ground other than Art. 60(3): not implemented, the pledge stays due.",
    )
    reason = ReasonField(required=True)  # creating it changes a binding object

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
            "not_implemented",
            "version",
            "created_at",
            "reason",
        ]
        read_only_fields = ["status", "decline_explanation", "version", "created_at"]

    def get_fields(self):
        return _scope_to_viewer(self, super().get_fields(), "pledge", Pledge.objects.visible_to)


class ActivationTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(Activation.USER_TRANSITIONS)
    decline_ground = serializers.ChoiceField(
        choices=DeclineGround.choices,
        required=False,
        help_text="For `decline`: `systemic_shortcomings` needs a confirmed finding on the beneficiary (Art. 60(3)).",
    )
    explanation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="For `decline`: in words; required with `other`, a refusal recorded as not implemented "
        "(400 `decline_explanation_required`).",
    )


class FulfilmentSerializer(RegistryModelSerializer):
    activation = serializers.PrimaryKeyRelatedField(
        queryset=Activation.objects.all(), help_text="The id of an accepted activation of your state's pledge."
    )
    cycle = serializers.IntegerField(source="activation.pledge.cycle.year", read_only=True, help_text=CYCLE_HELP)
    contributing_state = serializers.CharField(source="activation.pledge.member_state_id", read_only=True)
    benefitting_state = serializers.CharField(source="activation.benefitting_state_id", read_only=True)
    amount = DecimalStringField(
        above_zero=True, help_text="Carried out, in the pledge's unit: whole persons, or euros."
    )
    reason = ReasonField(required=True)  # creating it changes a binding object

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
            "(AMMR Art. 60(3); 409 `no_confirmed_finding` otherwise) and links to it. A decline frees that part of the "
            "pledge."
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
    reason_required_on_create = True  # proposing one calls part of a binding pledge

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
    # The role is asked before the body is read; the activation named in it is the service's check.
    action_permissions = {"create": "pledges.add_fulfilment"}
    filterset_class = filters.FulfilmentFilter

    def visible_rows(self, user):
        return fulfilments_visible_to(user)

    def create(self, request, *args, **kwargs):
        # As ServiceCreateMixin, but without an ETag: a fulfilment has no version to match. It changes its
        # activation, so its reason is required, in the body.
        reason = require_reason(request_reason(request, header=False))
        serializer = self.get_serializer(data=request.data)
        check_body_fields(serializer, request.data)
        serializer.is_valid(raise_exception=True)
        fields = {name: value for name, value in serializer.validated_data.items() if name not in CONTROL_KEYS}
        fulfilment = fulfilment_record(actor=request.user, reason=reason, **fields)
        return created_object(self, fulfilment, self.get_serializer(fulfilment).data)


def register(router) -> None:
    """Add this package's viewsets to the /api/v1/ router."""
    router.register("activations", ActivationViewSet, basename="activation")
    router.register("fulfilments", FulfilmentViewSet, basename="fulfilment")
    router.register("deduction-requests", DeductionRequestViewSet, basename="deduction-request")
    router.register("offsets", OffsetViewSet, basename="offset")
