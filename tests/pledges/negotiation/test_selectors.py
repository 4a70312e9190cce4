"""The homes of the negotiation's visibility rules: who reads a position's restricted versions, and which
states the matrix lists."""

import datetime

import pytest

from pledges.negotiation import services
from pledges.negotiation.models import ForumMeeting, Topic
from pledges.negotiation.rules import reads_restricted_versions
from pledges.negotiation.selectors import (
    HIDDEN_VALUE,
    position_history_for,
    position_matrix,
    position_versions_visible_to,
    previous_position_visible_to,
)
from solidarity.domain.models import MemberState
from tests.factories import UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Minutes of the forum"
SECRET = "Would accept 4 000 relocations in the end"


@pytest.fixture
def pool_size(cycle):
    return Topic.objects.create(cycle=cycle, title="Pool size", unit="relocations in the pool")


@pytest.fixture
def meeting(cycle):
    return ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF 1")


def record(actor, topic, meeting, code, stance, **extra):
    return services.position_create(
        cycle=topic.cycle,
        actor=actor,
        reason=REASON,
        topic=topic,
        member_state=state(code),
        meeting=meeting,
        stance=stance,
        **extra,
    )


@pytest.fixture
def shared_after_restricted(pool_size, meeting, be_negotiator):
    """BE's position, recorded restricted, then shared: its first version stays with BE and EU-level readers."""
    position = record(be_negotiator, pool_size, meeting, "BE", "oppose", visibility="restricted", statement=SECRET)
    return services.position_update(
        position=position,
        changes={"visibility": "shared", "statement": "Belgium opposes the pool."},
        expected_version=1,
        actor=be_negotiator,
        reason="Cleared for sharing",
    )


def test_restricted_versions_stay_with_the_recording_delegation_and_eu_level_readers(
    shared_after_restricted, be_negotiator, be_official, coordinator, auditor, nl_negotiator, nl_official
):
    position = shared_after_restricted
    for reader in (be_negotiator, be_official, coordinator, auditor):
        assert reads_restricted_versions(reader, position)
        assert [r.version for r in position_versions_visible_to(reader, position)] == [2, 1]
    for reader in (nl_negotiator, nl_official):
        assert not reads_restricted_versions(reader, position)
        assert [r.version for r in position_versions_visible_to(reader, position)] == [2]


def test_the_history_tab_hides_what_only_a_restricted_version_held(shared_after_restricted, nl_official, auditor):
    position = shared_after_restricted
    entries, has_more = position_history_for(nl_official, position, page=1)
    assert [entry.record.version for entry in entries] == [2] and not has_more
    statement = next(change for change in entries[0].changes if change.field == "statement")
    assert (statement.old, statement.new) == (HIDDEN_VALUE, "Belgium opposes the pool.")
    entries, _ = position_history_for(auditor, position, page=1)
    assert [entry.record.version for entry in entries] == [2, 1]
    statement = next(change for change in entries[0].changes if change.field == "statement")
    assert statement.old == SECRET


def test_the_previous_position_is_the_one_before_among_those_the_reader_sees(
    pool_size, meeting, be_negotiator, nl_official, coordinator
):
    first = record(coordinator, pool_size, meeting, "HU", "red_line")
    restricted = record(
        be_negotiator, pool_size, None, "HU", "oppose", visibility="restricted", date=datetime.date(2025, 11, 20)
    )
    latest = record(coordinator, pool_size, None, "HU", "reserve", date=datetime.date(2025, 11, 27))
    assert previous_position_visible_to(be_negotiator, latest) == restricted
    assert previous_position_visible_to(nl_official, latest) == first
    assert previous_position_visible_to(nl_official, first) is None


def test_the_matrix_lists_the_member_states_and_the_associated_states_that_spoke(
    cycle, pool_size, meeting, be_negotiator, nl_official, coordinator
):
    ch_negotiator = UserFactory(username="ch_negotiator", member_state=state("CH"), roles=["negotiator"])
    record(coordinator, pool_size, meeting, "NO", "support")
    record(ch_negotiator, pool_size, meeting, "CH", "reserve", visibility="restricted")
    eu = list(MemberState.objects.filter(eu_member=True).values_list("code", flat=True))
    # Dublin-associated states take part only when invited (AMMR Art. 13): listed once they have spoken.
    ch_view = position_matrix(cycle, viewer=ch_negotiator)
    assert [s.code for s in ch_view.taking_part()] == [*eu, "NO", "CH"]
    assert ch_view.states_that_spoke == {"NO", "CH"} and ch_view.some_restricted
    # A restricted position another delegation cannot see does not make its state speak for that reader.
    nl_view = position_matrix(cycle, viewer=nl_official)
    assert [s.code for s in nl_view.taking_part()] == [*eu, "NO"]
    assert not nl_view.some_restricted
    # Nor does another delegation's note about a state, for the delegation that wrote it (AMMR Arts 13-14).
    record(be_negotiator, pool_size, meeting, "IS", "oppose")
    assert position_matrix(cycle, viewer=be_negotiator).states_that_spoke == {"NO"}
