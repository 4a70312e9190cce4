"""Negotiation services and selectors: recording and revising positions, who sees them, the matrix."""

import datetime
from decimal import Decimal

import pytest

from pledges.negotiation import services
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic
from pledges.negotiation.selectors import position_matrix, positions_visible_to
from solidarity.domain.models import MemberState
from solidarity.platform.errors import NotPermitted, StaleVersion, ValidationFailed
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db

REASON = "Minutes of the forum"


@pytest.fixture
def pool_size(cycle):
    return Topic.objects.create(cycle=cycle, title="Pool size", unit="relocations in the pool")


@pytest.fixture
def meetings(cycle):
    return [
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF 1"),
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 27), title="HLF 2"),
    ]


def record(actor, topic, meeting, code, stance, visibility="shared", **extra):
    return services.position_create(
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


def test_a_delegations_note_about_another_state_is_restricted_to_it(pool_size, meetings, be_negotiator, nl_negotiator):
    # AMMR Arts 13-14: a state speaks for itself; what BE notes of DE is BE's own, even when sent as shared.
    position = record(be_negotiator, pool_size, meetings[0], "DE", "support", proposed_value="30000")
    assert (position.date, position.stance_rank, position.recorded_by_state_id, position.visibility) == (
        datetime.date(2025, 11, 18),
        4,
        "BE",
        "restricted",
    )
    assert position.proposed_value == Decimal("30000")
    assert list(positions_visible_to(nl_negotiator)) == []
    # Nor may BE share it later.
    updated = services.position_update(
        position=position, changes={"visibility": "shared"}, expected_version=1, actor=be_negotiator, reason=REASON
    )
    assert updated.visibility == "restricted"


def test_a_state_and_the_coordinator_record_its_shared_position(pool_size, meetings, nl_negotiator, coordinator):
    own = record(nl_negotiator, pool_size, meetings[0], "NL", "reserve")
    minutes = record(coordinator, pool_size, meetings[1], "HU", "red_line")
    assert (own.visibility, own.recorded_by_state_id) == ("shared", "NL")
    assert (minutes.visibility, minutes.recorded_by_state_id) == ("shared", None)
    # The coordinator corrects what it recorded; no delegation does.
    services.position_update(
        position=minutes, changes={"stance": "oppose"}, expected_version=1, actor=coordinator, reason=REASON
    )
    with pytest.raises(NotPermitted):
        services.position_update(
            position=minutes, changes={"stance": "support"}, expected_version=2, actor=nl_negotiator, reason=REASON
        )


@pytest.mark.parametrize("role_fixture", ["be_official", "auditor", "compliance_officer", "outsider"])
def test_only_negotiators_and_the_coordinator_record_positions(request, pool_size, meetings, role_fixture):
    with pytest.raises(NotPermitted):
        record(request.getfixturevalue(role_fixture), pool_size, meetings[0], "DE", "support")
    assert not Position.objects.exists()


def test_restricted_positions_stay_within_the_recording_delegation(
    pool_size, meetings, be_negotiator, nl_negotiator, nl_official, coordinator, auditor
):
    shared = record(coordinator, pool_size, meetings[0], "HU", "red_line")
    restricted = record(be_negotiator, pool_size, meetings[1], "HU", "oppose", visibility="restricted")
    assert set(positions_visible_to(be_negotiator)) == {shared, restricted}
    assert set(positions_visible_to(nl_negotiator)) == {shared}
    assert set(positions_visible_to(nl_official)) == {shared}
    assert set(positions_visible_to(coordinator)) == {shared, restricted}
    assert set(positions_visible_to(auditor)) == {shared, restricted}
    assert not nl_negotiator.has_perm("pledges.view_position", restricted)
    # The matrix too: HU's cell is what HU said at the Forum, for every reader; BE's note is never HU's cell.
    for viewer in (nl_negotiator, be_negotiator, coordinator):
        assert position_matrix(pool_size.cycle, viewer=viewer).cell("HU", pool_size.pk).latest.pk == shared.pk


def test_another_delegations_note_never_becomes_a_states_current_cell(
    pool_size, meetings, be_negotiator, nl_negotiator
):
    own = record(nl_negotiator, pool_size, meetings[0], "NL", "support")
    # Sent as shared, on a later meeting: BE's note is kept restricted to BE and is not NL's current position.
    note = record(be_negotiator, pool_size, meetings[1], "NL", "red_line", visibility="shared")
    assert note.visibility == "restricted"
    for viewer in (nl_negotiator, be_negotiator):
        cell = position_matrix(pool_size.cycle, viewer=viewer).cell("NL", pool_size.pk)
        assert (cell.latest.pk, cell.previous) == (own.pk, None)


def test_only_the_recording_delegation_revises_and_with_the_current_version(pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, meetings[0], "FR", "neutral")
    nl = type(be_negotiator).objects.create(username="nl_neg2", member_state=state("NL"))
    nl.groups.add(*be_negotiator.groups.all())
    with pytest.raises(NotPermitted):
        services.position_update(
            position=position, changes={"stance": "support"}, expected_version=1, actor=nl, reason=REASON
        )
    updated = services.position_update(
        position=position, changes={"stance": "support"}, expected_version=1, actor=be_negotiator, reason=REASON
    )
    assert (updated.stance, updated.stance_rank, updated.version) == ("support", 4, 2)
    with pytest.raises(StaleVersion):
        services.position_update(
            position=position, changes={"stance": "oppose"}, expected_version=1, actor=be_negotiator, reason=REASON
        )


def test_matrix_gives_the_latest_stance_and_its_movement(pool_size, meetings, be_negotiator, nl_negotiator):
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose")
    latest = record(be_negotiator, pool_size, meetings[1], "BE", "support")
    record(nl_negotiator, pool_size, meetings[1], "NL", "reserve")
    matrix = position_matrix(pool_size.cycle, viewer=be_negotiator)
    be = matrix.cell("BE", pool_size.pk)
    assert (be.latest.pk, be.latest.stance, be.previous.stance, be.movement) == (latest.pk, "support", "oppose", 3)
    assert matrix.cell("NL", pool_size.pk).movement == 0
    assert matrix.cell("DE", pool_size.pk) is None


def test_bulk_entry_is_all_or_nothing_and_names_the_bad_row(pool_size, meetings, be_negotiator):
    rows = [
        {"topic": pool_size, "member_state": state("BE"), "stance": "support"},
        {"topic": pool_size, "member_state": state("NL"), "stance": "enthusiastic"},
        {"topic": pool_size, "member_state": state("DE"), "stance": "neutral"},
    ]
    with pytest.raises(ValidationFailed) as error:
        services.positions_record_for_meeting(meeting=meetings[0], rows=rows, actor=be_negotiator, reason=REASON)
    assert "row 2" in error.value.message
    assert set(error.value.rows) == {1}
    assert not Position.objects.exists()
    rows[1]["stance"] = "reserve"
    created = services.positions_record_for_meeting(meeting=meetings[0], rows=rows, actor=be_negotiator, reason=REASON)
    assert [p.member_state_id for p in created] == ["BE", "NL", "DE"]


def _seed(cycle, meetings_count: int, author):
    topics = Topic.objects.bulk_create(Topic(cycle=cycle, title=f"Topic {i}", order=i) for i in range(10))
    meetings = ForumMeeting.objects.bulk_create(
        ForumMeeting(
            cycle=cycle, level="technical", date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i), title=f"M{i}"
        )
        for i in range(meetings_count)
    )
    stances = Stance.values
    Position.objects.bulk_create(
        Position(
            cycle=cycle,
            topic=topic,
            member_state=ms,
            meeting=meeting,
            date=meeting.date,
            stance=stances[(i + j) % 6],
            stance_rank=(i + j) % 6,
            visibility="restricted" if j % 7 == 0 else "shared",
            # NL's own restricted positions, and the shared ones as the coordinator records them from minutes.
            recorded_by_state_id="NL" if j % 7 == 0 else None,
        )
        for i, meeting in enumerate(meetings)
        for j, (topic, ms) in enumerate((t, s) for t in topics for s in MemberState.objects.filter(eu_member=True))
    )


