"""The benchmark's own database: seeded once into a template, copied fresh for every run.

Seeding a million history rows takes minutes; copying a seeded database (``CREATE DATABASE ... TEMPLATE``)
takes seconds. The template carries a fingerprint (the scale, the seeder's source and the migrations) in its
comment, and is seeded again when any of them changes. Every run then starts from the same data: the writes
of the previous run (updates, transitions, the lost-update check) are gone.
"""

import hashlib
import inspect
import time
from collections.abc import Callable

import psycopg
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from bench import seed, seed_copy, seed_plan, seed_pledges, seed_positions, seed_reference

# The seeder's modules: a change to any of them changes the data set, so each is in the fingerprint.
SEEDER = (seed, seed_copy, seed_plan, seed_pledges, seed_positions, seed_reference)


class DatabaseError(RuntimeError):
    pass


def refuse_unsafe(name: str) -> None:
    """The benchmark drops and recreates its database: only one whose name says it is for benchmarks."""
    if "bench" not in name or name in {"test", "registry", "postgres"} or name.startswith("test"):
        raise DatabaseError(
            f"Refusing to use the database {name!r}: the benchmark drops and recreates its database. Point "
            "DATABASE_URL at a separate database whose name contains 'bench', e.g. registry_bench."
        )


def fingerprint(scale: seed_plan.Scale) -> str:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = sorted(f"{app}.{name}" for app, name in loader.graph.leaf_nodes())
    digest = hashlib.sha256()
    digest.update(repr(scale).encode())
    for module in SEEDER:
        digest.update(inspect.getsource(module).encode())
    digest.update("\n".join(leaves).encode())
    return "registry-bench-seed:" + digest.hexdigest()[:20]


def _admin_connection(settings_dict: dict, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        dbname=dbname,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


def _comment(admin: psycopg.Connection, name: str) -> str | None:
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    ).fetchone()
    return None if row is None else (row[0] or "")


def _drop(admin: psycopg.Connection, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def prepare(scale: seed_plan.Scale, *, reseed: bool = False, log: Callable[[str], None] = print) -> dict:
    """A fresh copy of the seeded template in the database of DATABASE_URL; returns what was done."""
    connection = connections["default"]
    settings_dict = connection.settings_dict
    target = settings_dict["NAME"]
    refuse_unsafe(target)
    template = f"{target}_{scale.name}"
    wanted = fingerprint(scale)
    outcome = {"database": target, "template": template, "seeded": False, "seed_seconds": None}
    connection.close()
    with _admin_connection(settings_dict) as admin:
        if reseed or _comment(admin, template) != wanted:
            log(f"Seeding {template} ({scale.describe()}); later runs reuse it.")
            _drop(admin, template)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
            outcome["seed_seconds"] = _seed_template(template, scale, log=log)
            admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(template), sql.Literal(wanted)))
            outcome["seeded"] = True
        else:
            log(f"Reusing the seeded template {template} ({scale.describe()}).")
        _drop(admin, target)
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target), sql.Identifier(template))
        )
    return outcome


def _seed_template(template: str, scale: seed_plan.Scale, *, log) -> float:
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = template
    started = time.monotonic()
    try:
        call_command("migrate", interactive=False, verbosity=0)
        seed.seed(scale, bulk=True, log=log)
        connection.close()
        # VACUUM ANALYZE: planner statistics and the visibility map, as a database in service would have.
        with _admin_connection(connection.settings_dict, template) as db:
            db.execute("VACUUM (ANALYZE)")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
    seconds = time.monotonic() - started
    log(f"Seeded in {seconds:.0f} s.")
    return seconds
