"""Where a created object is read: the ``Location`` header of every 201 (RFC 9110, 10.2.2)."""

from rest_framework import status
from rest_framework.response import Response


def detail_url(view, instance) -> str:
    """The absolute URL of ``instance`` on the detail route of ``view`` (the router's ``<basename>-detail``)."""
    lookup = view.lookup_url_kwarg or view.lookup_field
    return view.reverse_action("detail", kwargs={lookup: getattr(instance, view.lookup_field)})


def created(data, *, location: str) -> Response:
    """A 201 with the new object (or objects) and where to read it."""
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


def created_object(view, instance, data) -> Response:
    """A 201 for ``instance``, read back at its detail URL."""
    return created(data, location=detail_url(view, instance))
