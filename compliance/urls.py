from django.urls import include, path

app_name = "compliance"

urlpatterns = [path("", include("compliance.page_urls"))]
