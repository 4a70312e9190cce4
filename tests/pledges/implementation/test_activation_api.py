"""/api/v1/activations/ and /api/v1/fulfilments/: the coordinator activates recorded pledges, the contributing
state accepts or declines and records what it fulfilled, over real HTTP on PostgreSQL."""

import datetime
from decimal import Decimal

import pytest

from compliance.models import Finding
from pledges.implementation import services
from pledges.implementation.models import Activation, Fulfilment
from pledges.pledging.models import Pledge
from tests.conftest import api_as
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, as_persona, error, listed_ids

pytestmark = pytest.mark.django_db


# --- Activations -------------------------------------------------------------------------------------------------


@pytest.fixture
def be_recorded(applied_cycle):
    return PledgeFactory(
        cycle=applied_cycle, member_state=state("BE"), kind="relocation", quantity=100, status="recorded"
    )


def propose(client, pledge, amount, benefitting="IT"):
    return client.post(
        "/api/v1/activations/",
        {"pledge": pledge.pk, "benefitting_state": benefitting, "amount": amount, "reason": REASON},
        format="json",
    )


def test_coordinator_proposes_an_activation(coordinator_api, coordinator, be_recorded):
    response = propose(coordinator_api, be_recorded, 40)
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body == {
        "id": body["id"],
        "cycle": 2027,
        "pledge": be_recorded.pk,
        "contributing_state": "BE",
        "kind": "relocation",
        "benefitting_state": "IT",
        "amount": "40.00",
        "fulfilled": "0.00",
        "status": "proposed",
        "decline_ground": "",
        "decline_explanation": "",
        "finding": None,
        "not_implemented": False,
        "version": 1,
        "created_at": body["created_at"],
    }
    be_recorded.refresh_from_db()
    assert be_recorded.activated == Decimal(40)
    assert Activation.objects.get().history.get().history_user == coordinator


@pytest.mark.parametrize("persona", ["be_official", "nl_official", "auditor", "compliance_officer"])
def test_only_the_coordinator_proposes_activations(request, persona, be_recorded):
    response = propose(as_persona(request, persona), be_recorded, 10)
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Activation.objects.exists()


@pytest.mark.parametrize(
    ("amount", "status", "attr", "code"),
    [
        (101, 409, "amount", "exceeds_pledge"),
        # More persons than any count, within the schema's bound (it is the euros'): beyond the pledge, a conflict.
        (3574238835, 409, "amount", "exceeds_pledge"),
        (10**30, 400, "amount", "too_large"),  # beyond any count of persons: bad input, not a conflict
        (1e30, 400, "amount", "invalid"),  # a JSON number with an exponent is a float, its rounding unsaid
        ("1e30", 400, "amount", "not_a_number"),
        ("+5", 400, "amount", "not_a_number"),
        (-5, 400, "amount", "not_positive"),
        ("2.5", 400, "amount", "not_whole"),
        ("forty", 400, "amount", "not_a_number"),
        (False, 400, "amount", "invalid"),
    ],
)
def test_a_bad_activation_amount_writes_nothing(coordinator_api, be_recorded, amount, status, attr, code):
    response = propose(coordinator_api, be_recorded, amount)
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (status, attr, code)
    assert not Activation.objects.exists()
    be_recorded.refresh_from_db()
    assert (be_recorded.activated, be_recorded.version) == (Decimal(0), 1)


def test_activations_never_exceed_the_pledge(coordinator_api, be_recorded):
    assert propose(coordinator_api, be_recorded, 70).status_code == 201
    response = propose(coordinator_api, be_recorded, 31, benefitting="EL")
    assert (response.status_code, error(response)["code"]) == (409, "exceeds_pledge")
    assert response.json()["current"] == {"remaining": "30.00"}
    assert propose(coordinator_api, be_recorded, 30, benefitting="EL").status_code == 201
    assert Pledge.objects.get(pk=be_recorded.pk).activated == Decimal(100)


def test_only_recorded_pledges_of_an_applied_cycle_are_activated(coordinator_api, pledging_cycle, be_recorded):
    submitted = PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="submitted")
    response = propose(coordinator_api, submitted, "1000.00")
    assert (response.status_code, error(response)["code"]) == (409, "pledge_not_activatable")
    own = propose(coordinator_api, be_recorded, 10, benefitting="BE")
    assert (own.status_code, error(own)["attr"], error(own)["code"]) == (400, "benefitting_state", "benefitting_self")
    assert not Activation.objects.exists()


