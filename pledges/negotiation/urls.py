"""Negotiation pages, included under /pledges/negotiation/ in the ``pledges`` namespace."""

from django.urls import path

from pledges.negotiation import meeting_views, position_views, timeline_views, views

urlpatterns = [
    path("", views.negotiation_index, name="negotiation"),
    path("<int:year>/matrix/", views.matrix, name="matrix"),
    # One name, two timelines: reverse picks the one whose argument is given (code or topic_id).
    path("<int:year>/states/<str:code>/", timeline_views.state_timeline, name="timeline"),
    path("<int:year>/topics/<int:topic_id>/", timeline_views.topic_timeline, name="timeline"),
    path("<int:year>/meetings/", meeting_views.meetings, name="meetings"),
    path("<int:year>/meetings/<int:pk>/", meeting_views.meeting, name="meeting"),
    path("<int:year>/comparison/", views.comparison, name="comparison"),
    path("positions/<int:pk>/", position_views.position_detail, name="position"),
    path("positions/<int:pk>/edit/", position_views.position_edit, name="position-edit"),
]
