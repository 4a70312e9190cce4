"""``action-plans/``, ``benchmarks/`` and ``measurements/``: what a state committed to, and how far it got."""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from compliance import filters
from compliance.api.common import (
    CREATE_ERRORS,
    LIST_ERRORS,
    PERMISSIONS,
    READ_ERRORS,
    WRITE_ERRORS,
    ComplianceRecordViewSet,
)
from compliance.indicators import MEASURED_BY_HAND, MEASURED_FROM_DUBLIN, attach_measurements
from compliance.models import ActionPlan, Benchmark, Measurement
from compliance.selectors import BenchmarkStatus, benchmarks_with_measurements, expected_value
from compliance.services import action_plan_transition, compliance_record_create
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.api import (
    ETAG,
    IF_MATCH,
    ActionPermission,
    ListFilterBackend,
    ReasonField,
    TransitionActionMixin,
    TransitionNameField,
    TransitionRequestSerializer,
    WriteControlFields,
    error_responses,
    request_example,
    request_reason,
    with_etag,
)
from solidarity.platform.body_fields import check_body_fields
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.locations import created_object
from solidarity.platform.serializers import RegistryModelSerializer, RegistrySerializer
from solidarity.platform.workflow import require_reason

# --- Action plans --------------------------------------------------------------------------------------------


class ActionPlanSerializer(WriteControlFields, RegistryModelSerializer):
    member_state = serializers.PrimaryKeyRelatedField(queryset=MemberState.objects.all(), help_text="Eurostat code.")
    cycle = serializers.SlugRelatedField(
        slug_field="year", queryset=SolidarityCycle.objects.all(), help_text="The cycle's year."
    )

    class Meta:
        model = ActionPlan
        fields = ["id", "member_state", "cycle", "title", "summary", "status", "illustrative", "version", "reason"]
        read_only_fields = ["status"]
        validators = []  # one plan per state and cycle: the service answers a duplicate with 409


class ActionPlanTransitionSerializer(TransitionRequestSerializer):
    transition = TransitionNameField(ActionPlan.TRANSITIONS)


