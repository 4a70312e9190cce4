"""Parsers for reference-figure files: the project's CSV, Eurostat TSV and Eurostat SDMX-CSV downloads.

Pure functions: they read text and return rows and errors, and never touch the database, so every rule can
be tested without a command. ``plan_import`` compares parsed rows with the figures already stored and gives
the ``FigureRow`` list that ``solidarity.domain.services.reference_figures_replace`` writes.

The fair-share key uses population on 1 January and GDP at current prices (AMMR Art. 66, Annex I), which
are Eurostat's ``demo_pjan``/``tps00001`` (sex T, age TOTAL) and ``nama_10_gdp`` (B1GQ in CP_MEUR).
"""

import csv
import datetime
import gzip
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from solidarity.domain.services import FigureRow

CSV = "csv"
EUROSTAT_TSV = "eurostat-tsv"
SDMX_CSV = "sdmx-csv"
FORMATS = (CSV, EUROSTAT_TSV, SDMX_CSV)

POPULATION = "population"
GDP = "gdp"
BOTH = "both"
DATASETS = (POPULATION, GDP)

POPULATION_FIELDS = ("population", "population_reference_date", "population_source")
GDP_FIELDS = ("gdp_eur_million", "gdp_reference_year", "gdp_source")
FIELDS_OF = {POPULATION: POPULATION_FIELDS, GDP: GDP_FIELDS, BOTH: POPULATION_FIELDS + GDP_FIELDS}

CSV_COLUMNS = ("code", *POPULATION_FIELDS, *GDP_FIELDS)
CSV_OPTIONAL_COLUMNS = ("verified",)

# Which slice of a Eurostat table is the key's input; a dimension absent from a file is not filtered on.
SELECTION = {
    POPULATION: {"freq": "A", "unit": "NR", "age": "TOTAL", "sex": "T", "indic_de": "JAN"},
    GDP: {"freq": "A", "unit": "CP_MEUR", "na_item": "B1GQ"},
}
# Dimensions that only occur in one kind of table: they tell population data from GDP data.
POPULATION_DIMENSIONS = {"age", "sex", "indic_de"}
GDP_DIMENSIONS = {"na_item"}
KNOWN_DATAFLOWS = {"demo_pjan": POPULATION, "tps00001": POPULATION, "nama_10_gdp": GDP}

# Eurostat writes Greece as EL; older national files and ISO users write GR.
GEO_ALIASES = {"GR": "EL"}
# Aggregates that happen to have two letters (euro area and EU of changing composition, metropolitan
# France); longer codes such as EU27_2020, EA20 or DE_TOT are aggregates too.
TWO_LETTER_AGGREGATES = {"EU", "EA", "FX"}

SDMX_NON_DIMENSIONS = {"dataflow", "last update", "structure", "structure_id", "action", "obs_value", "obs_flag"}
SDMX_NON_DIMENSIONS |= {"conf_status", "time_period"}

_WHOLE = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_YEAR = re.compile(r"^\d{4}$")
_FLAGS = re.compile(r"^[a-z]+$")
MAX_POPULATION = 2**63 - 1  # PositiveBigIntegerField
MAX_GDP_INTEGER_DIGITS = 12  # DecimalField(max_digits=14, decimal_places=2)
MAX_SOURCE_LENGTH = 200
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}


class ImportFileError(Exception):
    """The file cannot be read at all (not text, not UTF-8)."""


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


@dataclass(frozen=True)
class PlannedChange:
    code: str
    line: int
    action: str  # "create", "update" or "unchanged"
    differences: tuple[tuple[str, object, object], ...] = ()


@dataclass
class ImportPlan:
    rows: list[FigureRow]
    fields: tuple[str, ...]
    changes: list[PlannedChange]
    errors: list[ImportIssue]

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


# Reading and detecting ------------------------------------------------------------------------------


