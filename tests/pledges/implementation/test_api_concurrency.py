"""Concurrent writers of activations and fulfilments over the API: real threads, each with its own client and
database connection.

Transactional tests (each thread commits on its own connection); the flush after each puts the role
groups and Member States back through post_migrate.
"""

import datetime
from decimal import Decimal

import pytest

from pledges.implementation import services
from pledges.implementation.models import Activation, Fulfilment
from pledges.pledging.models import Pledge
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, race

concurrent = pytest.mark.django_db(transaction=True)
ROW_LOCKS = pytest.mark.postgresql("concurrent writers wait on row locks (SELECT ... FOR UPDATE), which SQLite lacks")


@concurrent
@ROW_LOCKS
def test_concurrent_activations_never_exceed_the_pledge():
    cycle = CycleFactory(year=2026, status="in_application")
    pledge = PledgeFactory(cycle=cycle, kind="relocation", quantity=100, status="recorded")
    coordinator = UserFactory(roles=["coordinator"])
    body = {"pledge": pledge.pk, "benefitting_state": "IT", "amount": 30, "reason": REASON}
    responses = race(coordinator, [("post", "/api/v1/activations/", body, {})] * 6)

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 3
    assert {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409} == {"exceeds_pledge"}
    pledge.refresh_from_db()
    assert pledge.activated == Decimal(90)
    assert sum(a.amount for a in Activation.objects.all()) == Decimal(90)
    assert Activation.objects.count() == 3


@concurrent
@ROW_LOCKS
def test_concurrent_fulfilments_never_exceed_the_activation():
    cycle = CycleFactory(year=2026, status="in_application")
    official = UserFactory(member_state=state("BE"), roles=["official"])
    coordinator = UserFactory(roles=["coordinator"])
    pledge = PledgeFactory(cycle=cycle, kind="relocation", quantity=100, status="recorded")
    activation = services.activation_propose(
        pledge=pledge, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )
    services.activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
    body = {
        "activation": activation.pk,
        "date": str(datetime.date.today()),
        "amount": 10,
        "evidence_reference": "Transfer",
        "reason": REASON,
    }
    responses = race(official, [("post", "/api/v1/fulfilments/", body, {})] * 6)

    assert sorted(r.status_code for r in responses) == [201] * 4 + [409] * 2
    # Refused either because nothing remains or because the activation is already fulfilled.
    refused = {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409}
    assert refused <= {"exceeds_activation", "activation_not_accepted"}
    activation.refresh_from_db()
    assert (activation.status, activation.fulfilled) == ("fulfilled", Decimal(40))
    assert sum(f.amount for f in Fulfilment.objects.all()) == Decimal(40)
    assert Pledge.objects.get(pk=pledge.pk).activated == Decimal(40)
