"""/api/v1/ resources of the compliance app; one module per area, registered here."""

from compliance.api.findings import FindingViewSet
from compliance.api.plans import ActionPlanViewSet, BenchmarkViewSet, MeasurementViewSet
from compliance.api.records import DublinPerformanceViewSet, SecondaryMovementViewSet


def register(router) -> None:
    """Add the compliance viewsets to the /api/v1/ router."""
    router.register("dublin-performance", DublinPerformanceViewSet, basename="dublin-performance")
    router.register("secondary-movements", SecondaryMovementViewSet, basename="secondary-movement")
    router.register("action-plans", ActionPlanViewSet, basename="action-plan")
    router.register("benchmarks", BenchmarkViewSet, basename="benchmark")
    router.register("measurements", MeasurementViewSet, basename="measurement")
    router.register("findings", FindingViewSet, basename="finding")
