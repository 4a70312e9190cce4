from django.urls import include, path

app_name = "pledges"

urlpatterns = [
    path("negotiation/", include("pledges.negotiation_urls")),
    path("implementation/", include("pledges.implementation_urls")),
    path("", include("pledges.pledge_urls")),
]
