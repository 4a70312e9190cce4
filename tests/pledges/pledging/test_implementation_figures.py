"""Who reads what was activated of a pledge (AMMR Arts 57, 60): the parties (the pledging state and the state
the pledge is earmarked for), the coordinator and auditors; to anyone else the pledge is public, its
implementation is not. The same rule lists the activations themselves (``sees_implementation``)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledges.implementation.services import activation_propose
from pledges.pledging.models import Pledge, sees_implementation
from tests.conftest import api_as
from tests.factories import PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Technical-Level Forum"


def official(code: str):
    return UserFactory(username=f"{code.lower()}_official_x", member_state=state(code), roles=["official"])


@pytest.fixture
def activated_pledge(applied_cycle, coordinator):
    """BE's 500 relocations, earmarked for EL, of which 350 are activated: 200 towards IT, 150 towards EL."""
    pledge = PledgeFactory(
        cycle=applied_cycle,
        member_state=state("BE"),
        kind="relocation",
        quantity=500,
        earmark=state("EL"),
        status="recorded",
    )
    for code, amount in (("IT", 200), ("EL", 150)):
        activation_propose(
            pledge=pledge, benefitting_state=state(code), amount=amount, actor=coordinator, reason=REASON
        )
    pledge.refresh_from_db()
    assert pledge.activated == 350
    return pledge


@pytest.fixture
def readers(request):
    return {
        "be": request.getfixturevalue("be_official"),
        "el": official("EL"),
        "coordinator": request.getfixturevalue("coordinator"),
        "auditor": request.getfixturevalue("auditor"),
    }


@pytest.fixture
def others(request):
    return {
        "fr": official("FR"),
        # A benefitting state of one activation reads that activation, not what the whole pledge gave others.
        "it": official("IT"),
        "compliance": request.getfixturevalue("compliance_officer"),
        "nl_negotiator": request.getfixturevalue("nl_negotiator"),
    }


def test_the_rule_names_the_parties_the_coordinator_and_auditors(readers, others, activated_pledge):
    for name, user in readers.items():
        assert activated_pledge.implementation_visible_to(user), name
    for name, user in others.items():
        assert not activated_pledge.implementation_visible_to(user), name
    assert sees_implementation(others["it"], pledging_state_id="BE", benefitting_state_id="IT")
    for user in (*readers.values(), *others.values()):
        visible = set(Pledge.objects.implementation_visible_to(user))
        assert visible == ({activated_pledge} if activated_pledge.implementation_visible_to(user) else set())


def test_the_api_shows_activated_to_the_parties_only_in_detail_list_and_csv(readers, others, activated_pledge):
    url = f"/api/v1/pledges/{activated_pledge.pk}/"
    for name, user in {**readers, **others}.items():
        client = api_as(user)
        expected = "350.00" if name in readers else None
        detail = client.get(url)
        assert detail.status_code == 200, name
        assert detail.json()["activated"] == expected, name
        (row,) = client.get("/api/v1/pledges/?cycle=2027").json()["results"]
        assert row["activated"] == expected, name
        exported = client.get("/api/v1/pledges/?cycle=2027&format=csv")
        assert exported.status_code == 200, name
        (line,) = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
        assert line["activated"] == (expected or ""), name


def test_the_activations_follow_the_same_rule(readers, others, activated_pledge):
    def listed(user):
        response = api_as(user).get(f"/api/v1/activations/?pledge={activated_pledge.pk}")
        assert response.status_code == 200
        return sorted(row["benefitting_state"] for row in response.json()["results"])

    for name in ("be", "coordinator", "auditor"):
        assert listed(readers[name]) == ["EL", "IT"], name
    assert listed(readers["el"]) == ["EL"]
    assert listed(others["it"]) == ["IT"]
    for name in ("fr", "compliance", "nl_negotiator"):
        assert listed(others[name]) == [], name


def test_the_pages_show_activated_to_the_parties_only(client, readers, others, activated_pledge):
    for name, user in {**readers, **others}.items():
        client.force_login(user)
        page = client.get(f"/pledges/{activated_pledge.pk}/").content.decode()
        sees = name in readers
        assert ("350 persons" in page) is sees, name
        assert ("Shown to the parties only" in page) is not sees, name
        # The history tab: the versions the activations wrote are the parties' too.
        assert (REASON in page) is sees, name
        exported = client.get("/pledges/?format=csv")
        (line,) = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
        assert line["Activated"] == ("350.00" if sees else ""), name


def test_the_list_reads_a_constant_number_of_queries(others, applied_cycle, activated_pledge, coordinator):
    fr = others["fr"]

    def count() -> int:
        client = api_as(type(fr).objects.get(pk=fr.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/pledges/?cycle=2027&page_size=100")
        assert response.status_code == 200
        assert all(row["activated"] is None for row in response.json()["results"])
        return len(queries)

    few = count()
    for code in ("DE", "IT", "NL", "AT", "PL", "PT", "SE", "FI"):
        pledge = PledgeFactory(
            cycle=applied_cycle, member_state=state(code), kind="relocation", quantity=100, status="recorded"
        )
        activation_propose(pledge=pledge, benefitting_state=state("EL"), amount=10, actor=coordinator, reason=REASON)
    assert count() == few
