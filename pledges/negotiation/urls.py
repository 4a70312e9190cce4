"""Negotiation pages, included under /pledges/negotiation/ in the ``pledges`` namespace."""

from django.urls import path

from pledges.negotiation import views

urlpatterns = [
    path("", views.negotiation_index, name="negotiation"),
    path("<int:year>/matrix/", views.matrix, name="matrix"),
    # One name, two timelines: reverse picks the one whose argument is given (code or topic_id).
    path("<int:year>/states/<str:code>/", views.state_timeline, name="timeline"),
    path("<int:year>/topics/<int:topic_id>/", views.topic_timeline, name="timeline"),
    path("<int:year>/meetings/", views.meetings, name="meetings"),
    path("<int:year>/meetings/<int:pk>/", views.meeting, name="meeting"),
    path("<int:year>/comparison/", views.comparison, name="comparison"),
    path("positions/<int:pk>/", views.position_detail, name="position"),
    path("positions/<int:pk>/edit/", views.position_edit, name="position-edit"),
]
