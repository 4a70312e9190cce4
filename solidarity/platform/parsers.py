"""What the API accepts as a request body, refused whole when it cannot be stored as sent.

Two inputs used to reach the database and answer 500: a NUL character (PostgreSQL's text columns cannot hold
one) and JSON nested so deep that decoding it exhausts Python's recursion. Both are refused here as 400 in the
one error shape (codes ``null_character`` and ``too_deep``). DRF parses a body when a view first reads it, after
authentication and permissions: an anonymous or forbidden client still gets its 401 or 403 first.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

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


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP, code="too_deep") from None
        if contains_null_character(data):
            raise ParseError(NULL_CHARACTER, code="null_character")
        return data
