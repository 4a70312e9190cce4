"""/api/v1/ resources of the compliance app."""

from compliance.api import resources


def register(router) -> None:
    resources.register(router)


extra_urlpatterns = getattr(resources, "extra_urlpatterns", [])
