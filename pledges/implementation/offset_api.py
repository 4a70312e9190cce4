"""The /api/v1/offsets/ endpoints: responsibility offsets (AMMR Arts 63, 69), their answer, and whether offsets
may be requested in a cycle, without the pledge figures the viewer may not see yet (Art. 57).

Writes go through ``pledges.implementation.services``, reads through ``pledges.implementation.selectors``.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from pledges.implementation import filters
from pledges.implementation.models import ResponsibilityOffset
from pledges.implementation.selectors import (
    MandatoryOffsets,
    OffsetEligibility,
    mandatory_offsets,
    offset_eligibility,
    offsets_visible_to,
)
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
    threshold_percent = _percent("The cycle's threshold of Art. 63(1) and (2); 50 % in the regulation.")
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


HIDDEN_BEFORE_ADOPTION = gettext_lazy(
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
        "threshold_percent": eligibility.threshold_percent,
        "proposal_relocations": eligibility.proposal_relocations,
        "pledged_relocations": eligibility.pledged_relocations if sees_all else None,
        "collective_percent": eligibility.collective_percent if sees_all else None,
        "collective_threshold_met": eligibility.collective_threshold_met if sees_all else None,
        "contributing_state_percent": eligibility.contributing_state_percent if sees_state else None,
        "contributing_state_threshold_met": state_met if sees_state and asked_state else None,
        "may_request": may_request,
        "explanation": eligibility.explanation if sees_all and sees_state else str(HIDDEN_BEFORE_ADOPTION),
    }


class MandatoryOffsetStateSerializer(RegistrySerializer):
    member_state = serializers.CharField(help_text="Eurostat code of the contributing state.")
    name = serializers.CharField(help_text="The state's name.")
    share = serializers.DecimalField(
        max_digits=9, decimal_places=4, help_text="Its share in the key, in percent (Art. 66)."
    )
    fair_share_relocations = serializers.IntegerField(
        help_text="Its fair share in relocations (a deduction lowers pledges, not the fair share)."
    )
    pledged_relocations = serializers.IntegerField(help_text="Its counted relocation pledges.")
    key_part = serializers.IntegerField(
        help_text="Its key share of `applications` among the contributing states, rounded by the cycle's rule."
    )
    room = serializers.IntegerField(help_text="What its relocation pledges leave of its fair share.")
    applications = serializers.IntegerField(
        help_text="Applications it takes responsibility for: the lower of `key_part` and `room`."
    )


class MandatoryOffsetsSerializer(RegistrySerializer):
    cycle = serializers.IntegerField(help_text=CYCLE_HELP)
    threshold_percent = _percent("The cycle's threshold of Art. 63(3); 60 % (Regulation (EU) 2024/1359, recital 30).")
    needs = serializers.IntegerField(
        allow_null=True, help_text="Relocations of the Commission's proposal (Art. 12), the needs; null if none."
    )
    reference_relocations = serializers.IntegerField(help_text="Relocations of the pool (the Council act's).")
    threshold_relocations = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        allow_null=True,
        help_text="`threshold_percent` of `needs`: the pledges below which offsets are mandatory.",
    )
    pledged_relocations = serializers.IntegerField(
        allow_null=True, help_text="Counted relocation pledges of every state; null where you may not see them."
    )
    triggered = serializers.BooleanField(
        allow_null=True,
        help_text="Whether Art. 63(3) applies; null without a proposal or where it rests on pledges you may not see.",
    )
    shortfall_needs = serializers.IntegerField(
        allow_null=True,
        help_text="Point (a) as read (not verified): relocations missing to the threshold of the needs.",
    )
    shortfall_reference = serializers.IntegerField(
        allow_null=True,
        help_text="Point (b) as read (not verified): relocations missing to the threshold of the pool's number.",
    )
    applications = serializers.IntegerField(
        allow_null=True, help_text="The higher of the two: applications contributing states take, in all."
    )
    assigned = serializers.IntegerField(
        allow_null=True, help_text="The sum of the states' numbers; lower where a state's room caps its part."
    )
    states = MandatoryOffsetStateSerializer(
        many=True, help_text="Each contributing state's number, in protocol order; empty when they do not apply."
    )
    explanation = serializers.CharField(help_text="Whether mandatory offsets apply, and why, in words.")


def _hidden_mandatory_offsets(cycle) -> dict:
    """What a viewer who may not read every state's pledges (Art. 57) reads of the mandatory offsets."""
    hidden = dict.fromkeys(MANDATORY_RESTING_ON_PLEDGES)
    return {
        **hidden,
        "cycle": cycle.year,
        "threshold_percent": cycle.mandatory_offset_threshold_percent,
        "needs": cycle.proposal_relocations or None,
        "reference_relocations": cycle.reference_relocations,
        "states": [],
        "explanation": str(HIDDEN_BEFORE_ADOPTION),
    }


