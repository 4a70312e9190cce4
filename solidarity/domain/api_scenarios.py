"""/api/v1/scenarios/: what-if variants of a cycle's key, and their fair shares beside the official ones.

Writes go through ``solidarity.scenarios`` (negotiators and the coordinator); reads start from
``scenarios_visible_to``, so a delegation's private scenario is a 404 for every other delegation.
"""

from decimal import Decimal

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from solidarity.domain.fairshare import FairShareError
from solidarity.domain.filters import StateCodeFilter, YearFilter
from solidarity.domain.models import Scenario, SolidarityCycle
from solidarity.domain.scenarios import (
    ScenarioRow,
    scenario_create,
    scenario_delete,
    scenario_fair_shares,
    scenario_update,
    scenarios_visible_to,
)
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    ActionPermission,
    ListFilterBackend,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    WriteControlFields,
    error_responses,
    expected_version,
    request_example,
    request_reason,
)
from solidarity.platform.errors import Conflict
from solidarity.platform.filters import StableOrderingFilter, StrictBooleanFilter
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.serializers import RegistryModelSerializer, RegistrySerializer, StateCodeField

WRITE_ERRORS = (400, 401, 403, 404, 412, 428)


class ScenarioFilter(filters.FilterSet):
    cycle = YearFilter(field_name="cycle__year", help_text="The cycle's year, e.g. 2026.")
    shared = StrictBooleanFilter(help_text="Shared with every delegation (true) or private (false).")
    author_state = StateCodeFilter(field_name="author_state_id", help_text="Eurostat code of the author's delegation.")
    ordering = StableOrderingFilter(
        fields=(("cycle__year", "cycle"), ("title", "title"), ("created_at", "created_at")),
        help_text="Sort by `cycle`, `title` (the default within a cycle) or `created_at`; prefix `-` to reverse.",
    )

    class Meta:
        model = Scenario
        fields = ["cycle", "shared", "author_state"]


class ScenarioSerializer(WriteControlFields, RegistryModelSerializer):
    cycle = serializers.SlugRelatedField(
        slug_field="year",
        queryset=SolidarityCycle.objects.all(),
        help_text="The cycle the scenario varies; what you leave out is copied from it.",
    )
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    author_state = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The author's delegation (null for the coordinator's staff)."
    )
    reference_relocations = serializers.IntegerField(
        required=False, min_value=0, help_text="Reference number of relocations; default: the cycle's."
    )
    reference_financial_eur = serializers.DecimalField(
        max_digits=15, decimal_places=2, min_value=0, required=False, help_text="Reference euros; default: the cycle's."
    )
    eur_per_relocation = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Value of one relocation when pledges are compared (Art. 56(2)); default: the cycle's.",
    )
    weight_population = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=0, max_value=1, required=False, help_text="Default: the cycle's."
    )
    weight_gdp = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        required=False,
        help_text="Default: the cycle's. The two weights add up to 1 (Annex I).",
    )
    deductions_percent = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=4, min_value=0, max_value=100),
        required=False,
        help_text=(
            'Deductions by state code, percent of the state\'s pledges: {"AT": "100"}. Default: the granted ones. '
            "Reported in `deduction_percent`; a deduction lowers pledges, never the fair share (Art. 61(1))."
        ),
    )
    states_in_key = serializers.ListField(
        child=StateCodeField(),
        required=False,
        help_text="Codes of the states in the key, e.g. to leave one out; empty: the cycle's key (Art. 66).",
    )

    class Meta:
        model = Scenario
        fields = [
            "id",
            "cycle",
            "title",
            "description",
            "author",
            "author_state",
            "shared",
            "reference_relocations",
            "reference_financial_eur",
            "eur_per_relocation",
            "weight_population",
            "weight_gdp",
            "relocation_rounding",
            "deductions_percent",
            "states_in_key",
            "created_at",
            "version",
            "reason",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"relocation_rounding": {"required": False, "help_text": "Default: the cycle's."}}


def _decimal(max_digits: int, places: int, help_text: str):
    return serializers.DecimalField(max_digits=max_digits, decimal_places=places, allow_null=True, help_text=help_text)


