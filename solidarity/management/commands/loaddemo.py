from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from solidarity.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: the 2026 cycle from the shipped facts (in application), the 2027 cycle in its "
        "pledging exercise, and one demo user per role. Adds only what is missing; a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password of the demo users it creates.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be loaded, then roll back.")
        parser.add_argument(
            "--force", action="store_true", help="Load even with DEBUG off (never on a production database)."
        )

    def handle(self, *args, password, dry_run, force, **options):
        # The demo users share a published password, a superuser among them: keep them off production.
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: demo users with a published password are not loaded without --force.")
        try:
            summary = load_demo(password=password, dry_run=dry_run)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None

        prefix = "Would load" if dry_run else "Loaded"
        if summary.changed:
            created = ", ".join(f"{count} {what}" for what, count in summary.created.items() if count) or "no rows"
            self.stdout.write(f"{prefix}: {created}; {len(summary.transitions)} stage transitions.")
            for transition in summary.transitions:
                self.stdout.write(f"  cycle {transition}")
        else:
            self.stdout.write("Nothing to do: the demo data is loaded already.")
        for year, status in sorted(summary.cycles.items()):
            self.stdout.write(f"Cycle {year}: {status}")
        self.stdout.write(f"\nDemo users (password {summary.password!r}; users that existed before keep theirs):")
        for user in summary.users:
            self.stdout.write(f"  {user.username:<15} {user.label}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
