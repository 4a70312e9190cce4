"""Django's error handlers (400, 403, 500, CSRF failures) and the request errors Django raises before a view runs.

Under /api/ every answer the application gives is in the API's one JSON error shape
(``{"type", "errors": [{"code", "detail", "attr"}]}``); elsewhere the registry's HTML pages, which render from
the templates alone (``{% block stylesheet %}`` names the stylesheet by its plain path, without the manifest of
collected static files, so an error page never fails for want of ``collectstatic``).

The 404 handler is ``solidarity.platform.api.page_not_found``.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import csrf, defaults
from rest_framework import exceptions, status

API_PREFIX = "/api/"
# The longest path and query string the registry reads (gunicorn's request line is limited to 8190 bytes in
# docs/deployment.md, so the application is the one that answers, in its own shape).
MAX_URL_LENGTH = 4096


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status_code: int, code: str, detail: str) -> JsonResponse:
    kind = "server_error" if status_code >= 500 else "client_error"
    body = {"type": kind, "errors": [{"code": code, "detail": str(detail), "attr": None}]}
    return JsonResponse(body, status=status_code)


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The request could not be read.")
    default_code = "bad_request"


def _too_large_detail() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _("The request body is larger than %(limit)s bytes.") % {"limit": f"{limit:,}"}


def api_exception_for(exc) -> exceptions.APIException | None:
    """The API error of a request Django refused while reading it (body too large, too many fields, bad host)."""
    if isinstance(exc, RequestDataTooBig):
        return BodyTooLarge(_too_large_detail())
    if isinstance(exc, TooManyFieldsSent):
        return BadRequest(_("The request has too many fields."), code="too_many_fields")
    if isinstance(exc, DisallowedHost):
        return BadRequest(_("The Host header names no host this registry serves."), code="disallowed_host")
    if isinstance(exc, SuspiciousOperation):
        return BadRequest()
    return None


def bad_request(request, exception=None):
    """``handler400``: a request Django refused (a bad Host header, a body too large, a NUL character...)."""
    error = api_exception_for(exception) or BadRequest()
    if is_api(request):
        return api_error(error.status_code, error.get_codes(), error.detail)
    return error_page(error.status_code, headline=_("The request could not be read"))


def error_page(status_code: int, *, headline: str, template_name: str = "400.html") -> HttpResponse:
    """An error page rendered from the template alone: no request context, no database, no static manifest."""
    try:
        template = loader.get_template(template_name)
    except TemplateDoesNotExist:
        return HttpResponse(f"<!doctype html><title>{status_code}</title><h1>{headline}</h1>", status=status_code)
    return HttpResponse(template.render({"headline": headline, "status_code": status_code}), status=status_code)


def permission_denied(request, exception=None):
    """``handler403``."""
    if is_api(request):
        return api_error(403, "permission_denied", _("You do not have permission to perform this action."))
    return defaults.permission_denied(request, exception)


def server_error(request):
    """``handler500``: nothing of the error is shown."""
    if is_api(request):
        return api_error(500, "error", _("Server Error (500)."))
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a session-authenticated write without its CSRF token."""
    if is_api(request):
        return api_error(
            403, "csrf_failed", _("CSRF check failed: send the X-CSRFToken header, or use a token (Authorization).")
        )
    return csrf.csrf_failure(request, reason=reason)


class UrlLengthMiddleware:
    """A path and query string longer than ``MAX_URL_LENGTH`` is a 414 (JSON under /api/), before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = len(request.path) + len(request.META.get("QUERY_STRING", ""))
        if length > MAX_URL_LENGTH:
            detail = _("The address is longer than %(limit)s characters.") % {"limit": f"{MAX_URL_LENGTH:,}"}
            if is_api(request):
                return api_error(414, "uri_too_long", detail)
            return error_page(414, headline=_("The address is too long"))
        return self.get_response(request)
