"""The positions endpoints: recording, revising, who sees a restricted position and its versions, filters."""

import datetime
import re

import pytest

from pledges.negotiation.models import Position, Topic
from tests.conftest import api_as
from tests.pledges.negotiation.api.helpers import REASON, SECRET, first_error, record

pytestmark = pytest.mark.django_db


def test_negotiator_records_a_position_with_the_contract_fields(be_negotiator, pool_size, meetings):
    body = {
        "topic": pool_size.pk,
        "member_state": "BE",
        "meeting": meetings[0].pk,
        "stance": "support",
        "proposed_value": "30000",
        "conditions": "Flexible solidarity",
        "statement": "Belgium supports a pool of 30 000.",
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


def test_a_delegations_note_about_another_state_is_restricted_and_never_its_cell(
    be_negotiator, nl_negotiator, coordinator, pool_size, meetings
):
    own = record(nl_negotiator, pool_size, meetings[0], "NL", "support")
    body = {"topic": pool_size.pk, "member_state": "NL", "meeting": meetings[1].pk, "stance": "red_line"}
    response = api_as(be_negotiator).post(
        "/api/v1/positions/", {**body, "visibility": "shared", "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    note = response.json()
    # AMMR Arts 13-14: BE's note about NL is BE's own, and NL's current cell is what NL said.
    assert (note["visibility"], note["recorded_by_state"]) == ("restricted", "BE")
    nl = api_as(nl_negotiator)
    assert [row["id"] for row in nl.get("/api/v1/positions/").json()["results"]] == [own.pk]
    for reader in (nl_negotiator, be_negotiator, coordinator):
        matrix = api_as(reader).get("/api/v1/positions/matrix/?cycle=2026").json()
        cells = next(row for row in matrix["rows"] if row["member_state"] == "NL")["cells"]
        assert (cells[0]["position"], cells[0]["stance"]) == (own.pk, "support")
    shared = api_as(be_negotiator).patch(
        f"/api/v1/positions/{note['id']}/",
        {"visibility": "shared", "reason": "Share it"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert (shared.status_code, shared.json()["visibility"]) == (200, "restricted")


def test_the_coordinator_records_a_states_shared_position_from_the_minutes(
    coordinator, nl_negotiator, pool_size, meetings
):
    body = {"topic": pool_size.pk, "member_state": "HU", "meeting": meetings[0].pk, "stance": "red_line"}
    response = api_as(coordinator).post("/api/v1/positions/", {**body, "reason": REASON}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["visibility"], response.json()["recorded_by_state"]) == ("shared", None)
    matrix = api_as(nl_negotiator).get("/api/v1/positions/matrix/?cycle=2026").json()
    cells = next(row for row in matrix["rows"] if row["member_state"] == "HU")["cells"]
    assert cells[0]["position"] == response.json()["id"]


@pytest.mark.parametrize("persona", ["be_official", "auditor", "compliance_officer", "outsider"])
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
    too_long = client.post("/api/v1/positions/", {**base, "reason": "r" * 2001}, format="json")
    assert (too_long.status_code, first_error(too_long)["code"], first_error(too_long)["attr"]) == (
        400,
        "max_length",
        "reason",
    )
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
    shared = record(be_negotiator, pool_size, meetings[0], "BE", "neutral")
    restricted = record(be_negotiator, pool_size, meetings[0], "IT", "oppose", visibility="restricted")
    be = api_as(be_negotiator)
    url = f"/api/v1/positions/{shared.pk}/"
    body = {"stance": "support", "reason": "Belgium moved at the second meeting"}
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
    shared = record(coordinator, pool_size, meetings[0], "HU", "red_line", statement="No relocations at all")
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
        # BE's note about HU is never HU's current cell, not even for BE (AMMR Arts 13-14).
        assert (hu["cells"][0]["position"], hu["cells"][0]["previous_stance"], hu["cells"][0]["movement"]) == (
            shared.pk,
            None,
            0,
        )


def test_history_hides_the_versions_written_while_a_position_was_restricted(
    be_negotiator, nl_negotiator, auditor, pool_size, meetings
):
    position = record(be_negotiator, pool_size, meetings[0], "BE", "oppose", visibility="restricted", statement=SECRET)
    be = api_as(be_negotiator)
    published = be.patch(
        f"/api/v1/positions/{position.pk}/",
        {"visibility": "shared", "statement": "Belgium opposes the pool.", "reason": "Cleared for sharing"},
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


def test_position_filters_and_ordering(be_negotiator, nl_negotiator, coordinator, pool_size, dublin, meetings):
    a = record(be_negotiator, pool_size, meetings[0], "BE", "red_line")
    b = record(nl_negotiator, dublin, meetings[0], "NL", "reserve")
    c = record(nl_negotiator, pool_size, meetings[1], "NL", "support", proposed_value="25000")
    d = record(coordinator, dublin, None, "DE", "strong_support", date=datetime.date(2025, 12, 8))
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
    assert ids("recorded_by=nl_negotiator") == [b.pk, c.pk]
    assert ids("recorded_by=coordinator") == [d.pk]
    assert ids("recorded_by_state=BE") == [a.pk]
    assert ids("recorded_by_state=NL") == [b.pk, c.pk]
    assert ids("ordering=-stance") == [d.pk, c.pk, b.pk, a.pk]
    assert ids("ordering=member_state,-date") == [a.pk, d.pk, c.pk, b.pk]
    bad = client.get("/api/v1/positions/?stance_min=keen")
    assert (bad.status_code, first_error(bad)["attr"]) == (400, "stance_min")


# --- The matrix -------------------------------------------------------------------------------------------
