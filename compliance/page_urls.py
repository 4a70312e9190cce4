"""Compliance pages, under /compliance/ in the ``compliance`` namespace."""

from django.urls import path

from compliance import finding_views, overview_views, plan_views, record_views

urlpatterns = [
    path("", overview_views.overview, name="overview"),
    path("states/<str:code>/", overview_views.state_page, name="state"),
    path("early-warning/", overview_views.early_warning, name="early-warning"),
    path("dublin-performance/new/", record_views.dublin_create, name="dublin-create"),
    path("dublin-performance/<int:pk>/", record_views.dublin_detail, name="dublin-detail"),
    path("dublin-performance/<int:pk>/edit/", record_views.dublin_edit, name="dublin-edit"),
    path("secondary-movements/new/", record_views.secondary_create, name="secondary-create"),
    path("secondary-movements/<int:pk>/", record_views.secondary_detail, name="secondary-detail"),
    path("secondary-movements/<int:pk>/edit/", record_views.secondary_edit, name="secondary-edit"),
    path("action-plans/new/", plan_views.action_plan_create, name="action-plan-create"),
    path("action-plans/<int:pk>/", plan_views.action_plan_detail, name="action-plan-detail"),
    path("action-plans/<int:pk>/transition/", plan_views.action_plan_transition, name="action-plan-transition"),
    path("action-plans/<int:plan_pk>/benchmarks/new/", plan_views.benchmark_create, name="benchmark-create"),
    path("benchmarks/<int:pk>/", plan_views.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/edit/", plan_views.benchmark_edit, name="benchmark-edit"),
    path("benchmarks/<int:benchmark_pk>/measurements/new/", plan_views.measurement_create, name="measurement-create"),
    path("findings/new/", finding_views.finding_create, name="finding-create"),
    path("findings/<int:pk>/", finding_views.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/edit/", finding_views.finding_edit, name="finding-edit"),
    path("findings/<int:pk>/transition/", finding_views.finding_transition, name="finding-transition"),
]
