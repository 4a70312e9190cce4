"""Conditional GET (RFC 9110, 13.1.2): a client holding an object's current ETag gets 304 without a body.

``NotModifiedMiddleware`` answers every GET or HEAD whose 200 carries an ``ETag`` (wherever in the API it was
set) when the request's ``If-None-Match`` matches it: ``*``, one tag or a list of tags, compared weakly
(``W/"3"`` matches ``"3"``). The 304 keeps the response's headers but those that describe a body.
"""

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags

# Headers of the body a 304 does not send (RFC 9110, 15.4.5: it keeps ETag, Vary, Cache-Control and the rest).
_BODY_HEADERS = {"content-type", "content-length", "content-disposition", "content-encoding", "content-language"}


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def none_match(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag``, by the weak comparison the RFC asks for."""
    tags = parse_etags(if_none_match)
    if tags == ["*"]:
        return True
    return _opaque(etag) in {_opaque(tag) for tag in tags}


def not_modified(response) -> HttpResponseNotModified:
    answer = HttpResponseNotModified()
    for name, value in response.items():
        if name.lower() not in _BODY_HEADERS:
            answer[name] = value
    answer.cookies = response.cookies
    return answer


class NotModifiedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if_none_match = request.headers.get("If-None-Match")
        if (
            if_none_match
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and response.has_header("ETag")
            and none_match(if_none_match, response["ETag"])
        ):
            return not_modified(response)
        return response