def _count(help_text: str):
    return serializers.IntegerField(allow_null=True, help_text=help_text)


class KeyColumnsSerializer(RegistrySerializer):
    """A state's line of one key (the scenario's or the official one); nulls outside the key or not visible."""

    in_key = serializers.BooleanField()
    share = _decimal(9, 4, "Share in percent, each rounded half-up to 4 places: the column may miss 100 by 0.0001s.")
    relocations = _count("Fair share in relocations.")
    financial_eur = _decimal(17, 2, "Fair share in euros.")
    deduction_percent = _decimal(
        9, 4, "Share of the state's pledges deducted, in percent (Arts 61-62); the fair share is unchanged by it."
    )
    obligation_relocations = _count("The fair share in relocations: equal to `relocations` (Art. 61(1)).")
    obligation_financial_eur = _decimal(17, 2, "The fair share in euros: equal to `financial_eur` (Art. 61(1)).")
    pledged_relocation_equivalent = _decimal(
        17, 2, "Counted pledges in relocation equivalents at this key's euro per relocation; null if not visible."
    )
    coverage = _decimal(11, 2, "Pledged equivalents in percent of the obligation; null if not visible or not in key.")


class ScenarioFairShareRowSerializer(RegistrySerializer):
    member_state = serializers.CharField(help_text="Eurostat code.")
    name = serializers.CharField()
    scenario = KeyColumnsSerializer(help_text="Under the scenario.")
    official = KeyColumnsSerializer(help_text="Under the cycle's own figures (as `cycles/{year}/fair-shares/`).")
    share_difference = _decimal(9, 4, "Scenario share minus official share, percentage points.")
    pledges_visible = serializers.BooleanField(help_text="Whether you may see this state's pledges.")
    pledged_relocations = _count("Counted relocation pledges (persons); null if not visible.")
    pledged_financial_eur = _decimal(17, 2, "Counted financial pledges; null if not visible.")
    pledged_alternative_eur = _decimal(17, 2, "Counted alternative measures, in euros; null if not visible.")


def _key_columns(row) -> dict:
    share = row.fair_share
    visible = row.pledges_visible

    def key(name):
        return None if share is None else getattr(share, name)

    return {
        "in_key": share is not None,
        "share": key("share_percent"),
        "relocations": key("relocations"),
        "financial_eur": key("financial_eur"),
        "deduction_percent": key("deduction_percent"),
        "obligation_relocations": key("obligation_relocations"),
        "obligation_financial_eur": key("obligation_financial_eur"),
        "pledged_relocation_equivalent": row.pledged_relocation_equivalent if visible else None,
        "coverage": row.coverage_percent,
    }


def scenario_row_payload(row: ScenarioRow) -> dict:
    visible = row.official.pledges_visible
    return {
        "member_state": row.member_state.code,
        "name": row.member_state.name,
        "scenario": _key_columns(row.scenario),
        "official": _key_columns(row.official),
        "share_difference": row.share_difference,
        "pledges_visible": visible,
        "pledged_relocations": row.official.pledged_relocations if visible else None,
        "pledged_financial_eur": row.official.pledged_financial_eur if visible else None,
        "pledged_alternative_eur": row.official.pledged_alternative_eur if visible else None,
    }


