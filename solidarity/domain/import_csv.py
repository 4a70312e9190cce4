"""The project's own reference-figure CSV: one row per state with both population and GDP."""

import csv
import io
from collections.abc import Iterable

from solidarity.domain.import_parsing import (
    BOTH,
    CSV,
    GDP_FIELDS,
    GEO_ALIASES,
    POPULATION_FIELDS,
    ParsedRow,
    ParseResult,
    read_flag,
    read_gdp,
    read_optional_date,
    read_optional_year,
    read_population,
    read_source,
)

CSV_COLUMNS = ("code", *POPULATION_FIELDS, *GDP_FIELDS)
CSV_OPTIONAL_COLUMNS = ("verified",)


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
            "population": read_population(record["population"], line, "population", result),
            "population_reference_date": read_optional_date(record["population_reference_date"], line, result),
            "population_source": read_source(record["population_source"], line, "population_source", result),
            "gdp_eur_million": read_gdp(record["gdp_eur_million"], line, "gdp_eur_million", result),
            "gdp_reference_year": read_optional_year(record["gdp_reference_year"], line, result),
            "gdp_source": read_source(record["gdp_source"], line, "gdp_source", result),
        }
        if "verified" in record:
            values["verified"] = read_flag(record["verified"], line, result)
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
