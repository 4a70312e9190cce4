"""What the API accepts as a request body, refused whole when it cannot be stored as sent.

Two inputs used to reach the database and answer 500: a NUL character (PostgreSQL's text columns cannot hold
one) and JSON nested so deep that decoding it exhausts Python's recursion. Both are refused here as 400 in the
one error shape (codes ``null_character`` and ``too_deep``). A body above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is
refused by Django as it is read (413, ``solidarity.platform.error_views``). DRF parses a body when a view first
reads it, after authentication and permissions: an anonymous or forbidden client still gets its 401 or 403 first.

Outside DEBUG the API reads JSON only (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``); the form parsers here serve
DEBUG's browsable API, with the same refusals.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

NUL = "\x00"
NULL_CHARACTER = _("Text may not contain the NUL character (U+0000).")
TOO_DEEP = _("The JSON body is nested too deeply.")


def contains_null_character(data) -> bool:
    """Whether a NUL stands anywhere in ``data`` (keys and values of any depth), walked without recursion."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def refuse_null_character(data) -> None:
    if contains_null_character(data):
        raise ParseError(NULL_CHARACTER, code="null_character")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP, code="too_deep") from None
        refuse_null_character(data)
        return data


class StrictFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_null_character(list(data.lists()))
        return data


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_null_character(list(parsed.data.lists()))
        refuse_null_character([upload.name or "" for upload in parsed.files.values()])
        return parsed
