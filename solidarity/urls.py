from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from solidarity.domain import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("solidarity.accounts.urls")),
    path("api/v1/", include("solidarity.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("pledges/", include("pledges.urls")),
    path("compliance/", include("compliance.urls")),
    path("audit/", include("solidarity.platform.audit_urls")),
    path("", include("solidarity.domain.urls")),
]

# Under /api/ every error is answered in the API's JSON error shape; elsewhere by the registry's pages.
handler400 = "solidarity.platform.error_views.bad_request"
handler403 = "solidarity.platform.error_views.permission_denied"
handler404 = "solidarity.platform.api.page_not_found"
handler500 = "solidarity.platform.error_views.server_error"
