"""/api/v1/: one router; each app registers its own viewsets."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from compliance import api as compliance_api
from pledges import api as pledges_api
from solidarity import api as solidarity_api
from solidarity import audit_api

router = DefaultRouter()
extra_urls = []
for app_api in (solidarity_api, pledges_api, compliance_api, audit_api):
    app_api.register(router)
    extra_urls += getattr(app_api, "extra_urlpatterns", [])

urlpatterns = [*extra_urls, path("", include(router.urls))]
