"""Parsers for Dublin-performance and secondary-movement CSV files.

Pure functions: they read text and return rows and errors, never touching the database, so every rule can
be tested without a command. A file has a header of model field names (``member_state`` as the Eurostat
code, ``period_kind``, ``period_start``, ``period_end``, then the figures); each row states one state's
whole period, and a column left out takes the field's default. The rows are what
``compliance.services.dublin_performance_import`` takes: field values plus ``line``.

Every row is checked, and every problem is reported with its line and field, so that one pass over the
file tells its author everything to fix; the command writes nothing while any error remains.
"""

import calendar
import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import models

from compliance.models import DublinPerformance, PeriodKind, SecondaryMovementIndicator

DUBLIN = "dublin"
SECONDARY = "secondary"
KINDS = (DUBLIN, SECONDARY)
MODELS = {DUBLIN: DublinPerformance, SECONDARY: SecondaryMovementIndicator}
LABELS = {DUBLIN: "Dublin performance", SECONDARY: "secondary-movement indicators"}

PERIOD_COLUMNS = ("member_state", "period_kind", "period_start", "period_end")
# Columns a file must carry besides the period: Dublin counts are never null, so a missing column would
# silently record zero requests; the secondary-movement source is what makes a claim checkable.
REQUIRED_FIGURES = {
    DUBLIN: (
        "take_charge_sent",
        "take_charge_received",
        "take_charge_accepted",
        "take_charge_refused",
        "take_back_sent",
        "take_back_received",
        "take_back_accepted",
        "take_back_refused",
        "transfers_carried_out",
    ),
    SECONDARY: ("source",),
}
NOT_IMPORTED = {"id", "version", "member_state", "period_kind", "period_start", "period_end"}
# Accepted requests are a part of the requests received (a CHECK constraint of DublinPerformance).
WITHIN = {DUBLIN: (("take_charge_accepted", "take_charge_received"), ("take_back_accepted", "take_back_received"))}
PERCENT_FIELDS = {"secondary_movement_share_percent"}

GEO_ALIASES = {"GR": "EL"}  # Eurostat writes Greece as EL; ISO users write GR
QUARTER_START_MONTHS = (1, 4, 7, 10)
MAX_INTEGER = 2_147_483_647  # PositiveIntegerField on PostgreSQL
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}
_WHOLE = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


class ImportFileError(Exception):
    """The file cannot be read at all (not UTF-8 text)."""


@dataclass(frozen=True)
class ImportIssue:
    line: int
    message: str
    field: str = ""

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


@dataclass
class ParseResult:
    kind: str
    rows: list[dict] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    def error(self, line: int, message: str, field_name: str = "") -> None:
        self.errors.append(ImportIssue(line, message, field_name))


def read_import_file(path: str | Path) -> str:
    """The file's text; spreadsheets saving "CSV UTF-8" add a byte-order mark, which is dropped."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{Path(path).name} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV."
        ) from None


def figure_fields(kind: str) -> dict[str, models.Field]:
    """The model fields a file of ``kind`` may carry besides the period, by name."""
    model = MODELS[kind]
    return {f.name: f for f in model._meta.concrete_fields if f.name not in NOT_IMPORTED}


def columns(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) column names of a file of ``kind``."""
    required = (*PERIOD_COLUMNS, *REQUIRED_FIGURES[kind])
    optional = tuple(name for name in figure_fields(kind) if name not in required)
    return required, optional


