from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from solidarity.platform.legal_basis import RULES, as_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "legal-basis.md"


class Command(BaseCommand):
    help = (
        "Write docs/legal-basis.md from the registry of the rules' legal basis (solidarity/platform/legal_basis.py); "
        "with --check, write nothing and fail when the file is out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail when the file differs from the registry.")
        parser.add_argument("--path", default=str(DOC), help="The file to write or check (docs/legal-basis.md).")

    def handle(self, *args, check=False, path=str(DOC), **options):
        target = Path(path)
        # The document is English, whatever the language of the shell that runs the command.
        with translation.override("en"):
            text = as_markdown()
        current = target.read_text() if target.exists() else None
        if check:
            if current != text:
                raise CommandError(f"{target} is out of date: run `python manage.py legal_basis_doc`.")
            self.stdout.write(f"{target} is up to date ({len(RULES)} rules).")
            return
        if current == text:
            self.stdout.write(f"{target} was up to date ({len(RULES)} rules).")
            return
        target.write_text(text)
        self.stdout.write(self.style.SUCCESS(f"Wrote {target} ({len(RULES)} rules)."))