def read_import_file(path: str | Path) -> str:
    """The file's text; Eurostat's bulk downloads come gzipped, spreadsheets add a byte-order mark."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise ImportFileError(f"{Path(path).name} looks gzipped but cannot be unpacked: {error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{Path(path).name} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV or TSV."
        ) from None


def detect_format(text: str) -> str | None:
    first = _first_line(text)
    if "\t" in first and "\\" in first.split("\t", 1)[0]:
        return EUROSTAT_TSV
    header = {name.strip().lower() for name in next(csv.reader([first]), [])}
    header = {name.split(":", 1)[0] for name in header}
    if {"obs_value", "time_period"} <= header:
        return SDMX_CSV
    if {"code", "population"} <= header or {"code", "gdp_eur_million"} <= header:
        return CSV
    return None


def parse_import(
    text: str,
    *,
    known_codes: Iterable[str],
    file_format: str | None = None,
    dataset: str | None = None,
    period: int | None = None,
    filename: str = "",
    skip_unknown: bool = False,
) -> ParseResult:
    """Parse any supported file; ``file_format`` None means detect it from the header."""
    file_format = file_format or detect_format(text)
    known = frozenset(known_codes)
    if file_format == CSV:
        return parse_reference_csv(text, known_codes=known)
    if file_format == EUROSTAT_TSV:
        return parse_eurostat_tsv(
            text, known_codes=known, dataset=dataset, period=period, filename=filename, skip_unknown=skip_unknown
        )
    if file_format == SDMX_CSV:
        return parse_sdmx_csv(
            text, known_codes=known, dataset=dataset, period=period, filename=filename, skip_unknown=skip_unknown
        )
    result = ParseResult(format="unknown")
    result.error(
        1,
        "cannot recognise the format from the header "
        f"{_first_line(text)[:80]!r}; expected the project's CSV (code,population,...), a Eurostat TSV "
        "(freq,...,geo\\TIME_PERIOD) or an SDMX-CSV (...,TIME_PERIOD,OBS_VALUE); or give --format",
    )
    return result


# The project's CSV -----------------------------------------------------------------------------------


def parse_reference_csv(text: str, *, known_codes: Iterable[str]) -> ParseResult:
    """The project's own CSV: one row per state with both population and GDP (``solidarity/domain/data``)."""
    known = frozenset(known_codes)
    result = ParseResult(format=CSV, dataset=BOTH)
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    if not _header_is_valid(header, result):
        return result
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            result.error(line, f"{len(cells)} values for {len(header)} columns")
            continue
        record = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        errors_before = len(result.errors)
        code = _csv_code(record["code"], known, line, result)
        values = {
            "population": _population(record["population"], line, "population", result),
            "population_reference_date": _optional_date(record["population_reference_date"], line, result),
            "population_source": _source(record["population_source"], line, "population_source", result),
            "gdp_eur_million": _gdp(record["gdp_eur_million"], line, "gdp_eur_million", result),
            "gdp_reference_year": _optional_year(record["gdp_reference_year"], line, result),
            "gdp_source": _source(record["gdp_source"], line, "gdp_source", result),
        }
        if "verified" in record:
            values["verified"] = _flag(record["verified"], line, result)
        if code is None:
            continue
        if code in seen:
            result.error(line, f"{code} appears twice (first on line {seen[code]})", "code")
            continue
        seen[code] = line
        if len(result.errors) == errors_before:
            result.rows.append(ParsedRow(line=line, code=code, values=values))
    return result


