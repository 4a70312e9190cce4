"""Tabular exports shared by every app: one title, column headers and rows in, a CSV or XLSX download out.

Numbers stay numbers: CSV writes a Decimal as its exact digits (never through float), XLSX stores numeric
cells with a number format so a spreadsheet can add them up. Text that a spreadsheet would run as a
formula is neutralised (CSV/formula injection, OWASP).
"""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

# Number formats for XLSX cells, by the kind of figure a column holds.
INTEGER = "#,##0"
EUR = "#,##0.00"
PERCENT_4 = "0.0000"
PERCENT_2 = "0.00"
DATE = "yyyy-mm-dd"

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    """A column header, and how XLSX shows the numbers under it (None: the cell's natural format)."""

    header: str
    number_format: str | None = None


def _columns(columns: Sequence[Column | str]) -> list[Column]:
    return [column if isinstance(column, Column) else Column(str(column)) for column in columns]


def _safe_text(value: str) -> str:
    # A cell starting with = + - @ would be run as a formula by Excel or LibreOffice.
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("Exports take Decimal, not float: a float would print rounding noise.")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _safe_text(str(value))


def filename_for(title: str, extension: str) -> str:
    return f"{slugify(title) or 'export'}.{extension}"


def csv_response(*, title: str, columns: Sequence[Column | str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheet programs read accents right)."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename_for(title, "csv")}"'
    response.write("\ufeff")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow([_safe_text(column.header) for column in _columns(columns)])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return response


def _xlsx_value(value):
    if isinstance(value, float):
        raise TypeError("Exports take Decimal, not float: a float would print rounding noise.")
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # Spreadsheets have no time zones: write the wall-clock time of the registry's zone.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def xlsx_response(*, title: str, columns: Sequence[Column | str], rows: Iterable[Sequence]) -> HttpResponse:
    """An XLSX download: one sheet named after ``title``, headers in bold on row 1, numbers as numbers."""
    columns = _columns(columns)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title.translate(_SHEET_TITLE_FORBIDDEN)[:31] or "Export"
    workbook.properties.title = title
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=False):
            if isinstance(cell.value, str) and cell.value.startswith("="):
                # openpyxl would store this text as a formula; keep it as the text it is.
                cell.data_type = "s"
            elif column.number_format and isinstance(cell.value, Decimal | int) and not isinstance(cell.value, bool):
                cell.number_format = column.number_format
            elif isinstance(cell.value, datetime.date) and not isinstance(cell.value, datetime.datetime):
                cell.number_format = DATE
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(column.header) + 2, 40))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename_for(title, "xlsx")}"'
    return response


def export_response(
    export_format: str, *, title: str, columns: Sequence[Column | str], rows: Iterable[Sequence]
) -> HttpResponse:
    """The download in ``export_format`` ("csv" or "xlsx"); ValueError for any other format."""
    if export_format == "csv":
        return csv_response(title=title, columns=columns, rows=rows)
    if export_format == "xlsx":
        return xlsx_response(title=title, columns=columns, rows=rows)
    raise ValueError(f"Unknown export format {export_format!r}: use one of {', '.join(FORMATS)}.")
