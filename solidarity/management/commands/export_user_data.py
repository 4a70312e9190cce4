"""Write everything the registry keeps about one user to a JSON file (or standard output)."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from solidarity.accounts.models import User
from solidarity.accounts.privacy import export_user_data


class Command(BaseCommand):
    help = (
        "Export a user's personal data (GDPR Arts 15 and 20) as JSON: the account, its roles, its own history, "
        "every change the user made (the audit trail), the records that name the user, the API token's and "
        "second factor's dates, and the log-in records. No secret is exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username (user-<id> once anonymised).")
        parser.add_argument("--output", "-o", help="The JSON file to write (replaced if it exists); default: stdout.")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user is called {options['username']!r}.") from None
        text = json.dumps(export_user_data(user), indent=2, ensure_ascii=False)
        if not options["output"]:
            self.stdout.write(text)
            return
        output = Path(options["output"])
        partial = output.with_name(output.name + ".part")
        try:
            partial.write_text(text + "\n", encoding="utf-8")
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
        self.stderr.write(f"Wrote the data of {user.get_username()} to {output}.")