@extend_schema_view(
    list=extend_schema(
        summary="List action plans",
        description="One plan per state and cycle; filter by `member_state`, `cycle` (year) and `status`.",
        responses={200: ActionPlanSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One action plan",
        responses={200: ActionPlanSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Start an action plan (compliance officer)",
        description="Starts as `draft`; a second plan for the same state and cycle gets 409. Give a `reason`.",
        responses={201: ActionPlanSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Faster Dublin transfers",
                {
                    "member_state": "EL",
                    "cycle": 2026,
                    "title": "Dublin transfers within six months",
                    "summary": "More transfer staff and charter capacity.",
                    "reason": "Agreed at the technical meeting",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace an action plan's text (compliance officer)",
        description="`member_state` and `cycle` cannot change; `status` only through `transition/`. Needs "
        "If-Match (or `version`): a stale one gets 412, a missing one 428.",
        responses={200: ActionPlanSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "The whole text",
                {
                    "member_state": "EL",
                    "cycle": 2026,
                    "title": "Dublin transfers within six months",
                    "summary": "More transfer staff, charter capacity and a reply desk.",
                    "version": 1,
                    "reason": "Reply desk added",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change an action plan's text (compliance officer)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`); a `reason` unless a draft.",
        responses={200: ActionPlanSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[request_example("Retitle", {"title": "Dublin transfers on time", "version": 1, "reason": "Shorter"})],
    ),
    transition=extend_schema(
        summary="Move an action plan to its next stage (compliance officer)",
        description="`draft -agree-> agreed -start-> in_progress -complete-> completed`. 409 when not allowed "
        "from the current stage, 403 for anyone but a compliance officer, 400 on an unknown transition or a "
        "missing reason.",
        request=ActionPlanTransitionSerializer,
        responses={200: ActionPlanSerializer, **error_responses(400, 403, 404, 409)},
        parameters=[ETAG],
        examples=[request_example("Agree", {"transition": "agree", "reason": "Signed by both sides"})],
    ),
)
class ActionPlanViewSet(TransitionActionMixin, ComplianceRecordViewSet):
    model = ActionPlan
    queryset = ActionPlan.objects.select_related("cycle")
    serializer_class = ActionPlanSerializer
    filterset_class = filters.ActionPlanFilter
    immutable_fields = ("member_state", "cycle", "status")
    transition_serializer_class = ActionPlanTransitionSerializer

    def perform_transition(self, instance, *, data, actor):
        plan = action_plan_transition(plan=instance, transition=data["transition"], actor=actor, reason=data["reason"])
        return with_etag(Response(self.get_serializer(plan).data), plan)


# --- Benchmarks ----------------------------------------------------------------------------------------------


class BenchmarkListSerializer(serializers.ListSerializer):
    """Measures the whole page at once: one query for the Dublin rows of every linked benchmark."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        attach_measurements(items)
        return [self.child.to_representation(item) for item in items]


class BenchmarkSerializer(WriteControlFields, RegistryModelSerializer):
    action_plan = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.all(), help_text="The id of the action plan it belongs to."
    )
    member_state = serializers.CharField(
        source="action_plan.member_state_id", read_only=True, help_text="The plan's state (Eurostat code)."
    )
    cycle = serializers.IntegerField(source="action_plan.cycle.year", read_only=True, help_text="The plan's cycle.")
    status = serializers.ChoiceField(
        source="derived_status",
        choices=list(BenchmarkStatus.LABELS.items()),
        read_only=True,
        help_text="Derived as of today: the latest value against the target and against the straight line from "
        "baseline to target (`met`, `on_track`, `at_risk`, `missed`, `no_data`).",
    )
    measured_from = serializers.ChoiceField(
        choices=[MEASURED_BY_HAND, MEASURED_FROM_DUBLIN],
        read_only=True,
        help_text="`dublin_performance` when `linked_indicator` is set (measured automatically from the state's "
        "Dublin figures, per period), else `measurements`.",
    )
    latest_value = serializers.DecimalField(
        source="latest_point.value",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The latest value of the series; null without one.",
    )
    latest_date = serializers.DateField(
        source="latest_point.date",
        read_only=True,
        allow_null=True,
        help_text="Its date (for Dublin figures, the end of the period).",
    )
    expected_value = serializers.SerializerMethodField(
        help_text="Where the line from baseline to target stood on `latest_date`; null without a value."
    )

    class Meta:
        model = Benchmark
        list_serializer_class = BenchmarkListSerializer
        fields = [
            "id",
            "action_plan",
            "member_state",
            "cycle",
            "indicator",
            "linked_indicator",
            "unit",
            "baseline",
            "baseline_date",
            "target",
            "due_date",
            "direction",
            "status",
            "measured_from",
            "latest_value",
            "latest_date",
            "expected_value",
            "version",
            "reason",
        ]

    def to_representation(self, instance):
        if not hasattr(instance, "derived_status"):  # a single benchmark, not a page measured at once
            attach_measurements([instance])
        return super().to_representation(instance)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_expected_value(self, benchmark) -> str | None:
        latest = benchmark.latest_point
        if latest is None:
            return None
        return self.fields["latest_value"].to_representation(expected_value(benchmark, latest.date))


class SeriesPointSerializer(RegistrySerializer):
    date = serializers.DateField(help_text="The day the value stands for; for Dublin figures, the period's end.")
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    expected_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The line from baseline to target on that day."
    )
    source = serializers.CharField()
    period_kind = serializers.CharField(help_text="`month` or `quarter` for Dublin figures, else empty.")
    period_start = serializers.DateField(allow_null=True)
    dublin_performance = serializers.IntegerField(allow_null=True, help_text="The Dublin record it comes from.")
    measurement = serializers.IntegerField(allow_null=True, help_text="The measurement it comes from.")


@extend_schema_view(
    list=extend_schema(
        summary="List benchmarks with their derived status",
        description="Filter by `action_plan`, `member_state`, `cycle` (year), `due_from`/`due_to` and derived "
        "`status` (repeat it: `?status=at_risk&status=missed` is the early-warning list). A benchmark with a "
        "`linked_indicator` is measured from the state's Dublin performance, not from `measurements/`.",
        responses={200: BenchmarkSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One benchmark",
        responses={200: BenchmarkSerializer, **error_responses(*READ_ERRORS)},
        parameters=[ETAG],
    ),
    create=extend_schema(
        summary="Add a benchmark to an action plan (compliance officer)",
        description="The target must improve on the baseline in the given `direction` and be due after the "
        "baseline date. Give a `reason`.",
        responses={201: BenchmarkSerializer, **error_responses(*CREATE_ERRORS)},
        parameters=[ETAG],
        examples=[
            request_example(
                "Transfer rate from the Dublin figures",
                {
                    "action_plan": 1,
                    "indicator": "Share of accepted requests transferred",
                    "linked_indicator": "transfer_rate",
                    "unit": "%",
                    "baseline": "12.00",
                    "baseline_date": "2026-01-01",
                    "target": "30.00",
                    "due_date": "2026-12-31",
                    "direction": "higher",
                    "reason": "Benchmark of the action plan",
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a benchmark (compliance officer)",
        description="`action_plan` cannot change. Needs If-Match (or `version`): 412 when stale, 428 missing.",
        responses={200: BenchmarkSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[
            request_example(
                "Measured by hand",
                {
                    "action_plan": 1,
                    "indicator": "Dublin unit staff",
                    "linked_indicator": "",
                    "unit": "officers",
                    "baseline": "40.00",
                    "baseline_date": "2026-01-01",
                    "target": "70.00",
                    "due_date": "2026-12-31",
                    "direction": "higher",
                    "version": 1,
                    "reason": "Counted by hand",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a benchmark (compliance officer)",
        description="As PUT, with only the fields sent. Needs If-Match (or `version`) and a `reason`.",
        responses={200: BenchmarkSerializer, **error_responses(*WRITE_ERRORS)},
        parameters=[IF_MATCH, ETAG],
        examples=[request_example("Later deadline", {"due_date": "2027-06-30", "version": 1, "reason": "Extended"})],
    ),
    series=extend_schema(
        summary="A benchmark's measurement series",
        description="Oldest first: the linked indicator per Dublin-performance period of the state (periods "
        "ending before the baseline date left out), or the recorded measurements; each with the line value. "
        "Not paginated: the whole series, a JSON array.",
        responses={200: SeriesPointSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
)
class BenchmarkViewSet(ComplianceRecordViewSet):
    model = Benchmark
    queryset = benchmarks_with_measurements()
    serializer_class = BenchmarkSerializer
    filterset_class = filters.BenchmarkFilter
    immutable_fields = ("action_plan",)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def series(self, request, *args, **kwargs):
        benchmark = attach_measurements([self.get_object()])[0]
        points = [
            {
                "date": point.date,
                "value": point.value,
                "expected_value": expected_value(benchmark, point.date),
                "source": point.source,
                "period_kind": point.period_kind,
                "period_start": point.period_start,
                "dublin_performance": point.dublin_performance_id,
                "measurement": point.measurement_id,
            }
            for point in benchmark.series
        ]
        return Response(SeriesPointSerializer(points, many=True).data)


# --- Measurements --------------------------------------------------------------------------------------------


class MeasurementSerializer(RegistryModelSerializer):
    benchmark = serializers.PrimaryKeyRelatedField(queryset=Benchmark.objects.all(), help_text="The benchmark's id.")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reason = ReasonField()

    class Meta:
        model = Measurement
        fields = ["id", "benchmark", "date", "value", "source", "recorded_by", "reason"]
        validators = []  # one measurement per benchmark and date: the service answers a duplicate with 409

    def validate_benchmark(self, benchmark):
        if benchmark.linked_indicator:
            # Its series is the state's Dublin performance; a value entered here would never count.
            raise serializers.ValidationError(
                f"This benchmark is measured automatically from the {benchmark.get_linked_indicator_display()}; "
                "record the Dublin performance of the period instead.",
                code="measured_automatically",
            )
        return benchmark


@extend_schema_view(
    list=extend_schema(
        summary="List measurements of benchmarks",
        description="Filter by `benchmark`, `action_plan`, `member_state`, `cycle` and `date_from`/`date_to`.",
        responses={200: MeasurementSerializer(many=True), **error_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One measurement",
        description="Measurements are recorded once and never changed over the API, so they carry no version.",
        responses={200: MeasurementSerializer, **error_responses(*READ_ERRORS)},
    ),
    create=extend_schema(
        summary="Record a measurement (compliance officer)",
        description="One per benchmark and date (409 otherwise); refused with 400 `measured_automatically` for a "
        "benchmark linked to a Dublin-performance indicator. Give a `reason`.",
        responses={201: MeasurementSerializer, **error_responses(*CREATE_ERRORS)},
        examples=[
            request_example(
                "Staff counted",
                {
                    "benchmark": 2,
                    "date": "2026-06-30",
                    "value": "55.00",
                    "source": "Staff list of the Dublin unit",
                    "reason": "Mid-year count",
                },
            )
        ],
    ),
)
class MeasurementViewSet(
    RefusesNullCharacters,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Measurements carry no version, so they are recorded and read, not edited over the API."""

    queryset = Measurement.objects.select_related("recorded_by")
    serializer_class = MeasurementSerializer
    permission_classes = [ActionPermission]
    action_permissions = PERMISSIONS
    filter_backends = [ListFilterBackend]
    filterset_class = filters.MeasurementFilter

    def create(self, request, *args, **kwargs):
        # ServiceCreateMixin's flow without the ETag: a measurement has no version to match against.
        reason = require_reason(request_reason(request), omitted="")  # the service records "created"
        serializer = self.get_serializer(data=request.data)
        check_body_fields(serializer, request.data)
        serializer.is_valid(raise_exception=True)
        fields = {name: value for name, value in serializer.validated_data.items() if name != "reason"}
        measurement = compliance_record_create(model=Measurement, actor=request.user, reason=reason, **fields)
        return created_object(self, measurement, self.get_serializer(measurement).data)
