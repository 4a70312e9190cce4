from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench import report, runner
from bench.database import DatabaseError
from bench.seed_plan import FULL, TINY
from bench.server import ServerError


class Command(BaseCommand):
    help = (
        "The benchmark: seed a large data set into a separate database (DATABASE_URL, whose name must contain "
        "'bench'; it is dropped and recreated), serve it with gunicorn as in production, load each endpoint "
        "with wrk, and print requests per second, latency, errors, SQL queries per request and memory, each "
        "against the framework's floor (/health/), then the targets and the lost-update check."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=10, help="Load per endpoint (default 10 s).")
        parser.add_argument("--warmup", type=float, default=2, help="Warm-up per read endpoint (default 2 s).")
        parser.add_argument("--connections", type=int, default=16, help="Concurrent connections (default 16).")
        parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2).")
        parser.add_argument("--port", type=int, default=0, help="The server's port (default: a free one).")
        parser.add_argument("--scale", choices=["full", "tiny"], default="full", help="The data set (default full).")
        parser.add_argument("--reseed", action="store_true", help="Seed the template again even if it is current.")
        parser.add_argument("--only", default="", help="Comma-separated endpoint keys (the floor always runs).")
        parser.add_argument("--markdown", type=Path, help="Also write the report as Markdown to this file.")

    def handle(self, *args, **options):
        settings = runner.Options(
            scale=FULL if options["scale"] == "full" else TINY,
            seconds=options["seconds"],
            warmup_seconds=options["warmup"],
            connections=options["connections"],
            threads=options["threads"],
            workers=options["workers"],
            port=options["port"],
            reseed=options["reseed"],
            only=tuple(key.strip() for key in options["only"].split(",") if key.strip()),
        )
        if options["scale"] == "tiny":
            settings = replace(settings, lost_update_updates=5)
        try:
            result = runner.run(settings, log=self.stdout.write)
        except (runner.BenchError, DatabaseError, ServerError) as error:
            raise CommandError(str(error)) from None
        text = report.markdown(result)
        self.stdout.write("")
        self.stdout.write(text)
        if options["markdown"]:
            options["markdown"].write_text(text + "\n")
        missed = [target for target, met, _ in report.target_results(result) if met is False]
        if missed:
            self.stdout.write(self.style.WARNING("Targets missed: " + "; ".join(missed)))
