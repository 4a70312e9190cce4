"""``findings/`` (compliance.api.findings): the workflow of a finding (AMMR Art. 60(3)) and its filters."""

import pytest
from django.utils import timezone

from compliance.models import Finding
from tests.compliance.api.helpers import record, transition
from tests.conftest import api_as
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db


def test_finding_is_confirmed_lifted_and_cannot_be_dismissed_afterwards(officer_api, records):
    pk = records.finding.pk
    assert transition(officer_api, "findings", pk, "confirm").status_code == 409  # not assessed yet
    assert transition(officer_api, "findings", pk, "assess").json()["status"] == "under_assessment"
    confirmed = transition(officer_api, "findings", pk, "confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_on"] == timezone.localdate().isoformat()
    refused = transition(officer_api, "findings", pk, "dismiss")
    assert refused.status_code == 409
    assert refused.json()["current"]["status"] == "confirmed"
    lifted = transition(officer_api, "findings", pk, "lift")
    assert (lifted.status_code, lifted.json()["status"]) == (200, "lifted")
    assert lifted.json()["lifted_on"] == timezone.localdate().isoformat()


def test_a_draft_finding_is_dismissed(officer_api, records):
    response = transition(officer_api, "findings", records.finding.pk, "dismiss")
    assert (response.status_code, response.json()["status"]) == (200, "dismissed")
    assert transition(officer_api, "findings", records.finding.pk, "assess").status_code == 409


def test_findings_and_plans_filter_by_state_cycle_and_status(be_official, officer_api, compliance_officer, records):
    other_cycle = CycleFactory(year=2027)
    record(compliance_officer, Finding, member_state=state("EL"), cycle=other_cycle, scope="Later", description="-")
    transition(officer_api, "findings", records.finding.pk, "dismiss")
    client = api_as(be_official)
    assert [f["cycle"] for f in client.get("/api/v1/findings/?member_state=EL&ordering=cycle").json()["results"]] == [
        2026,
        2027,
    ]
    dismissed = client.get("/api/v1/findings/?status=dismissed").json()["results"]
    assert [f["id"] for f in dismissed] == [records.finding.pk]
    both = client.get("/api/v1/findings/?status=dismissed&status=draft").json()
    assert both["count"] == 2
    assert client.get("/api/v1/findings/?cycle=2027").json()["count"] == 1
    assert client.get("/api/v1/action-plans/?member_state=IT&cycle=2026&status=draft").json()["count"] == 1
    assert client.get("/api/v1/action-plans/?status=agreed").json()["count"] == 0
    assert client.get("/api/v1/findings/?status=nonsense").status_code == 400