@pytest.fixture
def proposed(be_recorded, coordinator):
    return services.activation_propose(
        pledge=be_recorded, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )


def answer(client, activation, name, **extra):
    return client.post(
        f"/api/v1/activations/{activation.pk}/transition/",
        {"transition": name, "reason": REASON, **extra},
        format="json",
    )


def test_the_contributing_state_accepts_an_activation(be_api, proposed):
    response = answer(be_api, proposed, "accept")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"], response["ETag"]) == ("accepted", 2, '"2"')
    again = answer(be_api, proposed, "accept")
    assert (again.status_code, error(again)["code"]) == (409, "transition_not_allowed")
    unknown = answer(be_api, proposed, "complete")
    assert (unknown.status_code, error(unknown)["code"]) == (400, "transition_unknown")


def test_a_decline_needs_a_ground_and_frees_the_pledge(be_api, proposed, be_recorded):
    no_ground = answer(be_api, proposed, "decline")
    assert (no_ground.status_code, error(no_ground)["attr"], error(no_ground)["code"]) == (
        400,
        "decline_ground",
        "decline_ground_required",
    )
    bad_ground = answer(be_api, proposed, "decline", decline_ground="dislike")
    assert (bad_ground.status_code, error(bad_ground)["attr"]) == (400, "decline_ground")
    # AMMR Art. 60(3): declining on systemic shortcomings needs a confirmed finding on the beneficiary.
    no_finding = answer(be_api, proposed, "decline", decline_ground="systemic_shortcomings")
    assert (no_finding.status_code, error(no_finding)["code"]) == (409, "no_confirmed_finding")
    assert Activation.objects.get(pk=proposed.pk).status == "proposed"

    response = answer(be_api, proposed, "decline", decline_ground="other", explanation="No flights")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decline_ground"], body["decline_explanation"]) == ("declined", "other", "No flights")
    be_recorded.refresh_from_db()
    assert be_recorded.activated == Decimal(0)


def test_a_decline_on_systemic_shortcomings_links_the_confirmed_finding(be_api, proposed, applied_cycle):
    finding = Finding.objects.create(
        member_state=state("IT"), cycle=applied_cycle, scope="Take-charge replies", description="Late replies"
    )
    Finding.objects.filter(pk=finding.pk).update(status="confirmed")
    response = answer(be_api, proposed, "decline", decline_ground="systemic_shortcomings")
    assert response.status_code == 200, response.json()
    assert (response.json()["decline_ground"], response.json()["finding"]) == ("systemic_shortcomings", finding.pk)


def test_officials_see_activations_of_their_pledges_and_towards_their_state(
    be_api, nl_api, coordinator, applied_cycle, proposed
):
    nl_pledge = PledgeFactory(
        cycle=applied_cycle, member_state=state("NL"), kind="relocation", quantity=100, status="recorded"
    )
    nl_to_it = services.activation_propose(
        pledge=nl_pledge, benefitting_state=state("IT"), amount=10, actor=coordinator, reason=REASON
    )
    nl_to_be = services.activation_propose(
        pledge=nl_pledge, benefitting_state=state("BE"), amount=10, actor=coordinator, reason=REASON
    )
    assert sorted(listed_ids(be_api.get("/api/v1/activations/"))) == sorted([proposed.pk, nl_to_be.pk])
    assert listed_ids(be_api.get("/api/v1/activations/?benefitting_state=be")) == [nl_to_be.pk]
    assert listed_ids(be_api.get("/api/v1/activations/?contributing_state=BE")) == [proposed.pk]
    assert be_api.get(f"/api/v1/activations/{nl_to_it.pk}/").status_code == 404
    assert be_api.get(f"/api/v1/activations/{nl_to_be.pk}/")["ETag"] == '"1"'
    assert sorted(listed_ids(nl_api.get("/api/v1/activations/"))) == sorted([nl_to_it.pk, nl_to_be.pk])
    assert len(listed_ids(api_as(coordinator).get("/api/v1/activations/?cycle=2027&status=proposed"))) == 3


# --- Fulfilments ----------------------------------------------------------------------------------------------------


@pytest.fixture
def accepted(proposed, be_official):
    return services.activation_transition(activation=proposed, transition="accept", actor=be_official, reason=REASON)


