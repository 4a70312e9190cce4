"""Concurrent writers over the API: real threads, each with its own client and database connection.

Transactional tests (each thread commits on its own connection); the flush after each puts the role
groups and Member States back through post_migrate.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from pledges.implementation import services
from pledges.implementation.models import Activation, Fulfilment
from pledges.pledging.models import Pledge
from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

concurrent = pytest.mark.django_db(transaction=True)
ROW_LOCKS = pytest.mark.postgresql("concurrent writers wait on row locks (SELECT ... FOR UPDATE), which SQLite lacks")

REASON = "Agreed in the delegation"


def race(user, requests: list) -> list:
    """Send each ``(method, url, body, headers)`` from its own thread at the same moment; the responses, in order."""
    start = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index, method, url, body, headers):
        client = api_as(user)
        try:
            start.wait(timeout=10)
            responses[index] = getattr(client, method)(url, body, format="json", **headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@concurrent
def test_two_patches_with_the_same_etag_leave_exactly_one_applied():
    cycle = CycleFactory(year=2026, status="pledging")
    official = UserFactory(member_state=state("BE"), roles=["official"])
    pledge = PledgeFactory(cycle=cycle, member_state=state("BE"))
    url = f"/api/v1/pledges/{pledge.pk}/"
    etag = api_as(official).get(url)["ETag"]
    assert etag == '"1"'
    amounts = ["2000000.00", "3000000.00"]
    responses = race(
        official,
        [("patch", url, {"amount_eur": amount, "reason": REASON}, {"HTTP_IF_MATCH": etag}) for amount in amounts],
    )

    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 412]
    winner = next(r for r in responses if r.status_code == 200)
    loser = next(r for r in responses if r.status_code == 412)
    assert loser.json()["errors"][0]["code"] == "stale_version"
    assert loser.json()["current"]["current_version"] == 2
    pledge.refresh_from_db()
    assert (pledge.version, str(pledge.amount_eur)) == (2, winner.json()["amount_eur"])
    # One history row of the change, the winner's; the loser's value was never stored.
    changes = pledge.history.filter(history_type="~")
    assert [str(row.amount_eur) for row in changes] == [winner.json()["amount_eur"]]


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