def _header_is_valid(header: list[str], result: ParseResult) -> bool:
    if not any(header):
        result.error(1, "the file is empty; the first line must name the columns " + ",".join(CSV_COLUMNS))
        return False
    problems = []
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    unexpected = [name for name in header if name not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if unexpected:
        problems.append(f"unexpected column(s) {', '.join(repr(name) for name in unexpected)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    for problem in problems:
        result.error(1, f"malformed header: {problem}; expected {','.join(CSV_COLUMNS)}[,verified]")
    return not problems


def _csv_code(raw: str, known: frozenset[str], line: int, result: ParseResult) -> str | None:
    if not raw:
        result.error(line, "missing Member State code", "code")
        return None
    code = GEO_ALIASES.get(raw.upper(), raw.upper())
    if code not in known:
        result.error(line, f"unknown Member State code {raw!r}", "code")
        return None
    return code


# Eurostat TSV ----------------------------------------------------------------------------------------


def parse_eurostat_tsv(
    text: str,
    *,
    known_codes: Iterable[str],
    dataset: str | None = None,
    period: int | None = None,
    filename: str = "",
    skip_unknown: bool = False,
) -> ParseResult:
    """Eurostat's bulk TSV: ``freq,unit,na_item,geo\\TIME_PERIOD<TAB>2023 <TAB>2024 ``, one series a line."""
    result = ParseResult(format=EUROSTAT_TSV)
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else [""]
    first = header[0].strip()
    if "\\" not in first or len(header) < 2:
        result.error(
            1,
            f"malformed header {first[:60]!r}: a Eurostat TSV starts with the dimensions and the time label, "
            "like 'freq,unit,na_item,geo\\TIME_PERIOD', then one tab-separated column per period",
        )
        return result
    dimensions = [name.strip().lower() for name in first.split("\\", 1)[0].split(",")]
    periods = [label.strip() for label in header[1:]]
    if "geo" not in dimensions:
        result.error(1, f"malformed header: no 'geo' among the dimensions {', '.join(dimensions)}")
        return result
    chosen = _choose_dataset(dimensions, dataset, None, result)
    column = _choose_period(periods, period, result)
    if chosen is None or column is None:
        return result
    result.dataset, result.period = chosen, int(periods[column])
    selector = _Selector(result, known_codes, dimensions, skip_unknown, _source_base(chosen, None, filename))
    for line, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        cells = raw.split("\t")
        keys = [key.strip() for key in cells[0].split(",")]
        if len(keys) != len(dimensions):
            result.error(line, f"{len(keys)} dimension codes for {len(dimensions)} dimensions ({first})")
            continue
        if len(cells) != len(header):
            result.error(line, f"{len(cells) - 1} values for {len(periods)} periods")
            continue
        value, flags = _split_eurostat_value(cells[column + 1])
        selector.take(line, dict(zip(dimensions, keys, strict=True)), value, flags, f"column {periods[column]}")
    selector.finish()
    return result


def _split_eurostat_value(cell: str) -> tuple[str, str]:
    """``'83577100 p'`` -> ``('83577100', 'p')``; ``': '`` or ``': c'`` -> ``(':', 'c')``."""
    cell = cell.strip()
    if cell.startswith(":"):
        return ":", cell[1:].strip()
    number, _, flags = cell.partition(" ")
    return number, flags.strip()


# SDMX-CSV --------------------------------------------------------------------------------------------


def parse_sdmx_csv(
    text: str,
    *,
    known_codes: Iterable[str],
    dataset: str | None = None,
    period: int | None = None,
    filename: str = "",
    skip_unknown: bool = False,
) -> ParseResult:
    """SDMX-CSV (``DATAFLOW,LAST UPDATE,freq,...,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG``), one observation a line."""
    result = ParseResult(format=SDMX_CSV)
    reader = csv.reader(io.StringIO(text))
    # Downloads "with labels" write 'geo:Geopolitical entity' in the header and 'BE:Belgium' in cells.
    header = [name.split(":", 1)[0].strip().lower() for name in next(reader, [])]
    missing = [name for name in ("geo", "time_period", "obs_value") if name not in header]
    if missing:
        shown = ", ".join(name.upper() if "_" in name else name for name in missing)
        result.error(
            1,
            f"malformed header: missing column(s) {shown}; an SDMX-CSV has the dimensions (with geo), then "
            "TIME_PERIOD, OBS_VALUE and OBS_FLAG",
        )
        return result
    records = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            result.error(reader.line_num, f"{len(cells)} values for {len(header)} columns")
            continue
        records.append((reader.line_num, dict(zip(header, (cell.strip() for cell in cells), strict=True))))
    dimensions = [name for name in header if name not in SDMX_NON_DIMENSIONS]
    dataflow = _dataflow_code(records[0][1].get("dataflow", "")) if records else None
    chosen = _choose_dataset(dimensions, dataset, dataflow, result)
    periods = sorted({record["time_period"] for _, record in records})
    index = _choose_period(periods, period, result)
    if chosen is None or index is None:
        return result
    result.dataset, result.period = chosen, int(periods[index])
    selector = _Selector(result, known_codes, dimensions, skip_unknown, _source_base(chosen, dataflow, filename))
    for line, record in records:
        if record["time_period"] != periods[index]:
            continue
        keys = {name: record[name].split(":", 1)[0].strip() for name in dimensions}
        value = record["obs_value"] or ":"
        flags = record.get("obs_flag", "").split(":", 1)[0].strip()
        selector.take(line, keys, value, flags, "OBS_VALUE")
    selector.finish()
    return result


def _dataflow_code(value: str) -> str | None:
    # 'ESTAT:NAMA_10_GDP(1.0)' -> 'nama_10_gdp'
    match = re.match(r"^\s*(?:[A-Z0-9_]+:)?([A-Za-z0-9_]+)", value)
    return match.group(1).lower() if match else None


# Shared by both Eurostat formats ---------------------------------------------------------------------


def _choose_dataset(dimensions, requested: str | None, dataflow: str | None, result: ParseResult) -> str | None:
    names = set(dimensions)
    detected = None
    if names & GDP_DIMENSIONS:
        detected = GDP
    elif names & POPULATION_DIMENSIONS:
        detected = POPULATION
    elif dataflow in KNOWN_DATAFLOWS:
        detected = KNOWN_DATAFLOWS[dataflow]
    if requested and detected and requested != detected:
        result.error(
            1,
            f"--dataset {requested} does not fit this file: its dimensions ({', '.join(dimensions)}) "
            f"are those of {detected} data",
        )
        return None
    if not (requested or detected):
        result.error(
            1,
            f"cannot tell population from GDP data by the dimensions {', '.join(dimensions)}; "
            "give --dataset population or --dataset gdp",
        )
        return None
    return requested or detected


def _choose_period(periods: list[str], requested: int | None, result: ParseResult) -> int | None:
    """Index of the period to import; a file with several needs ``--period``."""
    if requested is not None:
        if str(requested) in periods:
            return periods.index(str(requested))
        result.error(1, f"no data for period {requested}; the file holds {_span(periods)}", "TIME_PERIOD")
        return None
    if len(periods) == 1 and _YEAR.match(periods[0]):
        return 0
    if not periods:
        result.error(None, "the file holds no observations")
        return None
    result.error(1, f"the file holds {_span(periods)}: choose one with --period YEAR", "TIME_PERIOD")
    return None


def _span(periods: list[str]) -> str:
    ordered = sorted(periods)
    return f"periods {ordered[0]} to {ordered[-1]}" if len(ordered) > 1 else f"only period {ordered[0]}"


def _source_base(dataset: str, dataflow: str | None, filename: str) -> str:
    code = dataflow if dataflow in KNOWN_DATAFLOWS else None
    if code is None:
        code = next((name for name in KNOWN_DATAFLOWS if name in filename.lower()), None)
    label = f"Eurostat {code}" if code else f"Eurostat file {Path(filename).name or '(unnamed)'}"
    return f"{label} B1GQ CP_MEUR" if dataset == GDP else label


class _Selector:
    """Keeps the observations of the key's slice, one per known state; collects every error on the way."""

    def __init__(self, result: ParseResult, known_codes, dimensions, skip_unknown: bool, source: str):
        self.result = result
        self.known = frozenset(known_codes)
        self.wanted = {name: value for name, value in SELECTION[result.dataset].items() if name in dimensions}
        self.skip_unknown = skip_unknown
        self.source = source
        self.seen: dict[str, int] = {}
        self.matched = 0

    def take(self, line: int, keys: dict[str, str], value: str, flags: str, field_name: str) -> None:
        if any(keys.get(name, "").upper() != wanted for name, wanted in self.wanted.items()):
            return
        self.matched += 1
        geo = keys["geo"].upper()
        if len(geo) != 2 or geo in TWO_LETTER_AGGREGATES:
            return
        code = GEO_ALIASES.get(geo, geo)
        if code not in self.known:
            if self.skip_unknown:
                self.result.skipped_unknown.append(geo)
            else:
                self.result.error(line, f"unknown Member State code {geo!r}", "geo")
            return
        if code in self.seen:
            self.result.error(line, f"{code} appears twice (first on line {self.seen[code]})", "geo")
            return
        self.seen[code] = line
        label = f"{field_name} ({code})"
        if value == ":":
            self.result.error(line, "missing value" + (f" (flag {flags})" if flags else ""), label)
            return
        if flags and not _FLAGS.match(flags):
            self.result.error(line, f"unreadable flag {flags!r} after {value!r}", label)
            return
        source = f"{self.source} (flag {flags})" if flags else self.source
        if self.result.dataset == POPULATION:
            values = {
                "population": _population(value, line, label, self.result),
                "population_reference_date": datetime.date(self.result.period, 1, 1),
                "population_source": source[:MAX_SOURCE_LENGTH],
            }
        else:
            values = {
                "gdp_eur_million": _gdp(value, line, label, self.result),
                "gdp_reference_year": self.result.period,
                "gdp_source": source[:MAX_SOURCE_LENGTH],
            }
        if None not in values.values():
            self.result.rows.append(ParsedRow(line=line, code=code, values=values))

    def finish(self) -> None:
        if not self.matched and not self.result.errors:
            wanted = ", ".join(f"{name}={value}" for name, value in self.wanted.items())
            self.result.error(None, f"no row of the file has {wanted}")


# Values ----------------------------------------------------------------------------------------------


def _population(raw: str, line: int, field_name: str, result: ParseResult) -> int | None:
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


def _gdp(raw: str, line: int, field_name: str, result: ParseResult) -> Decimal | None:
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


def _optional_date(raw: str, line: int, result: ParseResult) -> datetime.date | None:
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        result.error(line, f"{raw!r} is not a date like 2025-01-01", "population_reference_date")
        return None


def _optional_year(raw: str, line: int, result: ParseResult) -> int | None:
    if not raw:
        return None
    if not _YEAR.match(raw):
        result.error(line, f"{raw!r} is not a year like 2024", "gdp_reference_year")
        return None
    return int(raw)


def _source(raw: str, line: int, field_name: str, result: ParseResult) -> str:
    if len(raw) > MAX_SOURCE_LENGTH:
        result.error(line, f"longer than {MAX_SOURCE_LENGTH} characters", field_name)
    return raw


def _flag(raw: str, line: int, result: ParseResult) -> bool:
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        result.error(line, f"{raw!r} is neither true nor false", "verified")
    return False


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


# Comparing with what is stored -----------------------------------------------------------------------


def plan_import(
    result: ParseResult, *, existing: Mapping[str, object], cycle_year: int, mark_verified: bool = False
) -> ImportPlan:
    """What importing ``result`` would do to the cycle's stored figures (``existing``: code -> figure).

    A changed figure loses its ``verified`` mark unless the file or ``--verified`` vouches for it: the
    mark says the stored value was checked against the official source, which the new value was not.
    """
    fields = (*result.fields, "verified")
    plan = ImportPlan(rows=[], fields=fields, changes=[], errors=[])
    for row in result.rows:
        current = existing.get(row.code)
        values = dict(row.values)
        if current is None and result.dataset != BOTH:
            missing, other = ("gdp_eur_million", GDP) if result.dataset == POPULATION else ("population", POPULATION)
            plan.errors.append(
                ImportIssue(
                    row.line,
                    f"{row.code} has no reference figure in cycle {cycle_year} yet and this {result.dataset} file "
                    f"gives no {other} figure; import the project's CSV with both values first",
                    missing,
                )
            )
            continue
        if mark_verified:
            values["verified"] = True
        elif "verified" not in values:
            figures_change = current is None or any(getattr(current, name) != value for name, value in values.items())
            values["verified"] = False if figures_change else current.verified
        if current is None:
            plan.changes.append(PlannedChange(row.code, row.line, "create", _differences(None, values)))
        else:
            differences = _differences(current, values)
            plan.changes.append(
                PlannedChange(row.code, row.line, "update" if differences else "unchanged", differences)
            )
        plan.rows.append(
            FigureRow(
                member_state=row.code,
                population=values.get("population"),
                gdp_eur_million=values.get("gdp_eur_million"),
                population_reference_date=values.get("population_reference_date"),
                population_source=values.get("population_source", ""),
                gdp_reference_year=values.get("gdp_reference_year"),
                gdp_source=values.get("gdp_source", ""),
                verified=values["verified"],
            )
        )
    return plan


def _differences(current, values: dict) -> tuple[tuple[str, object, object], ...]:
    if current is None:
        return tuple((name, None, value) for name, value in values.items())
    return tuple(
        (name, getattr(current, name), value) for name, value in values.items() if getattr(current, name) != value
    )