MANDATORY_RESTING_ON_PLEDGES = (
    "threshold_relocations",
    "pledged_relocations",
    "triggered",
    "shortfall_needs",
    "shortfall_reference",
    "applications",
    "assigned",
)


def mandatory_offsets_payload(offsets: MandatoryOffsets | None, *, cycle, viewer) -> dict:
    """The mandatory offsets of ``cycle``, or, before the Council act for a viewer who may not read every
    state's pledges (Art. 57), only the figures that do not rest on them (``offsets`` is then not needed)."""
    if offsets is None or not sees_every_state_pledges(viewer, cycle):
        return _hidden_mandatory_offsets(cycle)
    return {
        "cycle": cycle.year,
        "threshold_percent": offsets.threshold_percent,
        "needs": offsets.needs,
        "reference_relocations": offsets.reference_relocations,
        **{name: getattr(offsets, name) for name in MANDATORY_RESTING_ON_PLEDGES},
        "states": [
            {
                "member_state": row.member_state.code,
                "name": row.member_state.name,
                "share": row.share_percent,
                "fair_share_relocations": row.fair_share_relocations,
                "pledged_relocations": row.pledged_relocations,
                "key_part": row.key_part,
                "room": row.room,
                "applications": row.applications,
            }
            for row in offsets.states
        ],
        "explanation": offsets.explanation,
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
            "Open once relocation pledges reach the cycle's threshold (50 % in the regulation) of the proposal's "
            "relocations (Art. 63(1)), or towards a state that pledged that share of its fair share as relocations "
            "(Art. 63(2)); else 409 `offsets_not_open`. "
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
            "Relocation pledges against the cycle's threshold (`threshold_percent`, 50 % in the regulation) of the "
            "proposal's relocations, and, with `contributing_state`, that state's relocation pledges against the "
            "same share of its fair share. Before the Council act the figures you "
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
    mandatory=extend_schema(
        summary="Whether offsets are mandatory in a cycle, and for how many applications per state (Art. 63(3))",
        description=(
            "Counted relocation pledges against the cycle's threshold (60 %) of the Commission proposal's "
            "relocations: below it, contributing states take responsibility for applications up to the higher "
            "of two numbers, shared by the key and capped by what each state's relocation pledges leave of its "
            "fair share. Points (a) and (b) of Art. 63(3) and Art. 63(4) were not read in the Official Journal: "
            "the figures follow the reading stated in `shortfall_needs` and `shortfall_reference`. Before the "
            "Council act the figures resting on pledges you may not see are null and `states` is empty. "
            "`cycle` missing or malformed: 400; a year with no cycle: 404 `does_not_exist`, as for `eligibility`."
        ),
        parameters=[
            OpenApiParameter("cycle", YEAR_SCHEMA, OpenApiParameter.QUERY, required=True, description=CYCLE_HELP),
        ],
        responses={200: MandatoryOffsetsSerializer, **error_responses(400, 403, 404)},
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

    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def mandatory(self, request, *args, **kwargs):
        query = OffsetEligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = query.validated_data["cycle"]
        offsets = mandatory_offsets(cycle) if sees_every_state_pledges(request.user, cycle) else None
        payload = mandatory_offsets_payload(offsets, cycle=cycle, viewer=request.user)
        return Response(MandatoryOffsetsSerializer(payload).data)
