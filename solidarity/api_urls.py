"""/api/v1/: one router; each package registers its own viewsets, in the order of the layers."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from compliance import api as compliance_api
from pledges.implementation import api as implementation_api
from pledges.negotiation import api as negotiation_api
from pledges.pledging import api as pledging_api
from solidarity.domain import api as cycles_api
from solidarity.domain import api_scenarios
from solidarity.platform import audit_api

router = DefaultRouter()
for package_api in (
    cycles_api,
    api_scenarios,
    pledging_api,
    implementation_api,
    negotiation_api,
    compliance_api,
    audit_api,
):
    package_api.register(router)

urlpatterns = [path("", include(router.urls))]
