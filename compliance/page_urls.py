"""Compliance pages, under /compliance/ in the ``compliance`` namespace."""

from django.urls import path

from compliance import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("states/<str:code>/", views.state_page, name="state"),
    path("early-warning/", views.early_warning, name="early-warning"),
    path("dublin-performance/new/", views.dublin_create, name="dublin-create"),
    path("dublin-performance/<int:pk>/", views.dublin_detail, name="dublin-detail"),
    path("dublin-performance/<int:pk>/edit/", views.dublin_edit, name="dublin-edit"),
    path("secondary-movements/new/", views.secondary_create, name="secondary-create"),
    path("secondary-movements/<int:pk>/", views.secondary_detail, name="secondary-detail"),
    path("secondary-movements/<int:pk>/edit/", views.secondary_edit, name="secondary-edit"),
    path("action-plans/new/", views.action_plan_create, name="action-plan-create"),
    path("action-plans/<int:pk>/", views.action_plan_detail, name="action-plan-detail"),
    path("action-plans/<int:pk>/transition/", views.action_plan_transition, name="action-plan-transition"),
    path("action-plans/<int:plan_pk>/benchmarks/new/", views.benchmark_create, name="benchmark-create"),
    path("benchmarks/<int:pk>/", views.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/edit/", views.benchmark_edit, name="benchmark-edit"),
    path("benchmarks/<int:benchmark_pk>/measurements/new/", views.measurement_create, name="measurement-create"),
    path("findings/new/", views.finding_create, name="finding-create"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding-edit"),
    path("findings/<int:pk>/transition/", views.finding_transition, name="finding-transition"),
]
