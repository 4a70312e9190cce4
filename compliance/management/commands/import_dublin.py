"""Load Dublin-performance or secondary-movement figures from a CSV file, all or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from compliance import importers
from compliance.services import dublin_performance_import, secondary_movement_import
from solidarity.domain.models import MemberState
from solidarity.platform.errors import DomainError
from solidarity.platform.workflow import require_reason


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that everything it wrote is rolled back."""

    def __init__(self, counts):
        super().__init__()
        self.counts = counts


class Command(BaseCommand):
    help = (
        "Import Dublin performance (--kind dublin: take-charge and take-back requests, transfers, delays) or "
        "secondary-movement indicators (--kind secondary) per Member State and month or quarter from a CSV "
        "file whose header names the model fields: member_state (Eurostat code), period_kind (month or "
        "quarter), period_start, period_end (YYYY-MM-DD), then the figures. A row states the whole period: "
        "columns left out take their default. Every row is checked first; one error anywhere writes nothing, "
        "and each error names its line and field."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (UTF-8, comma-separated, with a header line).")
        parser.add_argument("--kind", choices=importers.KINDS, required=True, help="What the file holds.")
        parser.add_argument("--actor", required=True, help="Username of the compliance officer recorded as author.")
        parser.add_argument("--reason", help='Kept in every history row; default "Imported from <file name>".')
        parser.add_argument("--dry-run", action="store_true", help="Check the file and count the changes only.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        kind = options["kind"]
        reason = options["reason"] if options["reason"] is not None else f"Imported from {path.name}"
        try:
            reason = require_reason(reason)
        except DomainError as error:
            raise CommandError(error.message) from None
        actor = self._actor(options["actor"])
        try:
            text = importers.read_import_file(path)
        except (OSError, importers.ImportFileError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None

        parsed = importers.parse_csv(text, kind=kind, known_codes=MemberState.objects.values_list("code", flat=True))
        if parsed.errors:
            raise CommandError(_error_report(path, parsed.errors))

        importer = dublin_performance_import if kind == importers.DUBLIN else secondary_movement_import
        try:
            # A dry run goes through the very same writes, then rolls them back: its counts are the real ones.
            with transaction.atomic():
                counts = importer(rows=[dict(row) for row in parsed.rows], actor=actor, reason=reason)
                if options["dry_run"]:
                    raise _DryRun(counts)
        except _DryRun as dry:
            self.stdout.write(
                f"Dry run of {path.name} ({importers.LABELS[kind]}, {len(parsed.rows)} row(s)): "
                f"{dry.counts['created']} to create, {dry.counts['updated']} to update, "
                f"{dry.counts['unchanged']} unchanged; nothing was written."
            )
            return
        except DomainError as error:
            raise CommandError(f"{path.name}: {error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {importers.LABELS[kind]} from {path.name} ({len(parsed.rows)} row(s)): "
                f"created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}."
            )
        )

    def _actor(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        # The same permission the pages and the API ask for.
        if not user.has_perm("compliance.manage"):
            raise CommandError(f"{username} may not record compliance data (compliance officers only).")
        return user


def _error_report(path: Path, errors) -> str:
    lines = "\n".join(f"  {error}" for error in errors)
    return f"{len(errors)} error(s) in {path.name}; nothing was written:\n{lines}"
