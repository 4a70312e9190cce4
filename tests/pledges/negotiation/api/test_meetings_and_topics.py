"""The forum meetings and topics endpoints: the coordinator writes them, with a reason and a version."""

import datetime

import pytest

from pledges.negotiation.models import ForumMeeting, Topic
from tests.conftest import api_as
from tests.pledges.negotiation.api.helpers import REASON, first_error, record

pytestmark = pytest.mark.django_db


def test_coordinator_records_a_forum_meeting_with_its_reason(coordinator, cycle):
    body = {
        "cycle": 2026,
        "level": "high",
        "date": "2025-11-18",
        "title": "High-Level EU Solidarity Forum",
        "location": "Brussels",
        "documents": "COM(2025) 795",
        "reason": "Convened by the presidency",
    }
    response = api_as(coordinator).post("/api/v1/forum-meetings/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["ETag"] == '"1"'
    assert {k: data[k] for k in ("cycle", "level", "date", "title", "location", "documents", "version")} == {
        "cycle": 2026,
        "level": "high",
        "date": "2025-11-18",
        "title": "High-Level EU Solidarity Forum",
        "location": "Brussels",
        "documents": "COM(2025) 795",
        "version": 1,
    }
    meeting = ForumMeeting.objects.get(pk=data["id"])
    created = meeting.history.get()
    assert (created.history_user, created.history_change_reason) == (coordinator, "Convened by the presidency")
    # The same meeting twice is a conflict, not a second row.
    again = api_as(coordinator).post("/api/v1/forum-meetings/", body, format="json")
    assert again.status_code == 409
    assert first_error(again)["code"] == "unique"
    assert ForumMeeting.objects.count() == 1


@pytest.mark.parametrize("persona", ["be_negotiator", "be_official", "auditor", "compliance_officer", "outsider"])
def test_only_the_coordinator_writes_meetings_and_topics(request, persona, cycle, meetings, pool_size):
    client = api_as(request.getfixturevalue(persona))
    meeting = {"cycle": 2026, "level": "technical", "date": "2026-01-10", "title": "TLF", "reason": REASON}
    assert client.post("/api/v1/forum-meetings/", meeting, format="json").status_code == 403
    topic = {"cycle": 2026, "title": "Offsets", "reason": REASON}
    assert client.post("/api/v1/topics/", topic, format="json").status_code == 403
    patch = client.patch(
        f"/api/v1/topics/{pool_size.pk}/", {"title": "Changed", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == 403
    assert (ForumMeeting.objects.count(), Topic.objects.count()) == (2, 1)
    assert Topic.objects.get().title == "Pool size"
    # Reading them is open to every logged-in user.
    assert client.get("/api/v1/forum-meetings/?cycle=2026").json()["count"] == 2
    assert client.get(f"/api/v1/topics/{pool_size.pk}/").json()["unit"] == "relocations in the pool"


def test_topic_changes_need_the_current_version(coordinator, pool_size):
    client = api_as(coordinator)
    url = f"/api/v1/topics/{pool_size.pk}/"
    missing = client.patch(url, {"title": "Size of the pool", "reason": REASON}, format="json")
    assert (missing.status_code, first_error(missing)["code"]) == (428, "version_required")
    changed = client.patch(url, {"title": "Size of the pool", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200
    assert (changed.json()["version"], changed["ETag"]) == (2, '"2"')
    stale = client.patch(url, {"title": "Pool", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert (stale.status_code, first_error(stale)["code"]) == (412, "stale_version")
    assert stale.json()["current"]["current_version"] == 2
    moved = client.patch(url, {"cycle": 2027, "reason": REASON}, format="json", HTTP_IF_MATCH='"2"')
    assert (moved.status_code, first_error(moved)["code"]) == (400, "read_only")
    assert Topic.objects.get().title == "Size of the pool"


def test_moving_a_meeting_moves_the_positions_taken_at_it(coordinator, be_negotiator, pool_size, meetings):
    at_meeting = record(be_negotiator, pool_size, meetings[0], "BE", "support")
    own_date = record(be_negotiator, pool_size, meetings[0], "NL", "oppose", date=datetime.date(2025, 11, 20))
    response = api_as(coordinator).patch(
        f"/api/v1/forum-meetings/{meetings[0].pk}/",
        {"date": "2025-11-19", "reason": "The minutes give the 19th"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    at_meeting.refresh_from_db()
    own_date.refresh_from_db()
    assert (at_meeting.date, at_meeting.version) == (datetime.date(2025, 11, 19), 2)
    assert at_meeting.history.first().history_change_reason == "The minutes give the 19th"
    assert (own_date.date, own_date.version) == (datetime.date(2025, 11, 20), 1)


# --- Positions --------------------------------------------------------------------------------------------
