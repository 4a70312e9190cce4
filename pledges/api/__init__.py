"""/api/v1/ resources of the pledges app: pledges and what hangs on them, and negotiation tracking."""

from pledges.api import negotiation, pledges


def register(router) -> None:
    pledges.register(router)
    negotiation.register(router)


extra_urlpatterns = [*getattr(pledges, "extra_urlpatterns", []), *getattr(negotiation, "extra_urlpatterns", [])]
