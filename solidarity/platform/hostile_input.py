"""Input the database cannot hold or compare as sent, refused before it reaches a query: the NUL character.

PostgreSQL's text columns cannot hold a NUL (U+0000), and a lookup with one fails in the driver: a NUL that
reached a query used to answer 500. Each way input arrives has its one check here, each after the client is
known to be allowed to ask (an anonymous client keeps its 401, a forbidden one its 403):

* a request body of the API: its parser (``solidarity.platform.parsers``), which DRF runs when a view first
  reads the body, after authentication and permissions;
* the query string of the API: ``RefusesNullCharacters``, a mixin of every viewset, after DRF's
  authentication, permission and throttle checks (``APIView.initial``);
* the pages (everything outside /api/): ``NullCharacterMiddleware``, 400 before any view or form reads them.

Every refusal is a 400 with the code ``null_character`` (in the one JSON error shape under /api/).
"""

from django.core.exceptions import BadRequest
from rest_framework.exceptions import ParseError

from solidarity.platform.parsers import NULL_CHARACTER, contains_null_character

API_PREFIX = "/api/"


def query_contains_null_character(query) -> bool:
    """Whether a NUL stands in a key or a value of ``query`` (a QueryDict, every value of repeated keys)."""
    return any(contains_null_character([key, *values]) for key, values in query.lists())


class NullCharacterInQuery(ParseError):
    default_detail = NULL_CHARACTER
    default_code = "null_character"


class RefusesNullCharacters:
    """A viewset mixin: a path or query string holding a NUL is a 400 ``null_character``, once the client may ask."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if contains_null_character(request.path) or query_contains_null_character(request.query_params):
            raise NullCharacterInQuery()


class NullCharacterMiddleware:
    """Pages: a query string or form holding a NUL is a 400 (Django's ``handler400``), before any view reads it.

    The API is left to its own checks (see the module), which answer after authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) and _page_input_contains_null_character(request):
            raise BadRequest(str(NULL_CHARACTER))
        return self.get_response(request)


def _page_input_contains_null_character(request) -> bool:
    if contains_null_character(request.path) or query_contains_null_character(request.GET):
        return True
    if request.method != "POST":
        return False
    return query_contains_null_character(request.POST) or any(
        contains_null_character(upload.name or "") for upload in request.FILES.values()
    )
