"""A large, realistic data set for the benchmark, written with PostgreSQL COPY.

Ten annual cycles (all but the last two closed, one in application, the last in its pledging exercise), the
27 EU Member States with an official and a negotiator each, the coordinator, an auditor and a compliance
officer (each with an API token), reference figures and designations, forum meetings and topics, pledges
(one relocation and one financial pledge per state and cycle, the rest alternative measures), negotiation
positions, and the history of all of them: every object's creation, its revisions and its transitions, as
the services would have written them. The number of history rows is exact: the revisions fill what the
creations and transitions leave of it.

Rows go straight to the tables with COPY (no model ``save``, no signal): a million history rows seed in a
minute or two. Values are generated from a fixed random seed, so two runs seed the same data set.

This module runs the seeding; ``seed_plan`` holds its scale, ``seed_copy`` the COPY writer, and
``seed_reference``, ``seed_pledges`` and ``seed_positions`` the rows of each part of the data set.
"""

import random

from django.core.management.color import no_style
from django.db import connections, transaction

from bench.seed_copy import SeedError, SeedSummary, history_model, indexes_rebuilt
from bench.seed_plan import FULL, RANDOM_SEED, Scale
from bench.seed_pledges import PledgeSpec, plan_pledges, write_pledges
from bench.seed_positions import PositionSpec, plan_positions, write_positions
from bench.seed_reference import seed_cycles, seed_users
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging.models import Pledge
from solidarity.accounts.models import User
from solidarity.domain.models import Designation, MemberState, ReferenceFigure, SolidarityCycle


def seed(scale: Scale = FULL, *, using: str = "default", bulk: bool = False, log=None) -> SeedSummary:
    """Write the data set of ``scale`` into an empty registry (migrated: roles and Member States present).

    ``bulk``: the large tables' secondary indexes are built after the load, and foreign keys are not checked
    row by row (``session_replication_role = replica``, a superuser's setting): for seeding a benchmark
    database in minutes. Without it every constraint is checked as usual (the test suite seeds that way).
    """
    connection = connections[using]
    rebuild_indexes = bulk
    if Pledge.objects.using(using).exists() or SolidarityCycle.objects.using(using).exists():
        raise SeedError("The database already holds cycles or pledges: seed an empty, migrated database.")
    states = list(MemberState.objects.using(using).filter(eu_member=True).order_by("protocol_order"))[: scale.states]
    if len(states) < scale.states:
        raise SeedError(f"Only {len(states)} EU Member States are recorded, {scale.states} asked.")
    rng = random.Random(RANDOM_SEED)
    summary = SeedSummary(scale)
    say = log or (lambda message: None)
    with transaction.atomic(using=using):
        if bulk:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        users = seed_users(connection, states, rng, summary, using=using)
        cycles = seed_cycles(connection, scale, users, rng, summary)
        small_history = summary.history_rows
        pledge_specs = plan_pledges(scale, cycles, states, rng)
        position_specs = plan_positions(scale, cycles, states, rng)
        base = small_history + sum(len(spec.events) for spec in pledge_specs) + len(position_specs)
        extra = scale.history - base
        if extra < 0:
            raise SeedError(
                f"{scale.history:,} history rows cannot hold the {base:,} creations and transitions of this data set."
            )
        _allocate_revisions(extra, pledge_specs, position_specs, rng)
        say(f"  users, cycles, figures, topics, meetings: {small_history:,} history rows")
        large = [Pledge, history_model(Pledge), Position, history_model(Position)]
        with indexes_rebuilt(connection, large if rebuild_indexes else []):
            write_pledges(connection, pledge_specs, users, summary)
            say(f"  pledges: {summary.rows.get('pledges.pledge', 0):,}, history so far {summary.history_rows:,}")
            write_positions(connection, position_specs, users, summary)
            say(f"  positions: {summary.rows.get('pledges.position', 0):,}, history {summary.history_rows:,}")
        say("  indexes built")
        _reset_sequences(connection)
    if summary.history_rows != scale.history:
        raise SeedError(f"Wrote {summary.history_rows:,} history rows instead of {scale.history:,}.")
    return summary


def _reset_sequences(connection) -> None:
    seeded = [User, SolidarityCycle, ReferenceFigure, Designation, ForumMeeting, Topic, Pledge, Position]
    seeded_models = [*seeded, *(history_model(m) for m in seeded), User.groups.through]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), seeded_models):
            cursor.execute(statement)


def _allocate_revisions(extra: int, pledges: list[PledgeSpec], positions: list[PositionSpec], rng) -> None:
    """Spread ``extra`` history rows as revisions: about 60 % on pledges, the rest on positions."""
    to_pledges = extra if not positions else (0 if not pledges else extra * 6 // 10)
    for _ in range(to_pledges):
        spec = pledges[rng.randrange(len(pledges))]
        spec.events.insert(1, "revise")
    for _ in range(extra - to_pledges):
        positions[rng.randrange(len(positions))].revisions += 1
