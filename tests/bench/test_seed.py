"""The benchmark's seeder, at a tiny scale: the counts asked, consistent history, data the benchmark can use."""

from dataclasses import replace

import pytest
from django.db import connection
from django.db.models import Count

from bench.seed import seed
from bench.seed_copy import SeedError
from bench.seed_plan import TINY
from pledges.negotiation.models import Position
from pledges.negotiation.selectors import position_matrix
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.accounts.models import ApiToken, User
from solidarity.domain.models import CycleStatus, SolidarityCycle
from solidarity.platform.audit import AuditFilters, audit_log_page, audit_sources

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql("the benchmark seeds with COPY into its own PostgreSQL database"),
]


def _history_rows() -> int:
    return sum(source.history_model.objects.count() for source in audit_sources().values())


def test_the_tiny_data_set_has_the_counts_asked_and_passes_every_constraint():
    summary = seed(TINY)

    connection.check_constraints()  # the deferred foreign keys too, not only at a commit that never comes here
    assert SolidarityCycle.objects.count() == TINY.cycles
    assert Pledge.objects.count() == TINY.pledges
    assert Position.objects.count() == TINY.positions
    assert _history_rows() == summary.history_rows == TINY.history
    assert Pledge.objects.values("member_state").distinct().count() == TINY.states
    # An official and a negotiator per state, and the EU-level roles, each with an API token.
    assert User.objects.count() == ApiToken.objects.count() == 2 * TINY.states + 3
    assert User.objects.filter(groups__name="official", member_state__isnull=False).count() == TINY.states


def test_each_object_reads_as_its_latest_history_row():
    seed(TINY)

    for pledge in Pledge.objects.all():
        latest = pledge.history.first()
        assert (latest.version, latest.status, latest.amount_eur, latest.quantity) == (
            pledge.version,
            pledge.status,
            pledge.amount_eur,
            pledge.quantity,
        )
        assert pledge.history.count() == pledge.version  # one row per save: creation, revisions, transitions
    for position in Position.objects.all():
        assert position.history.first().version == position.version == position.history.count()


def test_the_cycles_and_pledges_are_those_the_benchmark_writes_to():
    seed(TINY)

    current = SolidarityCycle.objects.current()
    assert current.status == CycleStatus.PLEDGING
    statuses = set(SolidarityCycle.objects.values_list("status", flat=True))
    assert statuses == {CycleStatus.IN_APPLICATION, CycleStatus.PLEDGING}
    # Draft alternative measures to update and submit; one live relocation and financial pledge per state.
    assert Pledge.objects.filter(cycle=current, kind=PledgeKind.ALTERNATIVE, status=PledgeStatus.DRAFT).exists()
    live = (
        Pledge.objects.exclude(status=PledgeStatus.WITHDRAWN)
        .exclude(kind=PledgeKind.ALTERNATIVE)
        .values("cycle", "member_state", "kind")
        .annotate(n=Count("id"))
    )
    assert {row["n"] for row in live} == {1}
    # Adopted cycles hold recorded pledges, recorded by the coordinator's act.
    assert Pledge.objects.filter(cycle__status=CycleStatus.IN_APPLICATION, status=PledgeStatus.RECORDED).exists()


def test_the_seeded_data_reads_through_the_selectors():
    seed(TINY)

    negotiator = User.objects.get(username="negotiator_be")
    matrix = position_matrix(SolidarityCycle.objects.current(), viewer=negotiator)
    assert matrix.cells and len(matrix.topics) == TINY.topics
    page = audit_log_page(AuditFilters(model="pledges.pledge"))
    assert len(page.entries) == 50 and page.older is not None


def test_a_database_with_cycles_is_not_seeded_twice():
    seed(TINY)

    with pytest.raises(SeedError, match="already holds"):
        seed(TINY)
    assert Pledge.objects.count() == TINY.pledges


def test_too_few_history_rows_for_the_creations_are_refused_and_nothing_is_written():
    with pytest.raises(SeedError, match="cannot hold"):
        seed(replace(TINY, history=50))
    assert not Pledge.objects.exists() and not User.objects.exists()