def fulfil(client, activation, quantity, **extra):
    values = {
        "activation": activation.pk,
        "date": str(datetime.date.today()),
        "amount": quantity,
        "evidence_reference": "Transfer T-1",
        "reason": REASON,
    }
    return client.post("/api/v1/fulfilments/", {**values, **extra}, format="json")


def test_the_contributing_state_records_fulfilment(be_api, be_official, accepted):
    response = fulfil(be_api, accepted, 25)
    assert response.status_code == 201, response.json()
    assert "ETag" not in response
    body = response.json()
    assert {k: body[k] for k in ("activation", "cycle", "contributing_state", "benefitting_state", "amount")} == {
        "activation": accepted.pk,
        "cycle": 2027,
        "contributing_state": "BE",
        "benefitting_state": "IT",
        "amount": "25.00",
    }
    over = fulfil(be_api, accepted, 16)
    assert (over.status_code, error(over)["code"]) == (409, "exceeds_activation")
    assert over.json()["current"] == {"remaining": "15.00"}
    assert fulfil(be_api, accepted, 15).status_code == 201
    accepted.refresh_from_db()
    assert (accepted.status, accepted.fulfilled) == ("fulfilled", Decimal(40))
    after = fulfil(be_api, accepted, 1)
    assert (after.status_code, error(after)["code"]) == (409, "activation_not_accepted")
    assert Fulfilment.objects.count() == 2
    assert Fulfilment.objects.first().history.get().history_user == be_official
    assert be_api.get(f"/api/v1/fulfilments/{body['id']}/").json()["evidence_reference"] == "Transfer T-1"


@pytest.mark.parametrize(
    ("values", "attr", "code"),
    [
        ({"amount": "2.5"}, "amount", "not_whole"),
        ({"amount": 0}, "amount", "not_positive"),
        ({"amount": "x"}, "amount", "not_a_number"),
        ({"date": "2999-01-01"}, "date", "in_future"),
        ({"date": "yesterday"}, "date", "invalid"),
        ({"evidence_reference": "  "}, "evidence_reference", "blank"),
    ],
)
def test_a_bad_fulfilment_writes_nothing(be_api, accepted, values, attr, code):
    response = fulfil(be_api, accepted, 5, **values)
    assert (response.status_code, error(response)["attr"], error(response)["code"]) == (400, attr, code)
    assert not Fulfilment.objects.exists()
    assert Activation.objects.get(pk=accepted.pk).fulfilled == Decimal(0)


def test_fulfilment_waits_for_acceptance(be_api, proposed):
    response = fulfil(be_api, proposed, 5)
    assert (response.status_code, error(response)["code"]) == (409, "activation_not_accepted")
    assert not Fulfilment.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "auditor", "be_negotiator"])
def test_only_officials_of_the_contributing_state_record_fulfilment(request, persona, accepted):
    response = fulfil(as_persona(request, persona), accepted, 5)
    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert not Fulfilment.objects.exists()


def test_fulfilments_are_seen_with_their_activation(be_api, nl_api, be_official, accepted, coordinator):
    today = datetime.date.today()
    services.fulfilment_record(
        activation=accepted,
        date=today - datetime.timedelta(days=60),
        amount=10,
        evidence_reference="T-1",
        actor=be_official,
        reason=REASON,
    )
    later = services.fulfilment_record(
        activation=accepted,
        date=today - datetime.timedelta(days=30),
        amount=10,
        evidence_reference="T-2",
        actor=be_official,
        reason=REASON,
    )
    assert len(listed_ids(be_api.get("/api/v1/fulfilments/"))) == 2
    since = today - datetime.timedelta(days=45)
    assert listed_ids(be_api.get(f"/api/v1/fulfilments/?date_from={since}")) == [later.pk]
    it_api = api_as(UserFactory(member_state=state("IT"), roles=["official"]))
    assert len(listed_ids(it_api.get(f"/api/v1/fulfilments/?activation={accepted.pk}"))) == 2
    assert listed_ids(nl_api.get("/api/v1/fulfilments/")) == []
    assert nl_api.get(f"/api/v1/fulfilments/{later.pk}/").status_code == 404
    assert nl_api.delete(f"/api/v1/fulfilments/{later.pk}/").status_code in (404, 405)
    assert be_api.patch(f"/api/v1/fulfilments/{later.pk}/", {"amount": 1}, format="json").status_code == 405
