"""Reading reference-figure files: the project's CSV, Eurostat TSV and Eurostat SDMX-CSV downloads.

Pure functions: they read text and return rows and errors, and never touch the database, so every rule can
be tested without a command. This module reads a file, recognises its format and hands it to its parser
(``import_csv``, ``import_eurostat``, on the common ground of ``import_parsing``). ``plan_import`` compares
parsed rows with the figures already stored and gives the ``FigureRow`` list that
``solidarity.domain.services.reference_figures_replace`` writes.

The fair-share key uses population on 1 January and GDP at current prices (AMMR Art. 66, Annex I), which
are Eurostat's ``demo_pjan``/``tps00001`` (sex T, age TOTAL) and ``nama_10_gdp`` (B1GQ in CP_MEUR).
"""

import csv
import gzip
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from solidarity.domain.import_csv import parse_reference_csv
from solidarity.domain.import_eurostat import parse_eurostat_tsv, parse_sdmx_csv
from solidarity.domain.import_parsing import (
    BOTH,
    CSV,
    EUROSTAT_TSV,
    GDP,
    POPULATION,
    SDMX_CSV,
    ImportIssue,
    ParseResult,
    first_line,
)
from solidarity.domain.services import FigureRow

FORMATS = (CSV, EUROSTAT_TSV, SDMX_CSV)
DATASETS = (POPULATION, GDP)


class ImportFileError(Exception):
    """The file cannot be read at all (not text, not UTF-8)."""


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
    first = first_line(text)
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
        f"{first_line(text)[:80]!r}; expected the project's CSV (code,population,...), a Eurostat TSV "
        "(freq,...,geo\\TIME_PERIOD) or an SDMX-CSV (...,TIME_PERIOD,OBS_VALUE); or give --format",
    )
    return result


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
