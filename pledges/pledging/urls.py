"""Pages of officials' pledges, under /pledges/ in the ``pledges`` namespace."""

from django.urls import path

from pledges.pledging import views

urlpatterns = [
    path("", views.pledge_list_page, name="list"),
    path("new/", views.pledge_create_page, name="create"),
    path("<int:pk>/", views.pledge_detail_page, name="detail"),
    path("<int:pk>/edit/", views.pledge_edit_page, name="edit"),
    path("<int:pk>/transition/", views.pledge_transition_page, name="transition"),
]
