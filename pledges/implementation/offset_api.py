"""The /api/v1/offsets/ endpoints: responsibility offsets (AMMR Arts 63, 69), their answer, and whether offsets
may be requested in a cycle, without the pledge figures the viewer may not see yet (Art. 57).

Writes go through ``pledges.implementation.services``, reads through ``pledges.implementation.selectors``.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from pledges.implementation import filters
from pledges.implementation.models import ResponsibilityOffset
from pledges.implementation.selectors import OffsetEligibility, offset_eligibility, offsets_visible_to
from pledges.implementation.services import offset_answer, offset_request
from pledges.pledging.api import (
    CREATE_ERRORS,
    ID,
    LIST_ERRORS,
    NOT_IN_SCOPE,
    READ_ERRORS,
    TRANSITION_ERRORS,
    PersonsField,
    _cycle,
    _ScopedViewSet,
    _state,
    _transition_response,
)
from pledges.pledging.filters import CYCLE_HELP
from pledges.pledging.models import sees_every_state_pledges
from solidarity.domain.api import STATE_CODE_SCHEMA, YEAR_SCHEMA
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
from solidarity.platform.errors import ValidationFailed
from solidarity.platform.numbers import MAX_WHOLE
from solidarity.platform.serializers import RegistryModelSerializer, RegistrySerializer


class OffsetSerializer(RegistryModelSerializer):
    cycle = _cycle()
    benefitting_state = _state("The state asking for offsets; defaults to your own delegation.", required=False)
    contributing_state = _state("The state asked to take responsibility for the applications.")
    applications_requested = PersonsField(
        minimum=1, maximum=MAX_WHOLE, help_text="Applications to take over, a whole number above zero."
    )
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
    transition = TransitionNameField(ResponsibilityOffset.TRANSITIONS)
    applications_accepted = PersonsField(
        required=False,
        allow_null=True,
        minimum=1,
        maximum=MAX_WHOLE,
        help_text="For `accept_partially`: how many, fewer than requested.",
    )
    explanation = serializers.CharField(required=False, allow_blank=True, help_text="The answer, in words.")


class OffsetEligibilityQuerySerializer(RegistrySerializer):
    cycle = _cycle()
    contributing_state = _state("The state that would take the offsets (Art. 63(2)).", required=False)


def _percent(help_text: str):
    return serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True, help_text=help_text)


class OffsetEligibilitySerializer(RegistrySerializer):
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
            OpenApiParameter("cycle", YEAR_SCHEMA, OpenApiParameter.QUERY, required=True, description=CYCLE_HELP),
            OpenApiParameter(
                "contributing_state", STATE_CODE_SCHEMA, OpenApiParameter.QUERY, description="Eurostat code, e.g. `FR`."
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
    # The role is asked before the body is read; the states named in it are the service's check.
    action_permissions = {"create": "pledges.add_responsibilityoffset", "transition": "pledges.answer_offset"}
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
