from django.core.management.base import BaseCommand, CommandError

from solidarity.platform.integrity import install_append_only_triggers, verify_append_only


class Command(BaseCommand):
    help = (
        "Check that every history table is append-only on PostgreSQL: its triggers are in place and an "
        "UPDATE of a history row is refused. Exits with an error naming the tables that are not."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="Reinstall the triggers first (what every migrate does)."
        )

    def handle(self, *args, repair=False, **options):
        if repair:
            self.stdout.write(f"Triggers installed on {install_append_only_triggers()} history tables.")
        try:
            checks = verify_append_only()
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        failing = [check for check in checks if not check.ok]
        for check in checks:
            probe = {True: "refused", False: "ACCEPTED", None: "no row to probe"}[check.update_refused]
            status = "ok" if check.ok else "NOT APPEND-ONLY"
            self.stdout.write(
                f"{check.table:<45} row trigger {'yes' if check.row_trigger else 'NO':<3} "
                f"truncate trigger {'yes' if check.truncate_trigger else 'NO':<3} update {probe:<16} {status}"
            )
        if failing:
            raise CommandError(
                f"{len(failing)} of {len(checks)} history tables are not append-only: "
                + ", ".join(check.table for check in failing)
                + ". Run `manage.py verify_audit --repair` (or migrate) as the schema owner."
            )
        self.stdout.write(self.style.SUCCESS(f"All {len(checks)} history tables are append-only."))
