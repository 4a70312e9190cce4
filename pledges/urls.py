from django.urls import include, path

app_name = "pledges"

urlpatterns = [
    path("negotiation/", include("pledges.negotiation.urls")),
    path("implementation/", include("pledges.implementation.urls")),
    path("", include("pledges.pledging.urls")),
]
