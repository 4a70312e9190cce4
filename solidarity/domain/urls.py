from django.urls import path

from solidarity.domain import legal_basis_views, scenario_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("fair-shares/", views.current_fair_shares, name="fair-shares-current"),
    path("cycles/<int:year>/fair-shares/", views.fair_shares, name="fair-shares"),
    path("cycles/<int:year>/transition/", views.cycle_transition, name="cycle-transition"),
    path("cycles/<int:year>/scenarios/", scenario_views.scenario_list, name="scenarios"),
    path("cycles/<int:year>/scenarios/new/", scenario_views.scenario_new, name="scenario-new"),
    path("scenarios/<int:pk>/", scenario_views.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/delete/", scenario_views.scenario_remove, name="scenario-delete"),
    path("legal-basis/", legal_basis_views.legal_basis, name="legal-basis"),
]
