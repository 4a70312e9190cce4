"""Pages of the pool in implementation, under /pledges/implementation/ in the ``pledges`` namespace."""

from django.urls import path

from pledges.implementation import views

urlpatterns = [
    path("pool/", views.pool_dashboard, name="pool"),
    path("activations/", views.activation_list, name="activations"),
    path("activations/propose/", views.activation_pledges, name="activation-pledges"),
    path("activations/propose/<int:pledge_id>/", views.activation_propose_view, name="activation-propose"),
    path("activations/<int:pk>/", views.activation_detail, name="activation"),
    path("activations/<int:pk>/answer/", views.activation_answer, name="activation-answer"),
    path("activations/<int:pk>/fulfilment/", views.activation_fulfilment, name="activation-fulfilment"),
    path("deductions/", views.deduction_list, name="deductions"),
    path("deductions/request/", views.deduction_request_view, name="deduction-request"),
    path("deductions/<int:pk>/", views.deduction_detail, name="deduction"),
    path("deductions/<int:pk>/decide/", views.deduction_decide_view, name="deduction-decide"),
    path("offsets/", views.offset_list, name="offsets"),
    path("offsets/request/", views.offset_request_view, name="offset-request"),
    path("offsets/<int:pk>/", views.offset_detail, name="offset"),
    path("offsets/<int:pk>/answer/", views.offset_answer_view, name="offset-answer"),
]
