"""Pages of the pool in implementation, under /pledges/implementation/ in the ``pledges`` namespace."""

from django.urls import path

from pledges.implementation import deduction_views, offset_views, pool_views, views

urlpatterns = [
    path("pool/", pool_views.pool_dashboard, name="pool"),
    path("activations/", views.activation_list, name="activations"),
    path("activations/propose/", views.activation_pledges, name="activation-pledges"),
    path("activations/propose/<int:pledge_id>/", views.activation_propose_view, name="activation-propose"),
    path("activations/<int:pk>/", views.activation_detail, name="activation"),
    path("activations/<int:pk>/answer/", views.activation_answer, name="activation-answer"),
    path("activations/<int:pk>/fulfilment/", views.activation_fulfilment, name="activation-fulfilment"),
    path("deductions/", deduction_views.deduction_list, name="deductions"),
    path("deductions/request/", deduction_views.deduction_request_view, name="deduction-request"),
    path("deductions/<int:pk>/", deduction_views.deduction_detail, name="deduction"),
    path("deductions/<int:pk>/decide/", deduction_views.deduction_decide_view, name="deduction-decide"),
    path("offsets/", offset_views.offset_list, name="offsets"),
    path("offsets/request/", offset_views.offset_request_view, name="offset-request"),
    path("offsets/<int:pk>/", offset_views.offset_detail, name="offset"),
    path("offsets/<int:pk>/answer/", offset_views.offset_answer_view, name="offset-answer"),
]
