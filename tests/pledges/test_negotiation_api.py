"""The negotiation endpoints (forum meetings, topics, positions, matrix, bulk entry) over real HTTP on PostgreSQL."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic
from pledges.negotiation.services import position_create
from solidarity.domain.models import MemberState
from tests.conftest import api_as
from tests.factories import CycleFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Minutes of the High-Level Forum"
SECRET = "Belgium would accept 4 000 relocations in the end"


def first_error(response) -> dict:
    return response.json()["errors"][0]


@pytest.fixture
def cycle():
    return CycleFactory(year=2026, status="pledging")


@pytest.fixture
def other_cycle():
    return CycleFactory(year=2027, status="preparation")


@pytest.fixture
def pool_size(cycle):
    return Topic.objects.create(cycle=cycle, title="Pool size", unit="relocations in the pool", order=1)


@pytest.fixture
def dublin(cycle):
    return Topic.objects.create(cycle=cycle, title="Dublin conditionality", order=2)


@pytest.fixture
def meetings(cycle):
    return [
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF 1"),
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 27), title="HLF 2"),
    ]


def record(actor, topic, meeting, code, stance, visibility="shared", **extra):
    return position_create(
        cycle=topic.cycle,
        actor=actor,
        reason=REASON,
        topic=topic,
        member_state=state(code),
        meeting=meeting,
        stance=stance,
        visibility=visibility,
        **extra,
    )


# --- Forum meetings and topics ----------------------------------------------------------------------------


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


def test_negotiator_records_a_position_with_the_contract_fields(be_negotiator, pool_size, meetings):
    body = {
        "topic": pool_size.pk,
        "member_state": "DE",
        "meeting": meetings[0].pk,
        "stance": "support",
        "proposed_value": "30000",
        "conditions": "Flexible solidarity",
        "statement": "Germany supports a pool of 30 000.",
        "source": "Council press release",
        "visibility": "shared",
        "reason": REASON,
    }
    response = api_as(be_negotiator).post("/api/v1/positions/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == {
        "id",
        "cycle",
        "topic",
        "member_state",
        "meeting",
        "date",
        "stance",
        "proposed_value",
        "conditions",
        "statement",
        "source",
        "visibility",
        "version",
        "recorded_by",
        "recorded_by_state",
    }
    assert (data["cycle"], data["date"], data["proposed_value"], data["version"]) == (2026, "2025-11-18", "30000.00", 1)
    assert (data["recorded_by"], data["recorded_by_state"]) == ("be_negotiator", "BE")
    position = Position.objects.get()
    assert (position.stance_rank, position.history.get().history_change_reason) == (4, REASON)


@pytest.mark.parametrize("persona", ["be_official", "coordinator", "auditor", "outsider"])
def test_only_negotiators_record_positions(request, persona, pool_size, meetings):
    body = {"topic": pool_size.pk, "member_state": "DE", "meeting": meetings[0].pk, "stance": "support"}
    response = api_as(request.getfixturevalue(persona)).post(
        "/api/v1/positions/", {**body, "reason": REASON}, format="json"
    )
    assert response.status_code == 403
    assert not Position.objects.exists()


def test_position_input_errors_name_the_field(be_negotiator, pool_size, other_cycle, meetings):
    client = api_as(be_negotiator)
    base = {"topic": pool_size.pk, "member_state": "DE", "meeting": meetings[0].pk, "stance": "support"}
    no_reason = client.post("/api/v1/positions/", base, format="json")
    assert (no_reason.status_code, first_error(no_reason)["attr"]) == (400, "reason")
    bad_stance = client.post("/api/v1/positions/", {**base, "stance": "keen", "reason": REASON}, format="json")
    assert (bad_stance.status_code, first_error(bad_stance)["attr"]) == (400, "stance")
    foreign = Topic.objects.create(cycle=other_cycle, title="Next year")
    wrong = client.post(
        "/api/v1/positions/", {**base, "topic": foreign.pk, "cycle": 2026, "reason": REASON}, format="json"
    )
    assert (wrong.status_code, first_error(wrong)["code"], first_error(wrong)["attr"]) == (400, "wrong_cycle", "topic")
    undated = {"topic": pool_size.pk, "member_state": "DE", "stance": "support", "reason": REASON}
    no_date = client.post("/api/v1/positions/", undated, format="json")
    assert (no_date.status_code, first_error(no_date)["attr"]) == (400, "date")
    assert not Position.objects.exists()


def test_revisions_need_if_match_and_only_the_recording_delegation_makes_them(
    be_negotiator, nl_negotiator, coordinator, pool_size, meetings
):
    shared = record(be_negotiator, pool_size, meetings[0], "FR", "neutral")
    restricted = record(be_negotiator, pool_size, meetings[0], "IT", "oppose", visibility="restricted")
    be = api_as(be_negotiator)
    url = f"/api/v1/positions/{shared.pk}/"
    body = {"stance": "support", "reason": "France moved at the second meeting"}
    assert be.get(url)["ETag"] == '"1"'
    missing = be.patch(url, body, format="json")
    assert missing.status_code == 428
    assert api_as(nl_negotiator).patch(url, body, format="json", HTTP_IF_MATCH='"1"').status_code == 403
    assert api_as(coordinator).patch(url, body, format="json", HTTP_IF_MATCH='"1"').status_code == 403
    # Another delegation's restricted position does not exist for NL: 404, not 403.
    hidden = api_as(nl_negotiator).patch(
        f"/api/v1/positions/{restricted.pk}/", body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert hidden.status_code == 404
    revised = be.patch(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert revised.status_code == 200, revised.json()
    assert (revised.json()["stance"], revised.json()["version"], revised["ETag"]) == ("support", 2, '"2"')
    stale = be.patch(url, {"stance": "oppose", "reason": "Typo"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    shared.refresh_from_db()
    restricted.refresh_from_db()
    assert (shared.stance, shared.stance_rank, shared.history.count()) == ("support", 4, 2)
    assert (restricted.stance, restricted.version) == ("oppose", 1)


def test_restricted_positions_never_leak_to_another_delegation(
    be_negotiator,
    nl_negotiator,
    nl_official,
    be_official,
    coordinator,
    auditor,
    compliance_officer,
    pool_size,
    meetings,
):
    shared = record(be_negotiator, pool_size, meetings[0], "HU", "red_line", statement="No relocations at all")
    restricted = record(
        be_negotiator, pool_size, meetings[1], "HU", "oppose", visibility="restricted", statement=SECRET
    )
    for reader in (nl_negotiator, nl_official, compliance_officer):
        client = api_as(reader)
        listing = client.get("/api/v1/positions/?page_size=500")
        assert [row["id"] for row in listing.json()["results"]] == [shared.pk]
        assert SECRET not in listing.content.decode()
        for query in (
            "visibility=restricted",
            "recorded_by=be_negotiator",
            "stance=oppose",
            f"meeting={meetings[1].pk}",
        ):
            filtered = client.get(f"/api/v1/positions/?{query}")
            assert restricted.pk not in [row["id"] for row in filtered.json()["results"]], query
        assert client.get(f"/api/v1/positions/{restricted.pk}/").status_code == 404
        assert client.get(f"/api/v1/positions/{restricted.pk}/history/").status_code == 404
        matrix = client.get("/api/v1/positions/matrix/?cycle=2026")
        hu = next(row for row in matrix.json()["rows"] if row["member_state"] == "HU")
        assert (hu["cells"][0]["position"], hu["cells"][0]["stance"], hu["cells"][0]["movement"]) == (
            shared.pk,
            "red_line",
            0,
        )
        assert SECRET not in matrix.content.decode()
        # Whatever ?format=csv gives (an export, or 404 while no CSV renderer is installed) holds no secret.
        export = client.get("/api/v1/positions/?format=csv")
        assert SECRET not in export.content.decode()
        assert str(restricted.pk) not in re.findall(r"^\d+", export.content.decode(), re.MULTILINE)
    for reader in (be_negotiator, be_official, coordinator, auditor):
        client = api_as(reader)
        assert {row["id"] for row in client.get("/api/v1/positions/").json()["results"]} == {shared.pk, restricted.pk}
        assert client.get(f"/api/v1/positions/{restricted.pk}/").json()["statement"] == SECRET
        matrix = client.get("/api/v1/positions/matrix/?cycle=2026").json()
        hu = next(row for row in matrix["rows"] if row["member_state"] == "HU")
        assert (hu["cells"][0]["position"], hu["cells"][0]["previous_stance"], hu["cells"][0]["movement"]) == (
            restricted.pk,
            "red_line",
            1,
        )


def test_history_hides_the_versions_written_while_a_position_was_restricted(
    be_negotiator, nl_negotiator, auditor, pool_size, meetings
):
    position = record(be_negotiator, pool_size, meetings[0], "HU", "oppose", visibility="restricted", statement=SECRET)
    be = api_as(be_negotiator)
    published = be.patch(
        f"/api/v1/positions/{position.pk}/",
        {"visibility": "shared", "statement": "Hungary opposes the pool.", "reason": "Cleared for sharing"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert published.status_code == 200
    url = f"/api/v1/positions/{position.pk}/history/"
    seen_by_nl = api_as(nl_negotiator).get(url)
    assert seen_by_nl.status_code == 200
    assert [(row["version"], row["visibility"]) for row in seen_by_nl.json()["results"]] == [(2, "shared")]
    assert SECRET not in seen_by_nl.content.decode()
    for reader in (be_negotiator, auditor):
        rows = api_as(reader).get(url).json()["results"]
        assert [(row["version"], row["change"], row["reason"]) for row in rows] == [
            (2, "changed", "Cleared for sharing"),
            (1, "created", REASON),
        ]
        assert rows[1]["statement"] == SECRET and rows[1]["changed_by"] == "be_negotiator"


def test_position_filters_and_ordering(be_negotiator, nl_negotiator, pool_size, dublin, meetings):
    a = record(be_negotiator, pool_size, meetings[0], "BE", "red_line")
    b = record(be_negotiator, dublin, meetings[0], "NL", "reserve")
    c = record(nl_negotiator, pool_size, meetings[1], "NL", "support", proposed_value="25000")
    d = record(nl_negotiator, dublin, None, "DE", "strong_support", date=datetime.date(2025, 12, 8))
    client = api_as(be_negotiator)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/positions/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("cycle=2026") == [a.pk, b.pk, c.pk, d.pk]
    assert ids("cycle=2027") == []
    assert ids(f"topic={dublin.pk}") == [b.pk, d.pk]
    assert ids("member_state=nl") == [b.pk, c.pk]
    assert ids(f"meeting={meetings[1].pk}") == [c.pk]
    assert ids("stance=reserve&stance=support") == [b.pk, c.pk]
    assert ids("stance_min=reserve") == [b.pk, c.pk, d.pk]
    assert ids("stance_max=reserve") == [a.pk, b.pk]
    assert ids("stance_min=reserve&stance_max=support") == [b.pk, c.pk]
    assert ids("date_after=2025-11-27") == [c.pk, d.pk]
    assert ids("date_before=2025-11-27") == [a.pk, b.pk, c.pk]
    assert ids("visibility=shared") == [a.pk, b.pk, c.pk, d.pk]
    assert ids("recorded_by=nl_negotiator") == [c.pk, d.pk]
    assert ids("recorded_by_state=BE") == [a.pk, b.pk]
    assert ids("ordering=-stance") == [d.pk, c.pk, b.pk, a.pk]
    assert ids("ordering=member_state,-date") == [a.pk, d.pk, c.pk, b.pk]
    bad = client.get("/api/v1/positions/?stance_min=keen")
    assert (bad.status_code, first_error(bad)["attr"]) == (400, "stance_min")


# --- The matrix -------------------------------------------------------------------------------------------


def test_matrix_gives_the_latest_stance_per_cell_with_its_movement(be_negotiator, pool_size, dublin, meetings):
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose", proposed_value="15000")
    latest = record(be_negotiator, pool_size, meetings[1], "BE", "support", proposed_value="21000")
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    record(be_negotiator, dublin, meetings[0], "NL", "support")
    earlier_but_later_id = record(be_negotiator, dublin, None, "NL", "reserve", date=datetime.date(2025, 11, 1))
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
                recorded_by_state_id="NL" if (i + j) % 7 == 0 else "BE",
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


# --- Bulk entry -------------------------------------------------------------------------------------------


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
    no_reason = client.post("/api/v1/positions/bulk/", {**body, "reason": ""}, format="json")
    assert (no_reason.status_code, first_error(no_reason)["code"]) == (400, "reason_required")
    empty = client.post("/api/v1/positions/bulk/", {**body, "positions": []}, format="json")
    assert (empty.status_code, first_error(empty)["attr"]) == (400, "positions")
    unknown_meeting = client.post("/api/v1/positions/bulk/", {**body, "meeting": 999999}, format="json")
    assert (unknown_meeting.status_code, first_error(unknown_meeting)["attr"]) == (400, "meeting")
    assert not Position.objects.exists()


# --- Schema -----------------------------------------------------------------------------------------------

NEGOTIATION_PATHS = [
    "/api/v1/forum-meetings/",
    "/api/v1/forum-meetings/{id}/",
    "/api/v1/topics/",
    "/api/v1/topics/{id}/",
    "/api/v1/positions/",
    "/api/v1/positions/{id}/",
    "/api/v1/positions/{id}/history/",
    "/api/v1/positions/matrix/",
    "/api/v1/positions/bulk/",
]


def test_schema_documents_the_negotiation_endpoints_without_warnings():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    ours = [m for m in complaints if re.search(r"negotiation|Position|ForumMeeting|Topic|Matrix|Bulk", m)]
    assert ours == []
    validate_schema(schema)
    for path in NEGOTIATION_PATHS:
        assert path in schema["paths"], path
    listing = {p["name"] for p in schema["paths"]["/api/v1/positions/"]["get"]["parameters"]}
    assert {
        "cycle",
        "topic",
        "member_state",
        "meeting",
        "stance",
        "stance_min",
        "stance_max",
        "date_after",
        "date_before",
        "visibility",
        "recorded_by",
        "ordering",
    } <= listing
    patch = schema["paths"]["/api/v1/positions/{id}/"]["patch"]
    assert {"200", "400", "403", "404", "412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
    matrix = schema["paths"]["/api/v1/positions/matrix/"]["get"]
    assert [p["name"] for p in matrix["parameters"]] == ["cycle", "format"]  # format: json or csv
    bulk = schema["paths"]["/api/v1/positions/bulk/"]["post"]
    assert {"201", "400", "403"} <= set(bulk["responses"])
