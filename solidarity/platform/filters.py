"""One FilterSet per resource of the solidarity app, shared by the API and the pages.

Each carries its own ``ordering`` (django-filter's OrderingFilter) so that clients sort by the names
they see (``cycle``, ``member_state``) rather than by database paths; states sort in protocol order.
"""

from django_filters import rest_framework as filters


class StableOrderingFilter(filters.OrderingFilter):
    """Orders as asked, then by primary key, so that pages never share or skip a row on ties."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs
