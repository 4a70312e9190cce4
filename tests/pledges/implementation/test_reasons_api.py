"""The reason of a creation that changes a binding object (issue 12): proposing an activation calls part of a
recorded pledge and recording a fulfilment advances its activation, so both need a reason, in the body; the
X-Change-Reason header does not stand in for it there. Over real HTTP on PostgreSQL."""

import datetime

import pytest

from pledges.implementation.models import Activation, Fulfilment
from tests.pledges.pledging.api_helpers import REASON, error

pytestmark = pytest.mark.django_db


def propose(client, pledge, **extra):
    body = {"pledge": pledge.pk, "benefitting_state": "IT", "amount": 10, **extra}
    return client.post("/api/v1/activations/", body, format="json", HTTP_X_CHANGE_REASON="From the header")


def test_proposing_an_activation_needs_a_reason_in_the_body(coordinator_api, be_relocation):
    missing = propose(coordinator_api, be_relocation)
    assert (missing.status_code, error(missing)["code"], error(missing)["attr"]) == (400, "reason_required", "reason")
    too_long = propose(coordinator_api, be_relocation, reason="r" * 2001)
    assert (too_long.status_code, error(too_long)["code"]) == (400, "max_length")
    assert not Activation.objects.exists()
    be_relocation.refresh_from_db()
    assert be_relocation.version == 1
    given = propose(coordinator_api, be_relocation, reason="r" * 2000)
    assert given.status_code == 201, given.json()
    assert Activation.objects.get().history.get().history_change_reason == "r" * 2000


def test_recording_a_fulfilment_needs_a_reason_in_the_body(be_api, accepted):
    body = {"activation": accepted.pk, "date": str(datetime.date.today()), "amount": 5, "evidence_reference": "T-1"}
    missing = be_api.post("/api/v1/fulfilments/", body, format="json", HTTP_X_CHANGE_REASON="From the header")
    assert (missing.status_code, error(missing)["code"]) == (400, "reason_required")
    assert not Fulfilment.objects.exists()
    given = be_api.post("/api/v1/fulfilments/", {**body, "reason": REASON}, format="json")
    assert given.status_code == 201, given.json()
