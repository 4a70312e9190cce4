"""Concurrent writers of a pledge over the API: real threads, each with its own client and database connection.

Transactional tests (each thread commits on its own connection); the flush after each puts the role
groups and Member States back through post_migrate.
"""

import pytest

from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, race

concurrent = pytest.mark.django_db(transaction=True)


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