@pytest.mark.parametrize("meetings_count", [20, 200])
def test_matrix_runs_a_constant_number_of_queries(be_negotiator, django_assert_max_num_queries, meetings_count):
    cycle = CycleFactory(year=2027, status="pledging")
    _seed(cycle, meetings_count, be_negotiator)
    assert Position.objects.count() == 27 * 10 * meetings_count
    # The viewer's roles, the topics, the states, the meetings and the ranked positions.
    with django_assert_max_num_queries(5):
        matrix = position_matrix(cycle, viewer=be_negotiator)
        rows = matrix.rows()
    assert len(rows) == 31 and len(matrix.cells) > 0
    # NL's restricted positions never reach BE's matrix.
    assert all(cell.latest.visibility == "shared" for cell in matrix.cells.values())


def test_a_note_stored_shared_before_the_rule_stays_with_its_delegation(
    pool_size, meetings, be_negotiator, nl_negotiator, nl_official, coordinator
):
    # Written before the services kept such notes restricted: shared, by BE, about NL.
    note = record(be_negotiator, pool_size, meetings[0], "NL", "red_line")
    Position.objects.filter(pk=note.pk).update(visibility="shared")
    note.refresh_from_db()
    assert not note.is_shared_with_every_delegation
    for reader in (nl_negotiator, nl_official):
        assert list(positions_visible_to(reader)) == []
        assert not reader.has_perm("pledges.view_position", note)
    assert list(positions_visible_to(be_negotiator)) == [note]
    assert be_negotiator.has_perm("pledges.view_position", note)
    assert coordinator.has_perm("pledges.view_position", note)
    assert position_matrix(pool_size.cycle, viewer=be_negotiator).cell("NL", pool_size.pk) is None
