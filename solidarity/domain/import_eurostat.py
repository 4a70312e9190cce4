"""Eurostat's downloads of the key's inputs: the bulk TSV and SDMX-CSV, and the slice of each table that the
fair-share key reads (population on 1 January, GDP at current prices; AMMR Art. 66, Annex I).
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable
from pathlib import Path

from solidarity.domain.import_parsing import (
    EUROSTAT_TSV,
    GDP,
    GEO_ALIASES,
    MAX_SOURCE_LENGTH,
    POPULATION,
    SDMX_CSV,
    YEAR,
    ParsedRow,
    ParseResult,
    read_gdp,
    read_population,
)

# Which slice of a Eurostat table is the key's input; a dimension absent from a file is not filtered on.
SELECTION = {
    POPULATION: {"freq": "A", "unit": "NR", "age": "TOTAL", "sex": "T", "indic_de": "JAN"},
    GDP: {"freq": "A", "unit": "CP_MEUR", "na_item": "B1GQ"},
}
# Dimensions that only occur in one kind of table: they tell population data from GDP data.
POPULATION_DIMENSIONS = {"age", "sex", "indic_de"}
GDP_DIMENSIONS = {"na_item"}
KNOWN_DATAFLOWS = {"demo_pjan": POPULATION, "tps00001": POPULATION, "nama_10_gdp": GDP}

# Aggregates that happen to have two letters (euro area and EU of changing composition, metropolitan
# France); longer codes such as EU27_2020, EA20 or DE_TOT are aggregates too.
TWO_LETTER_AGGREGATES = {"EU", "EA", "FX"}

SDMX_NON_DIMENSIONS = {"dataflow", "last update", "structure", "structure_id", "action", "obs_value", "obs_flag"}
SDMX_NON_DIMENSIONS |= {"conf_status", "time_period"}

_FLAGS = re.compile(r"^[a-z]+$")


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
    if len(periods) == 1 and YEAR.match(periods[0]):
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
                "population": read_population(value, line, label, self.result),
                "population_reference_date": datetime.date(self.result.period, 1, 1),
                "population_source": source[:MAX_SOURCE_LENGTH],
            }
        else:
            values = {
                "gdp_eur_million": read_gdp(value, line, label, self.result),
                "gdp_reference_year": self.result.period,
                "gdp_source": source[:MAX_SOURCE_LENGTH],
            }
        if None not in values.values():
            self.result.rows.append(ParsedRow(line=line, code=code, values=values))

    def finish(self) -> None:
        if not self.matched and not self.result.errors:
            wanted = ", ".join(f"{name}={value}" for name, value in self.wanted.items())
            self.result.error(None, f"no row of the file has {wanted}")
