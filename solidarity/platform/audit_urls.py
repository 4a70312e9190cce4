"""The auditors' pages, under /audit/ in the ``audit`` namespace."""

from django.urls import path

from solidarity.platform import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_log, name="log"),
    path("<str:model>/<str:pk>/", audit_views.object_history_page, name="object"),
]
