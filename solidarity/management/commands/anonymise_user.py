"""Replace a user's identity by a pseudonym, keeping the audit trail readable."""

from django.core.management.base import BaseCommand, CommandError

from solidarity.accounts.models import User
from solidarity.accounts.privacy import PrivacyError, anonymise_user, pseudonym_for


class Command(BaseCommand):
    help = (
        "Anonymise a user (GDPR Art. 17): the username becomes user-<id>, the names and e-mail are erased (also "
        "from the account's past versions), the account is closed and its password, API token, second factor, "
        "sessions and log-in records are removed. Every history row keeps pointing at the same, now nameless, "
        "actor, so the audit trail stays readable."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username.")
        parser.add_argument("--reason", default="Personal data anonymised on request", help="Kept in the history.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (the change cannot be undone)."
        )

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user is called {options['username']!r}.") from None
        if not options["yes"]:
            answer = input(
                f"Anonymise {user.get_username()} as {pseudonym_for(user)}? This cannot be undone. Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        try:
            pseudonym = anonymise_user(user, reason=options["reason"])
        except PrivacyError as error:
            raise CommandError(f"Nothing was changed: {error}.") from None
        self.stdout.write(f"{options['username']} is now {pseudonym}; its history is kept under that name.")
