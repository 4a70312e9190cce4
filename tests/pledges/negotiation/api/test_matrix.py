"""The matrix endpoint, and the constant number of queries of the matrix and the lists."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic
from solidarity.domain.models import MemberState
from tests.conftest import api_as
from tests.factories import CycleFactory, UserFactory, state
from tests.pledges.negotiation.api.helpers import SECRET, first_error, record

pytestmark = pytest.mark.django_db


def test_matrix_gives_the_latest_stance_per_cell_with_its_movement(
    be_negotiator, nl_negotiator, pool_size, dublin, meetings
):
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose", proposed_value="15000")
    latest = record(be_negotiator, pool_size, meetings[1], "BE", "support", proposed_value="21000")
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    record(nl_negotiator, dublin, meetings[0], "NL", "support")
    earlier_but_later_id = record(nl_negotiator, dublin, None, "NL", "reserve", date=datetime.date(2025, 11, 1))
    response = api_as(be_negotiator).get("/api/v1/positions/matrix/?cycle=2026")
    assert response.status_code == 200
    data = response.json()
    assert data["cycle"] == 2026
    assert [(t["id"], t["title"]) for t in data["topics"]] == [
        (pool_size.pk, "Pool size"),
        (dublin.pk, "Dublin conditionality"),
    ]
    rows = {row["member_state"]: row for row in data["rows"]}
    assert list(rows) == list(MemberState.objects.values_list("code", flat=True))
    be_pool, be_dublin = rows["BE"]["cells"]
    assert be_pool == {
        "topic": pool_size.pk,
        "position": latest.pk,
        "stance": "support",
        "stance_label": "Support",
        "proposed_value": "21000.00",
        "date": "2025-11-27",
        "meeting": meetings[1].pk,
        "visibility": "shared",
        "previous_stance": "oppose",
        "previous_date": "2025-11-18",
        "movement": 3,
    }
    assert (be_dublin["stance"], be_dublin["previous_stance"], be_dublin["movement"]) == ("strong_support", None, 0)
    # The latest by date, not by the order of recording.
    nl_pool, nl_dublin = rows["NL"]["cells"]
    assert nl_pool is None
    assert (nl_dublin["stance"], nl_dublin["previous_stance"], nl_dublin["movement"]) == ("support", "reserve", 2)
    assert earlier_but_later_id.pk > nl_dublin["position"]
    assert rows["DE"]["cells"] == [None, None]


def test_matrix_needs_a_known_cycle(be_negotiator, cycle):
    client = api_as(be_negotiator)
    missing = client.get("/api/v1/positions/matrix/")
    assert (missing.status_code, first_error(missing)["attr"]) == (400, "cycle")
    assert client.get("/api/v1/positions/matrix/?cycle=1999").status_code == 404
    assert client.get("/api/v1/positions/matrix/?cycle=2026").json()["rows"][0]["cells"] == []


def _seed_matrix(cycle, meetings_count: int, *, first_meeting: int = 0):
    """27 states x 10 topics at every meeting; every seventh position restricted to NL, in turn across cells."""
    topics = list(Topic.objects.filter(cycle=cycle)) or Topic.objects.bulk_create(
        Topic(cycle=cycle, title=f"Topic {i}", order=i) for i in range(10)
    )
    meetings = ForumMeeting.objects.bulk_create(
        ForumMeeting(
            cycle=cycle,
            level="technical",
            date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            title=f"M{i}",
        )
        for i in range(first_meeting, first_meeting + meetings_count)
    )
    states = list(MemberState.objects.filter(eu_member=True))
    Position.objects.bulk_create(
        (
            Position(
                cycle=cycle,
                topic=topic,
                member_state=ms,
                meeting=meeting,
                date=meeting.date,
                stance=Stance.values[(i + j) % 6],
                stance_rank=(i + j) % 6,
                proposed_value=Decimal(i),
                visibility="restricted" if (i + j) % 7 == 0 else "shared",
                # NL's restricted notes, and the shared positions the coordinator records from the minutes.
                recorded_by_state_id="NL" if (i + j) % 7 == 0 else None,
                statement=SECRET if (i + j) % 7 == 0 else "",
            )
            for i, meeting in enumerate(meetings, start=first_meeting)
            for j, (topic, ms) in enumerate((t, s) for t in topics for s in states)
        ),
        batch_size=5000,
    )


def _count_queries(user, url: str) -> tuple[int, object]:
    # A fresh copy of the user per request, as each real request loads one: its roles are not cached yet.
    client = api_as(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response


def test_matrix_runs_a_constant_number_of_queries_at_20_and_200_meetings(be_negotiator):
    cycle = CycleFactory(year=2027, status="pledging")
    _seed_matrix(cycle, 20)
    assert Position.objects.count() == 27 * 10 * 20
    small, response = _count_queries(be_negotiator, "/api/v1/positions/matrix/?cycle=2027")
    _seed_matrix(cycle, 180, first_meeting=20)
    assert Position.objects.count() == 27 * 10 * 200
    large, response = _count_queries(be_negotiator, "/api/v1/positions/matrix/?cycle=2027")
    # The cycle, the viewer's roles, the topics, the states, the meetings and the ranked positions.
    assert small == large <= 6
    rows = response.json()["rows"]
    assert len(rows) == 31 and len(rows[0]["cells"]) == 10
    cells = [cell for row in rows for cell in row["cells"] if cell]
    assert len(cells) == 27 * 10
    # NL's restricted positions never reach BE's matrix: BE sees the last shared position there instead.
    assert all(cell["visibility"] == "shared" for cell in cells)
    last_day = datetime.date(2026, 1, 1) + datetime.timedelta(days=199)
    assert any(cell["date"] < last_day.isoformat() for cell in cells)
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        ("/api/v1/forum-meetings/?cycle=2027", "meetings"),
        ("/api/v1/topics/?cycle=2027", "topics"),
        ("/api/v1/positions/?cycle=2027&page_size=500", "positions"),
    ],
)
def test_list_endpoints_run_a_constant_number_of_queries(be_negotiator, url, grow):
    cycle = CycleFactory(year=2027, status="pledging")
    recorder = UserFactory(username="recorder", member_state=state("BE"), roles=["negotiator"])

    def add(count: int, offset: int) -> None:
        if grow == "topics":
            Topic.objects.bulk_create(Topic(cycle=cycle, title=f"T{offset + i}") for i in range(count))
            return
        meetings = ForumMeeting.objects.bulk_create(
            ForumMeeting(cycle=cycle, level="high", date=datetime.date(2026, 2, 1), title=f"M{offset + i}")
            for i in range(count)
        )
        if grow == "positions":
            topic, _ = Topic.objects.get_or_create(cycle=cycle, title="Pool")
            for meeting in meetings:
                record(recorder, topic, meeting, "DE", "support")

    add(2, 0)
    small, first = _count_queries(be_negotiator, url)
    add(20, 2)
    large, second = _count_queries(be_negotiator, url)
    assert (first.json()["count"], second.json()["count"]) == (2, 22)
    assert small == large <= 4