def parse_csv(text: str, *, kind: str, known_codes: Iterable[str]) -> ParseResult:
    """Rows of model values (``member_state_id``, ..., ``line``) and every error, with its line and field."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    result = ParseResult(kind=kind)
    known = {code.upper() for code in known_codes}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not _check_header(header, result):
        return result
    reader.fieldnames = header
    fields = figure_fields(kind)
    seen: dict[tuple, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            result.error(line, f"{len(raw[None])} cell(s) more than the header has columns")
            continue
        row = _parse_row(raw, line, fields, known, result)
        if row is None:
            continue
        key = (row["member_state_id"], row["period_kind"], row["period_start"])
        if key in seen:
            result.error(line, f"the same state and period as line {seen[key]}", "period_start")
            continue
        seen[key] = line
        result.rows.append(row)
    if not result.rows and not result.errors:
        result.error(1, "the file has a header but no rows")
    return result


def _check_header(header: list[str], result: ParseResult) -> bool:
    if not header or header == [""]:
        result.error(1, "the file is empty; the first line must name the columns")
        return False
    required, optional = columns(result.kind)
    ok = True
    for name in sorted({n for n in header if header.count(n) > 1}):
        result.error(1, "this column appears more than once", name)
        ok = False
    for name in header:
        if not name:
            result.error(1, "a column has no name (a trailing comma?)")
            ok = False
        elif name not in required and name not in optional:
            result.error(1, f"unknown column; columns are {', '.join((*required, *optional))}", name)
            ok = False
    for name in required:
        if name not in header:
            result.error(1, "this column is required", name)
            ok = False
    return ok


def _parse_row(raw: dict, line: int, fields: dict, known: set[str], result: ParseResult) -> dict | None:
    errors_before = len(result.errors)
    row: dict = {"line": line}

    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    code = GEO_ALIASES.get(cell("member_state").upper(), cell("member_state").upper())
    if not code:
        result.error(line, "give the Member State's Eurostat code, e.g. IT", "member_state")
    elif code not in known:
        result.error(line, f"{cell('member_state')!r} is not a Member State code of the registry", "member_state")
    row["member_state_id"] = code

    period_kind = cell("period_kind").lower()
    if period_kind not in PeriodKind.values:
        result.error(line, f"{cell('period_kind')!r} is not one of: {', '.join(PeriodKind.values)}", "period_kind")
    row["period_kind"] = period_kind
    for name in ("period_start", "period_end"):
        row[name] = _date(cell(name), line, name, result)

    for name, model_field in fields.items():
        if name in raw:
            row[name] = _value(cell(name), line, model_field, result)

    if len(result.errors) > errors_before:
        return None
    _check_period(row, line, result)
    for part, whole in WITHIN.get(result.kind, ()):
        if row.get(part, 0) > row.get(whole, 0):
            result.error(line, f"{row[part]} accepted is more than the {row[whole]} received ({whole})", part)
    return None if len(result.errors) > errors_before else row


def _date(text: str, line: int, name: str, result: ParseResult) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        result.error(line, f"{text!r} is not a date as YYYY-MM-DD", name)
        return None


def _value(text: str, line: int, model_field: models.Field, result: ParseResult):
    name = model_field.name
    if isinstance(model_field, models.BooleanField):
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        result.error(line, f"{text!r} is not yes or no", name)
        return None
    if isinstance(model_field, models.CharField):
        if not text and not model_field.blank:
            result.error(line, "this cell cannot be empty", name)
        elif len(text) > model_field.max_length:
            result.error(line, f"longer than {model_field.max_length} characters", name)
        return text
    if not text:
        if model_field.null:
            return None
        result.error(line, "give a number (0 if there were none)", name)
        return None
    if isinstance(model_field, models.IntegerField):
        if not _WHOLE.match(text):
            result.error(line, f"{text!r} is not a whole number of 0 or more (no separators)", name)
            return None
        number = int(text)
        if number > MAX_INTEGER:
            result.error(line, f"{text} is too large", name)
            return None
        return number
    return _decimal(text, line, model_field, result)


def _decimal(text: str, line: int, model_field: models.DecimalField, result: ParseResult) -> Decimal | None:
    name = model_field.name
    if not _DECIMAL.match(text):
        hint = " (use a point for decimals)" if "," in text else ""
        result.error(line, f"{text!r} is not a number{hint}", name)
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        result.error(line, f"{text!r} is not a number", name)
        return None
    places = model_field.decimal_places
    if number < 0:
        result.error(line, f"{text} is negative", name)
    elif name in PERCENT_FIELDS and number > 100:
        result.error(line, f"{text} is not a percentage between 0 and 100", name)
    elif number != number.quantize(Decimal(1).scaleb(-places)):
        result.error(line, f"{text} has more than {places} decimal place(s)", name)
    elif number >= Decimal(10) ** (model_field.max_digits - places):
        result.error(line, f"{text} is too large", name)
    else:
        return number.quantize(Decimal(1).scaleb(-places))
    return None


def _check_period(row: dict, line: int, result: ParseResult) -> None:
    """A month or quarter is a calendar one, so that two files describing the same period collide."""
    start, end, kind = row["period_start"], row["period_end"], row["period_kind"]
    if end < start:
        result.error(line, f"the period ends ({end}) before it starts ({start})", "period_end")
        return
    months = 1 if kind == PeriodKind.MONTH else 3
    if start.day != 1 or (kind == PeriodKind.QUARTER and start.month not in QUARTER_START_MONTHS):
        first = "the first day of a month" if months == 1 else "1 January, 1 April, 1 July or 1 October"
        result.error(line, f"a {kind} starts on {first}, not {start}", "period_start")
        return
    last_month = start.month + months - 1
    expected_end = datetime.date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])
    if end != expected_end:
        result.error(line, f"the {kind} starting {start} ends on {expected_end}, not {end}", "period_end")
