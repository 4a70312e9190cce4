"""``?format=csv`` on any API list: the renderer, kept apart from the viewsets' helpers.

DRF imports its default renderers while it sets itself up, so this module imports nothing of DRF but its
renderers (``solidarity.api_support`` imports views and would be a circular import here).
"""

import csv
import io
import re
from collections.abc import Mapping

from rest_framework.renderers import BaseRenderer

CSV_FORMAT = "csv"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def is_csv(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == CSV_FORMAT


def _flatten(value, prefix: str = "") -> dict:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a.b": 1, "c": "1; 2"}``: one cell per scalar."""
    if isinstance(value, Mapping):
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in value):
            return {prefix: "; ".join(_cell(item) for item in value)}
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{prefix}.{index}"))
        return flat
    return {prefix or "value": value}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A cell starting with = + - @ would be run as a formula by a spreadsheet (CSV injection); numbers stay numbers.
    if text.startswith(_FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class CSVRenderer(BaseRenderer):
    """``?format=csv``: the rows of a list as CSV, one column per field (nested fields as ``parent.child``).

    A paginated body gives its ``results`` (the paginator hands over the whole list for CSV; a keyset page,
    its rows, its links staying in the view's ``Link`` header), an object one row. Errors keep
    the one JSON shape (see ``exception_handler``).
    """

    media_type = "text/csv"
    format = CSV_FORMAT
    charset = "utf-8"
    render_style = "text"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response = context.get("response")
        if isinstance(data, Mapping) and isinstance(data.get("results"), list):
            rows = data["results"]  # a page's links travel in its Link header, whatever the format
        elif isinstance(data, list):
            rows = data
        elif data is None:
            rows = []
        else:
            rows = [data]
        flat_rows = [_flatten(row) for row in rows]
        columns = list(dict.fromkeys(name for row in flat_rows for name in row))
        if not columns:
            columns = _empty_list_columns(context.get("view"))
        if response is not None and context.get("view") is not None:
            response["Content-Disposition"] = f'attachment; filename="{_csv_filename(context["view"])}"'
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([_cell(name) for name in columns])  # names may be user text (the matrix's topics)
        for row in flat_rows:
            writer.writerow([_cell(row.get(name)) for name in columns])
        return buffer.getvalue().encode(self.charset)


def _empty_list_columns(view) -> list[str]:
    """The header of an empty list: the readable fields of the view's serializer, where it lists them."""
    if view is None or getattr(view, "action", None) != "list" or not hasattr(view, "get_serializer"):
        return []
    try:
        fields = view.get_serializer().fields
    except Exception:  # a header is a nicety; an empty export is still a valid one
        return []
    return [name for name, field in fields.items() if not field.write_only]


def _csv_filename(view) -> str:
    basename = getattr(view, "basename", None) or "export"
    action_name = getattr(view, "action", None)
    suffix = "" if action_name in (None, "list", "retrieve") else f"-{action_name.replace('_', '-')}"
    return f"{basename}{suffix}.csv"
