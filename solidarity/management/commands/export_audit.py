"""Write the audit log, filtered as on the auditors' page, to a CSV or XLSX file: no row limit."""

import csv
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from solidarity.platform import exports
from solidarity.platform.audit import iter_audit_log
from solidarity.platform.audit_export import EXPORT_HEADERS, export_row
from solidarity.platform.audit_forms import AuditFilterForm

FILTER_OPTIONS = ("model", "object_id", "user", "member_state", "date_after", "date_before", "transition")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


class Command(BaseCommand):
    help = (
        "Export the audit log (every history row of every audited model, newest first, with who, when, from "
        "where, the transition, the reason and each changed field) to a CSV or XLSX file. Takes the filters "
        "of the audit log page; unlike the page's download it has no row limit and streams the rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="The file to write (.csv or .xlsx); replaced if it exists.")
        parser.add_argument("--format", choices=exports.FORMATS, help="Default: from the file's extension.")
        parser.add_argument("--model", help="Object type as app.model, e.g. pledges.pledge.")
        parser.add_argument("--object-id", help="The object's id (with --model).")
        parser.add_argument("--user", help="Username of who made the changes.")
        parser.add_argument("--member-state", help="Eurostat code of the state the objects belong to.")
        parser.add_argument("--date-after", help="From this date (YYYY-MM-DD) or moment, included.")
        parser.add_argument("--date-before", help="Up to this date (included) or moment (excluded).")
        parser.add_argument("--transition", help="A workflow transition, e.g. submit.")

    def handle(self, *args, **options):
        output = Path(options["output"])
        export_format = options["format"] or output.suffix.lstrip(".").lower()
        if export_format not in exports.FORMATS:
            raise CommandError(f"Give --format csv or xlsx, or a file name ending in .csv or .xlsx (not {output}).")
        form = AuditFilterForm({name: options[name] or "" for name in FILTER_OPTIONS})
        if not form.is_valid():
            problems = "; ".join(
                f"--{name.replace('_', '-')}: {' '.join(errors)}" for name, errors in form.errors.items()
            )
            raise CommandError(f"The filters cannot be applied: {problems}")
        rows = (export_row(entry) for entry in iter_audit_log(form.filters()))
        # Written beside the target and renamed at the end: a failed export leaves no half-written file.
        partial = output.with_name(output.name + ".part")
        try:
            count = (_write_csv if export_format == "csv" else _write_xlsx)(partial, rows)
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Wrote {count} change{'s' if count != 1 else ''} of the audit log to {output}.")


def _write_csv(path: Path, rows) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(EXPORT_HEADERS)
        for row in rows:
            # The same cell rules as every download (numbers exact, formulas neutralised: exports.py).
            writer.writerow([exports._csv_value(value) for value in row])
            count += 1
    return count


def _write_xlsx(path: Path, rows) -> int:
    # Write-only mode streams rows to disk: a million rows do not have to fit in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Audit log")
    header = []
    for title in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=exports._xlsx_value(value))
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            elif cell.is_date:
                cell.number_format = DATETIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count
