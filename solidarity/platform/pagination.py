"""The pages of every API list: one shape (count / next / previous / results), a ``Link`` header, strict parameters.

``page`` and ``page_size`` are whole numbers in plain decimal notation: ``page`` from 1 to the last page,
``page_size`` from 1 to ``MAX_PAGE_SIZE``. Anything else (0, a negative or signed number, a word, a page beyond
the last) is a 400 naming the parameter, never a 404 or a silent clamp. A CSV export (``?format=csv``) is the
whole filtered list: its page parameters are checked but do not page it.
"""

import re

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from solidarity.platform.error_kinds import MissingReference
from solidarity.platform.renderers import is_csv

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_WHOLE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: no sign, no exponent, no other script's digits


def invalid_parameter(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: [ErrorDetail(message, code=code)]})


# The largest page the schema announces (PostgreSQL's integer): larger is not a page number at all, 400.
LARGEST_PAGE = 2_147_483_647


def whole_at_least_one(raw: str) -> int | None:
    return int(raw) if _WHOLE.fullmatch(raw) and 1 <= int(raw) <= LARGEST_PAGE else None


def link_header(links: dict[str, str | None]) -> str:
    """RFC 8288: ``<url>; rel="next", <url>; rel="prev"`` for the links that exist."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


class StandardPagination(PageNumberPagination):
    """Pages of 50 (``page_size`` 1 to 500); a CSV export (``?format=csv``) is the whole filtered list."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # a page is a number: "last" is the `last` link of the Link header

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        number = self.requested_page(request)
        if is_csv(request):
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            # A page beyond the last is well formed (no schema knows how many there are): it names nothing, 404.
            message = _("There is no page %(page)s: the last one is %(last)s.")
            last = {"page": number, "last": paginator.num_pages}
            detail = {self.page_query_param: [ErrorDetail(message % last, code="invalid_page")]}
            raise MissingReference(detail) from None
        return list(self.page)

    def requested_page(self, request) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = whole_at_least_one(raw)
        if number is None:
            raise invalid_parameter(self.page_query_param, _("Give the page as a whole number from 1."), "invalid_page")
        return number

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = whole_at_least_one(raw)
        if size is None or size > self.max_page_size:
            raise invalid_parameter(
                self.page_size_query_param,
                _("Give the page size as a whole number from 1 to %(max)s.") % {"max": self.max_page_size},
                "invalid_page_size",
            )
        return size

    def page_link(self, number: int) -> str:
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        last = self.page.paginator.num_pages
        links = {
            "first": self.page_link(1),
            "prev": self.get_previous_link(),
            "next": self.get_next_link(),
            "last": self.page_link(last),
        }
        response["Link"] = link_header(links)
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        descriptions = {
            "count": "How many objects match, over all pages.",
            "next": "The next page, or null on the last one.",
            "previous": "The previous page, or null on the first one.",
            "results": f"The objects of this page (`page_size` of them, {self.page_size} by default).",
        }
        for name, text in descriptions.items():
            paginated["properties"][name]["description"] = text
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page, from 1 (the default) to the last (`last` link of the `Link` header); "
                "beyond it, 404 `invalid_page`; not a whole number from 1, 400 `invalid_page`.",
                "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_PAGE, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Objects per page, 1 to {self.max_page_size} (default {self.page_size}); "
                "outside that, 400 `invalid_page_size`.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
            },
        ]


# The response header of every paged list, for the schema.
LINK_HEADER_SCHEMA = {
    "schema": {"type": "string"},
    "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages, e.g. `<https://.../?page=2>; "
    'rel="next"` (those that exist).',
}
