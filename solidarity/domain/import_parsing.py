"""The common ground of the reference-figure parsers: the formats and datasets, what a parse returns, and
the readers of one cell (population, GDP, dates, sources, flags), each of which names the line and field it
refuses.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

CSV = "csv"
EUROSTAT_TSV = "eurostat-tsv"
SDMX_CSV = "sdmx-csv"

POPULATION = "population"
GDP = "gdp"
BOTH = "both"

POPULATION_FIELDS = ("population", "population_reference_date", "population_source")
GDP_FIELDS = ("gdp_eur_million", "gdp_reference_year", "gdp_source")
FIELDS_OF = {POPULATION: POPULATION_FIELDS, GDP: GDP_FIELDS, BOTH: POPULATION_FIELDS + GDP_FIELDS}

# Eurostat writes Greece as EL; older national files and ISO users write GR.
GEO_ALIASES = {"GR": "EL"}

_WHOLE = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
YEAR = re.compile(r"^\d{4}$")
MAX_POPULATION = 2**63 - 1  # PositiveBigIntegerField
MAX_GDP_INTEGER_DIGITS = 12  # DecimalField(max_digits=14, decimal_places=2)
MAX_SOURCE_LENGTH = 200
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class ImportIssue:
    line: int | None
    message: str
    field: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    code: str
    values: dict


@dataclass
class ParseResult:
    format: str
    dataset: str = BOTH
    period: int | None = None
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    skipped_unknown: list[str] = field(default_factory=list)

    @property
    def fields(self) -> tuple[str, ...]:
        return FIELDS_OF[self.dataset]

    def error(self, line: int | None, message: str, field_name: str = "") -> None:
        self.errors.append(ImportIssue(line, message, field_name))


def read_population(raw: str, line: int, field_name: str, result: ParseResult) -> int | None:
    if raw in ("", ":"):
        result.error(line, "missing value", field_name)
        return None
    if not _WHOLE.match(raw):
        result.error(line, f"{raw!r} is not a whole number of persons", field_name)
        return None
    value = int(raw)
    if value < 0:
        result.error(line, f"{raw} is negative", field_name)
        return None
    if value > MAX_POPULATION:
        result.error(line, f"{raw} is too large", field_name)
        return None
    return value


def read_gdp(raw: str, line: int, field_name: str, result: ParseResult) -> Decimal | None:
    if raw in ("", ":"):
        result.error(line, "missing value", field_name)
        return None
    if not _DECIMAL.match(raw):
        result.error(line, f"{raw!r} is not a number (EUR million, with a point for decimals)", field_name)
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        result.error(line, f"{raw!r} is not a number", field_name)
        return None
    if value < 0:
        result.error(line, f"{raw} is negative", field_name)
        return None
    if value.as_tuple().exponent < -2:
        result.error(line, f"{raw} has more than two decimal places (EUR million)", field_name)
        return None
    if len(str(int(value))) > MAX_GDP_INTEGER_DIGITS:
        result.error(line, f"{raw} is too large for EUR million", field_name)
        return None
    return value.quantize(Decimal("0.01"))


def read_optional_date(raw: str, line: int, result: ParseResult) -> datetime.date | None:
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        result.error(line, f"{raw!r} is not a date like 2025-01-01", "population_reference_date")
        return None


def read_optional_year(raw: str, line: int, result: ParseResult) -> int | None:
    if not raw:
        return None
    if not YEAR.match(raw):
        result.error(line, f"{raw!r} is not a year like 2024", "gdp_reference_year")
        return None
    return int(raw)


def read_source(raw: str, line: int, field_name: str, result: ParseResult) -> str:
    if len(raw) > MAX_SOURCE_LENGTH:
        result.error(line, f"longer than {MAX_SOURCE_LENGTH} characters", field_name)
    return raw


def read_flag(raw: str, line: int, result: ParseResult) -> bool:
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        result.error(line, f"{raw!r} is neither true nor false", "verified")
    return False


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")
