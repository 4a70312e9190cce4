"""Bulk entry of a meeting's positions: all or nothing, each bad row named."""

import pytest

from pledges.negotiation.models import Position, Topic
from tests.conftest import api_as
from tests.pledges.negotiation.api.helpers import REASON, first_error

pytestmark = pytest.mark.django_db


def bulk_body(meeting, topic, *rows, reason=REASON):
    return {
        "meeting": meeting.pk,
        "reason": reason,
        "positions": [
            {"topic": topic.pk, "member_state": code, "stance": stance, **extra} for code, stance, extra in rows
        ],
    }


def test_bulk_entry_records_a_meetings_positions(be_negotiator, pool_size, meetings):
    body = bulk_body(
        meetings[1],
        pool_size,
        ("BE", "support", {"conditions": "Dublin compliance first"}),
        ("NL", "reserve", {"visibility": "restricted"}),
        ("DE", "strong_support", {"proposed_value": "30000"}),
    )
    response = api_as(be_negotiator).post("/api/v1/positions/bulk/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["meeting"] == meetings[1].pk
    assert [(p["member_state"], p["stance"], p["date"], p["meeting"]) for p in data["positions"]] == [
        ("BE", "support", "2025-11-27", meetings[1].pk),
        ("NL", "reserve", "2025-11-27", meetings[1].pk),
        ("DE", "strong_support", "2025-11-27", meetings[1].pk),
    ]
    assert Position.objects.filter(meeting=meetings[1], recorded_by_state="BE").count() == 3
    assert {p.history.get().history_change_reason for p in Position.objects.all()} == {REASON}


def test_bulk_entry_with_one_invalid_row_writes_nothing_and_names_the_row(
    be_negotiator, pool_size, other_cycle, meetings
):
    client = api_as(be_negotiator)
    invalid_stance = bulk_body(meetings[0], pool_size, ("BE", "support", {}), ("NL", "keen", {}), ("DE", "neutral", {}))
    response = client.post("/api/v1/positions/bulk/", invalid_stance, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["attr"], e["code"]) for e in errors] == [("positions[1].stance", "invalid_choice")]
    assert not Position.objects.exists()

    # A row the service refuses (a topic of another cycle) is named the same way, and still nothing is written.
    foreign = Topic.objects.create(cycle=other_cycle, title="Next year")
    mixed = bulk_body(meetings[0], pool_size, ("BE", "support", {}), ("NL", "reserve", {}), ("DE", "neutral", {}))
    mixed["positions"][2]["topic"] = foreign.pk
    refused = client.post("/api/v1/positions/bulk/", mixed, format="json")
    assert refused.status_code == 400
    assert [(e["attr"], e["code"]) for e in refused.json()["errors"]] == [("positions[2].topic", "wrong_cycle")]
    assert not Position.objects.exists()

    unknown_state = bulk_body(meetings[0], pool_size, ("BE", "support", {}), ("XX", "reserve", {}))
    named = client.post("/api/v1/positions/bulk/", unknown_state, format="json")
    assert [e["attr"] for e in named.json()["errors"]] == ["positions[1].member_state"]
    assert not Position.objects.exists()


def test_bulk_entry_refusals(be_negotiator, be_official, pool_size, meetings):
    body = bulk_body(meetings[0], pool_size, ("BE", "support", {}))
    assert api_as(be_official).post("/api/v1/positions/bulk/", body, format="json").status_code == 403
    client = api_as(be_negotiator)
    too_long = client.post("/api/v1/positions/bulk/", {**body, "reason": "r" * 2001}, format="json")
    assert (too_long.status_code, first_error(too_long)["code"]) == (400, "max_length")
    empty = client.post("/api/v1/positions/bulk/", {**body, "positions": []}, format="json")
    assert (empty.status_code, first_error(empty)["attr"]) == (400, "positions")
    unknown_meeting = client.post("/api/v1/positions/bulk/", {**body, "meeting": 999999}, format="json")
    assert (unknown_meeting.status_code, first_error(unknown_meeting)["attr"]) == (404, "meeting")
    assert not Position.objects.exists()