SCENARIO_EXAMPLE = OpenApiExample(
    "Without Hungary, population weighs more",
    value={
        "cycle": 2026,
        "title": "Population 60 %",
        "description": "What if population counted for 60 % of the key?",
        "weight_population": "0.6000",
        "weight_gdp": "0.4000",
        "deductions_percent": {"AT": "100", "PL": "100"},
        "shared": False,
        "reason": "Preparing the Technical-Level Forum",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List scenarios",
        description=("Your delegation's scenarios and the shared ones; the coordinator and auditors see all of them."),
        responses={200: ScenarioSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One scenario",
        description="404 for another delegation's private scenario, as for one that does not exist.",
        responses={200: ScenarioSerializer, **error_responses(401, 403, 404)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Build a scenario from a cycle (negotiators, coordinator)",
        description=(
            "Every parameter left out is copied from the cycle (deductions: the granted ones), so an empty "
            "scenario reproduces the official key. The weights must add up to 1. Give a `reason`."
        ),
        responses={201: ScenarioSerializer, **error_responses(400, 401, 403)},
        parameters=[ETAG],
        examples=[SCENARIO_EXAMPLE],
    ),
    update=extend_schema(
        summary="Replace a scenario (its delegation)",
        description="`cycle` cannot change. Needs If-Match (or `version`): a stale one gets 412, a missing one 428.",
        responses={200: ScenarioSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Back to the official weights",
                {
                    "cycle": 2026,
                    "title": "Official weights",
                    "description": "",
                    "shared": True,
                    "weight_population": "0.5000",
                    "weight_gdp": "0.5000",
                    "version": 1,
                    "reason": "Reference variant for the forum",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a scenario (its delegation)",
        description='As PUT, with only the fields sent; e.g. `{"shared": true}` shares it. Needs If-Match.',
        responses={200: ScenarioSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[request_example("Share it", {"shared": True, "version": 1, "reason": "For the technical forum"})],
    ),
    destroy=extend_schema(
        summary="Delete a scenario (its delegation)",
        description=(
            "Needs If-Match (or `version` in the body) and a `reason`: in the `X-Change-Reason` header, so that "
            "the request needs no body (or in the body, or the `reason` query parameter); the history keeps "
            "every version and who deleted it."
        ),
        responses={204: None, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH],
    ),
    fair_shares=extend_schema(
        summary="Fair shares under the scenario, beside the official ones",
        description=(
            "One row per state (all of them, protocol order, not paginated): share, fair share and pledge "
            "coverage under the scenario and under the cycle's own figures, computed by the same engine (AMMR "
            "Art. 66, Annex I). Pledged totals follow the cycle's rules: before the Council act only the "
            "state itself, the coordinator and auditors see them (null otherwise). 409 "
            "`reference_figure_missing` names the states whose reference figures are missing."
        ),
        responses={
            200: ScenarioFairShareRowSerializer(many=True),
            **error_responses(
                401, 403, 404, 409, meanings={409: "The key cannot be computed (e.g. `reference_figure_missing`)."}
            ),
        },
    ),
)
class ScenarioViewSet(
    RefusesNullCharacters,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ScenarioSerializer
    permission_classes = [ActionPermission]
    action_permissions = {
        "create": "solidarity.add_scenario",
        "update": "solidarity.change_scenario",
        "partial_update": "solidarity.change_scenario",
        "destroy": "solidarity.delete_scenario",
        "retrieve": "solidarity.view_scenario",
        "fair_shares": "solidarity.view_scenario",
    }
    filter_backends = [ListFilterBackend]
    filterset_class = ScenarioFilter
    lookup_value_regex = "[0-9]+"
    immutable_fields = ("cycle",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Scenario.objects.none()
        return scenarios_visible_to(self.request.user)

    def perform_service_create(self, fields, *, actor, reason):
        return scenario_create(cycle=fields.pop("cycle"), actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return scenario_update(
            scenario=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )

    def destroy(self, request, *args, **kwargs):
        scenario = self.get_object()
        reason = request_reason(request) or request.query_params.get("reason", "")
        scenario_delete(
            scenario=scenario, expected_version=expected_version(request), actor=request.user, reason=reason
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"], url_path="fair-shares", filter_backends=[], pagination_class=None)
    def fair_shares(self, request, *args, **kwargs):
        scenario = self.get_object()
        try:
            rows = scenario_fair_shares(scenario, viewer=request.user)
        except FairShareError as error:
            raise Conflict(str(error), code=error.code, extra={"member_states": list(error.member_states)}) from None
        return Response(ScenarioFairShareRowSerializer([scenario_row_payload(row) for row in rows], many=True).data)


def register(router) -> None:
    """Add the scenarios to the /api/v1/ router."""
    router.register("scenarios", ScenarioViewSet, basename="scenario")
