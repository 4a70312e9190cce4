"""The /api/v1/ endpoints of Member States, cycles, fair shares, designations and reference figures.

Every write goes through a service (``solidarity.services``) or, for reference figures, through
``workflow.update_fields`` under a row lock; viewsets only validate input, ask ``rules`` and serialize.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from solidarity.domain import filters
from solidarity.domain.api_fair_shares import FairShareRowSerializer, fair_share_payload
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import (
    Designation,
    MemberState,
    ReferenceFigure,
    SolidarityCycle,
)
from solidarity.domain.selectors import fair_share_table
from solidarity.domain.services import cycle_create, cycle_transition, cycle_update, designation_set
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    WRITE_ERRORS,
    ActionPermission,
    ListFilterBackend,
    ServiceCreateMixin,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    VersionedUpdateMixin,
    WriteControlFields,
    error_responses,
    request_example,
    with_etag,
)
from solidarity.platform.errors import Conflict
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.serializers import RegistryModelSerializer, StateCodeField
from solidarity.platform.workflow import check_version, lock

# --- Serializers -----------------------------------------------------------------------------------------


class MemberStateSerializer(RegistryModelSerializer):
    class Meta:
        model = MemberState
        fields = ["code", "name", "protocol_order", "eu_member", "bound_by_solidarity", "dublin_associated", "note"]


class CycleSerializer(WriteControlFields, RegistryModelSerializer):
    forum_dates = serializers.ListField(
        child=serializers.DateField(), required=False, help_text="Dates of the High-Level Forum meetings (Art. 13)."
    )
    pledges_are_public = serializers.BooleanField(
        read_only=True, help_text="True once the Council act is adopted (Art. 57): pledges are public and binding."
    )
    states_in_key = serializers.ListField(
        child=StateCodeField(),
        required=False,
        max_length=40,
        help_text=(
            "Codes of the states the cycle's key runs over (Art. 66); left out on creation: the states bound by "
            "the solidarity part. Pledges of other states are ad hoc (Art. 13(1))."
        ),
    )

    class Meta:
        model = SolidarityCycle
        fields = [
            "year",
            "status",
            "pledges_are_public",
            "reference_relocations",
            "reference_financial_eur",
            "proposal_relocations",
            "proposal_financial_eur",
            "eur_per_relocation",
            "weight_population",
            "weight_gdp",
            "relocation_rounding",
            "states_in_key",
            "sar_share_percent",
            "offset_threshold_percent",
            "mandatory_offset_threshold_percent",
            "legal_basis",
            "report_reference",
            "report_date",
            "pressure_decision_reference",
            "pressure_decision_date",
            "proposal_date",
            "forum_dates",
            "political_agreement_date",
            "council_act_reference",
            "council_act_date",
            "applies_from",
            "regulation_applies_from",
            "regulation_applies_from_source",
            "implementation_deadline",
            "notes",
            "version",
            "reason",
        ]
        # The Art. 63 thresholds are read, not written, over the API: the regulation sets them.
        read_only_fields = ["status", "offset_threshold_percent", "mandatory_offset_threshold_percent"]

    def validate_forum_dates(self, value):
        # Stored in a JSONField: ISO strings, which is also how they are read back.
        return [day.isoformat() for day in value]


class CycleTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(SolidarityCycle.TRANSITIONS)
    council_act_reference = serializers.CharField(
        required=False, allow_blank=True, help_text="For `adopt`: the Council implementing act (Art. 57)."
    )
    council_act_date = serializers.DateField(required=False, allow_null=True, help_text="For `adopt`: its date.")


class CycleTransitionResultSerializer(CycleSerializer):
    recorded_pledges = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="For `adopt`: how many submitted pledges became binding."
    )
    drafts_left = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        read_only=True,
        help_text="For `adopt`: ids of the draft pledges left unrecorded (they are reported, not recorded).",
    )

    class Meta(CycleSerializer.Meta):
        fields = [*CycleSerializer.Meta.fields, "recorded_pledges", "drafts_left"]


class DesignationSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = serializers.SlugRelatedField(
        slug_field="year", queryset=SolidarityCycle.objects.all(), help_text="The cycle's year."
    )
    member_state = serializers.PrimaryKeyRelatedField(queryset=MemberState.objects.all(), help_text="Eurostat code.")

    class Meta:
        model = Designation
        fields = ["id", "cycle", "member_state", "kind", "ground", "source", "version", "reason"]


class ReferenceFigureSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = serializers.SlugRelatedField(slug_field="year", read_only=True, help_text="The cycle's year.")
    member_state = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Eurostat code.")

    class Meta:
        model = ReferenceFigure
        fields = [
            "id",
            "cycle",
            "member_state",
            "population",
            "population_reference_date",
            "population_source",
            "gdp_eur_million",
            "gdp_reference_year",
            "gdp_source",
            "verified",
            "version",
            "reason",
        ]


# A cycle's year and a state's code in the query of an action, bounded as their columns are.
YEAR_SCHEMA = {"type": "integer", "minimum": 2026, "maximum": 32767}
STATE_CODE_SCHEMA = {"type": "string", "maxLength": MemberState._meta.get_field("code").max_length}
YEAR = OpenApiParameter("year", int, OpenApiParameter.PATH, description="The cycle's year, e.g. 2026.")
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Eurostat code, e.g. `BE` or `EL`.")


@extend_schema_view(
    list=extend_schema(
        summary="List Member States",
        description="The 27 Member States and the 4 Dublin-associated states, in protocol order.",
        responses={200: MemberStateSerializer(many=True), **error_responses(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One Member State by its Eurostat code",
        description="Greece is `EL` (Eurostat), not `GR`. 404 for a code that is not one of the 31 states.",
        responses={200: MemberStateSerializer, **error_responses(403, 404)},
        parameters=[CODE],
    ),
)
class MemberStateViewSet(RefusesNullCharacters, viewsets.ReadOnlyModelViewSet):
    queryset = MemberState.objects.all()
    serializer_class = MemberStateSerializer
    permission_classes = [ActionPermission]
    filter_backends = [ListFilterBackend]
    filterset_class = filters.MemberStateFilter
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{2}"


@extend_schema_view(
    list=extend_schema(
        summary="List solidarity cycles",
        description="Every cycle, newest first. Readable by every logged-in user.",
        responses={200: CycleSerializer(many=True), **error_responses(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One cycle by its year",
        description='The response carries `ETag: "<version>"`.',
        responses={200: CycleSerializer, **error_responses(403, 404)},
        parameters=[YEAR, ETAG],
    ),
    create=extend_schema(
        summary="Create a cycle (coordinator)",
        description=(
            "Starts in `preparation`. The weights, the euro value of a relocation and the rounding rule default to "
            "those of Annex I (0.5 / 0.5, EUR 20 000, round up). 409 `unique` when the year has a cycle already. "
            "Give a `reason`; it is kept in the audit trail."
        ),
        responses={201: CycleSerializer, **error_responses(400, 403, 409)},
        parameters=[ETAG],
        examples=[
            request_example(
                "The 2028 cycle",
                {
                    "year": 2028,
                    "reference_relocations": 30000,
                    "reference_financial_eur": "600000000.00",
                    "legal_basis": "Regulation (EU) 2024/1351, Art. 12",
                    "report_reference": "COM(2027) 750",
                    "report_date": "2027-10-15",
                    "reason": "European Annual Asylum and Migration Report adopted",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a cycle's data (coordinator)",
        description=(
            "Needs If-Match (or `version`): a stale one gets 412, a missing one 428. `status` changes only "
            "through `transition/`; `year` cannot change."
        ),
        responses={200: CycleSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[YEAR, IF_MATCH, ETAG],
        examples=[
            request_example(
                "The reference numbers of the Council act",
                {
                    "year": 2027,
                    "reference_relocations": 21000,
                    "reference_financial_eur": "420000000.00",
                    "version": 1,
                    "reason": "Reference numbers as amended by the Council",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change some of a cycle's data (coordinator)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
        responses={200: CycleSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[YEAR, IF_MATCH, ETAG],
        examples=[
            request_example(
                "Record the political agreement",
                {"political_agreement_date": "2027-12-08", "version": 1, "reason": "Council agreement reached"},
            )
        ],
    ),
    transition=extend_schema(
        summary="Move a cycle to its next stage (coordinator)",
        description=(
            "`preparation -propose-> proposed -open_pledging-> pledging -adopt-> adopted -start_application-> "
            "in_application -close-> closed`. `adopt` needs `council_act_reference` and `council_act_date` "
            "(AMMR Art. 57; 409 `council_act_required` when the cycle has neither) and records every submitted "
            "pledge as binding in the same transaction; the draft "
            "pledges left are listed in `drafts_left`. 409 when the transition is not allowed from the current "
            "stage, 403 for anyone but the coordinator, 400 on an unknown transition or a missing reason."
        ),
        request=CycleTransitionSerializer,
        responses={200: CycleTransitionResultSerializer, **error_responses(400, 403, 404, 409)},
        parameters=[YEAR, ETAG],
        examples=[
            request_example(
                "Adopt the Council act",
                {
                    "transition": "adopt",
                    "council_act_reference": "Council Implementing Decision (EU) 2027/0001",
                    "council_act_date": "2027-12-15",
                    "reason": "Council implementing act adopted (Art. 57)",
                },
            ),
            request_example("Open the pledging exercise", {"transition": "open_pledging", "reason": "Pool proposed"}),
        ],
    ),
    fair_shares=extend_schema(
        summary="The cycle's fair-share table",
        description=(
            "One row per state (all of them, in protocol order, not paginated): the key of AMMR Art. 66 and "
            "Annex I computed from the cycle's reference figures, granted deductions, the official share of "
            "the Council act, and the counted pledges (submitted or recorded). Before adoption a state's "
            "pledged totals are shown only to that state, the coordinator and auditors (null otherwise). "
            "409 `reference_figure_missing` names the states whose figures are missing."
        ),
        responses={
            200: FairShareRowSerializer(many=True),
            **error_responses(
                403, 404, 409, meanings={409: "The key cannot be computed (e.g. `reference_figure_missing`)."}
            ),
        },
        parameters=[YEAR],
    ),
)
class CycleViewSet(
    RefusesNullCharacters,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    TransitionActionMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = SolidarityCycle.objects.all()
    serializer_class = CycleSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "solidarity.manage_cycle",
        "update": "solidarity.change_solidaritycycle",
        "partial_update": "solidarity.change_solidaritycycle",
        "transition": "solidarity.manage_cycle",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = filters.CycleFilter
    lookup_field = "year"
    lookup_value_regex = "[0-9]+"
    immutable_fields = ("year", "status")
    transition_serializer_class = CycleTransitionSerializer

    def perform_service_create(self, fields, *, actor, reason):
        return cycle_create(actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return cycle_update(
            cycle=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )

    def perform_transition(self, instance, *, data, actor):
        outcome = cycle_transition(
            cycle=instance,
            transition=data["transition"],
            actor=actor,
            reason=data["reason"],
            council_act_reference=data.get("council_act_reference") or "",
            council_act_date=data.get("council_act_date"),
        )
        adopted = data["transition"] == "adopt"
        body = {
            **CycleSerializer(outcome.cycle).data,
            "recorded_pledges": outcome.recorded_pledges if adopted else None,
            "drafts_left": [pledge.pk for pledge in outcome.drafts_left or ()] if adopted else None,
        }
        return with_etag(Response(body), outcome.cycle)

    @action(detail=True, methods=["get"], url_path="fair-shares", filter_backends=[], pagination_class=None)
    def fair_shares(self, request, *args, **kwargs):
        cycle = self.get_object()
        try:
            rows = fair_share_table(cycle, viewer=request.user)
        except FairShareError as error:
            # The key cannot be computed from the stored inputs: a state of the data, not of the request.
            raise Conflict(str(error), code=error.code, extra={"member_states": list(error.member_states)}) from None
        return Response(FairShareRowSerializer([fair_share_payload(row) for row in rows], many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List designations of the pressure decisions",
        description="Art. 11 designations, filterable by cycle year, Member State and kind.",
        responses={200: DesignationSerializer(many=True), **error_responses(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One designation",
        responses={200: DesignationSerializer, **error_responses(403, 404)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Record a designation (coordinator)",
        description="One per cycle, state and kind; only `under_pressure` carries a `ground`. Give a `reason`.",
        responses={201: DesignationSerializer, **error_responses(400, 403)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Greece under migratory pressure",
                {
                    "cycle": 2027,
                    "member_state": "EL",
                    "kind": "under_pressure",
                    "ground": "arrivals",
                    "source": "Commission implementing decision on the pool, Annex",
                    "reason": "Annual report designations",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a designation's ground and source (coordinator)",
        description="`cycle`, `member_state` and `kind` cannot change. Needs If-Match (or `version`).",
        responses={200: DesignationSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Search and rescue as the ground",
                {
                    "cycle": 2026,
                    "member_state": "IT",
                    "kind": "under_pressure",
                    "ground": "sar",
                    "source": "Commission implementing decision, Annex",
                    "version": 1,
                    "reason": "Ground corrected after the decision's publication",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a designation's ground or source (coordinator)",
        description="Needs If-Match (or `version`) and a `reason`.",
        responses={200: DesignationSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Cite the published decision",
                {"source": "OJ L, 2026/112, Annex", "version": 1, "reason": "Official reference published"},
            )
        ],
    ),
)
class DesignationViewSet(
    RefusesNullCharacters, ServiceCreateMixin, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = Designation.objects.select_related("cycle")
    serializer_class = DesignationSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "solidarity.add_designation",
        "update": "solidarity.change_designation",
        "partial_update": "solidarity.change_designation",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = filters.DesignationFilter
    immutable_fields = ("cycle", "member_state", "kind")

    def perform_service_create(self, fields, *, actor, reason):
        return designation_set(actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        with transaction.atomic():
            locked = lock(Designation, instance.pk)
            check_version(locked, expected_version)
            return designation_set(
                cycle=instance.cycle,
                member_state=instance.member_state,
                kind=locked.kind,
                ground=changes.get("ground", locked.ground),
                source=changes.get("source", locked.source),
                actor=actor,
                reason=reason,
            )


@extend_schema_view(
    list=extend_schema(
        summary="List reference figures",
        description="Population and GDP per cycle and state (the key's inputs, Art. 66 and Annex I).",
        responses={200: ReferenceFigureSerializer(many=True), **error_responses(400, 403)},
    ),
    retrieve=extend_schema(
        summary="One reference figure",
        responses={200: ReferenceFigureSerializer, **error_responses(403, 404)},
        parameters=[ETAG],
    ),
    update=extend_schema(
        summary="Replace a reference figure (coordinator)",
        description="`cycle` and `member_state` cannot change. Needs If-Match (or `version`) and a `reason`.",
        responses={200: ReferenceFigureSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Eurostat figures of 1 January",
                {
                    "population": 11832049,
                    "population_reference_date": "2025-01-01",
                    "population_source": "Eurostat demo_pjan",
                    "gdp_eur_million": "614832.40",
                    "gdp_reference_year": 2024,
                    "gdp_source": "Eurostat nama_10_gdp",
                    "verified": True,
                    "version": 1,
                    "reason": "Official figures published",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Correct a reference figure (coordinator)",
        description="E.g. mark it verified, or set the official figure. Needs If-Match (or `version`) and a `reason`.",
        responses={200: ReferenceFigureSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Mark it verified",
                {"verified": True, "version": 1, "reason": "Checked against Eurostat demo_pjan"},
            )
        ],
    ),
)
class ReferenceFigureViewSet(
    RefusesNullCharacters, VersionedUpdateMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = ReferenceFigure.objects.select_related("cycle")
    serializer_class = ReferenceFigureSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "update": "solidarity.change_referencefigure",
        "partial_update": "solidarity.change_referencefigure",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = filters.ReferenceFigureFilter
    immutable_fields = ("cycle", "member_state")


def register(router) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("member-states", MemberStateViewSet, basename="member-state")
    router.register("cycles", CycleViewSet, basename="cycle")
    router.register("designations", DesignationViewSet, basename="designation")
    router.register("reference-figures", ReferenceFigureViewSet, basename="reference-figure")
