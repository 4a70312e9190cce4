"""Load a cycle's reference figures (population, GDP) from the project's CSV or a Eurostat download."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from solidarity.domain import importers
from solidarity.domain.models import CycleStatus, MemberState, ReferenceFigure, SolidarityCycle
from solidarity.domain.services import reference_figures_replace
from solidarity.platform.errors import DomainError
from solidarity.platform.workflow import require_reason

KEY_FIGURES = ("population", "gdp_eur_million")


class Command(BaseCommand):
    help = (
        "Import population and GDP figures into a cycle's fair-share key (AMMR Art. 66) from the project's CSV, "
        "a Eurostat TSV (demo_pjan, tps00001, nama_10_gdp) or an SDMX-CSV download. Every row is checked "
        "before anything is written; one error anywhere writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import (.csv, .tsv, or .tsv.gz as Eurostat ships it).")
        parser.add_argument("--cycle", type=int, required=True, help="Year of the cycle the figures belong to.")
        parser.add_argument("--format", choices=importers.FORMATS, help="Override the format read from the header.")
        parser.add_argument(
            "--dataset",
            choices=importers.DATASETS,
            help="For Eurostat files: population (1 January) or gdp (current prices); read from the dimensions "
            "when not given.",
        )
        parser.add_argument(
            "--period",
            type=int,
            help="For Eurostat files: the year to take (population on 1 January of it, GDP of it); needed when "
            "the file holds several years.",
        )
        parser.add_argument("--reason", help='Kept in every history row; default "Imported from <file name>".')
        parser.add_argument("--actor", help="Username recorded in the history rows (a coordinator).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and show the changes only.")
        parser.add_argument("--verified", action="store_true", help="Mark every imported row as verified.")
        parser.add_argument(
            "--skip-unknown",
            action="store_true",
            help="Skip geo codes that are not in the registry (e.g. TR, UK in a full Eurostat download) "
            "instead of refusing the file; they are listed.",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        reason = options["reason"] if options["reason"] is not None else f"Imported from {path.name}"
        try:
            reason = require_reason(reason)
        except DomainError as error:
            raise CommandError(error.message) from None
        cycle = self._cycle(options["cycle"])
        actor = self._actor(options["actor"])
        try:
            text = importers.read_import_file(path)
        except (OSError, importers.ImportFileError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None

        parsed = importers.parse_import(
            text,
            known_codes=MemberState.objects.values_list("code", flat=True),
            file_format=options["format"],
            dataset=options["dataset"],
            period=options["period"],
            filename=path.name,
            skip_unknown=options["skip_unknown"],
        )
        if parsed.errors:
            raise CommandError(_error_report(path, parsed.errors))

        # One transaction from reading the stored figures to writing: the comparison stays true while we write.
        with transaction.atomic():
            existing = {
                figure.member_state_id: figure
                for figure in ReferenceFigure.objects.select_for_update().filter(cycle=cycle)
            }
            plan = importers.plan_import(
                parsed, existing=existing, cycle_year=cycle.year, mark_verified=options["verified"]
            )
            if plan.errors:
                raise CommandError(_error_report(path, plan.errors))
            self._describe(path, parsed, plan, cycle, verbosity=options["verbosity"])
            if options["dry_run"]:
                self.stdout.write(
                    f"Dry run: {plan.count('create')} to create, {plan.count('update')} to update, "
                    f"{plan.count('unchanged')} unchanged; nothing was written."
                )
                return
            try:
                counts = reference_figures_replace(
                    cycle=cycle, rows=plan.rows, actor=actor, reason=reason, fields=plan.fields
                )
            except DomainError as error:
                raise CommandError(error.message) from None
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {path.name} into cycle {cycle.year}: created {counts['created']}, "
                f"updated {counts['updated']}, unchanged {counts['unchanged']}."
            )
        )

    def _cycle(self, year: int) -> SolidarityCycle:
        cycle = SolidarityCycle.objects.filter(year=year).first()
        if cycle is None:
            years = ", ".join(str(y) for y in SolidarityCycle.objects.order_by("year").values_list("year", flat=True))
            raise CommandError(f"There is no cycle {year}; create it first (cycles: {years or 'none'}).")
        return cycle

    def _actor(self, username: str | None):
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        # The same permission the pages and the API ask for: only the coordinator manages reference figures.
        if not user.has_perm("solidarity.change_referencefigure"):
            raise CommandError(f"{username} may not change reference figures (coordinators only).")
        return user

    def _describe(
        self, path: Path, parsed: importers.ParseResult, plan: importers.ImportPlan, cycle, verbosity
    ) -> None:
        what = "population and GDP" if parsed.dataset == importers.BOTH else parsed.dataset
        period = f", period {parsed.period}" if parsed.period else ""
        if verbosity >= 1:
            self.stdout.write(f"{path.name}: {parsed.format}, {what}{period}, {len(plan.rows)} state(s).")
        if parsed.skipped_unknown:
            self.stdout.write(f"Skipped codes not in the registry: {', '.join(sorted(set(parsed.skipped_unknown)))}.")
        changing = plan.count("create") + plan.count("update")
        if changing and cycle.status not in (CycleStatus.PREPARATION, CycleStatus.PROPOSED):
            self.stderr.write(
                f"Note: cycle {cycle.year} is at stage '{cycle.get_status_display()}'; its fair shares will change."
            )
        for change in plan.changes:
            if change.action == "unchanged" or verbosity < 1:
                continue
            if change.action == "create":
                details = ", ".join(
                    f"{name} {_show(new)}" for name, _, new in change.differences if name in KEY_FIGURES
                )
            else:
                details = ", ".join(f"{name} {_show(old)} -> {_show(new)}" for name, old, new in change.differences)
            self.stdout.write(f"  {change.action} {change.code} (line {change.line}): {details}")


def _error_report(path: Path, errors) -> str:
    lines = "\n".join(f"  {error}" for error in errors)
    return f"{len(errors)} error(s) in {path.name}; nothing was written:\n{lines}"


def _show(value) -> str:
    return "-" if value in (None, "") else str(value)
