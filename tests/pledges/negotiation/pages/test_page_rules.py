"""Every negotiation page: a CSP and no inline code, and a constant number of queries."""

import datetime
from decimal import Decimal

import pytest

from pledges.negotiation import services
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic
from solidarity.domain.models import MemberState
from tests.factories import PledgeFactory, state
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    INLINE_SCRIPT,
    csv_rows,
    html,
    matrix_url,
    record,
)

pytestmark = pytest.mark.django_db


def _pages(cycle, topic, meeting, position) -> list[str]:
    year = cycle.year
    return [
        matrix_url(cycle),
        matrix_url(cycle, format="csv"),
        f"{BASE}/{year}/states/BE/",
        f"{BASE}/{year}/topics/{topic.pk}/",
        f"{BASE}/{year}/meetings/",
        f"{BASE}/{year}/meetings/{meeting.pk}/",
        f"{BASE}/{year}/comparison/",
        f"{BASE}/positions/{position.pk}/",
        f"{BASE}/positions/{position.pk}/edit/",
    ]


def test_pages_send_a_csp_and_carry_no_inline_script_or_style(
    client, cycle_with_figures, pool_size, meetings, be_negotiator
):
    position = record(be_negotiator, pool_size, meetings[0], "BE", "support", visibility="restricted")
    client.force_login(be_negotiator)
    pages = [url for url in _pages(cycle_with_figures, pool_size, meetings[0], position) if "format=" not in url]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = html(response)
        assert not INLINE_SCRIPT.search(page), url
        assert "style=" not in page.lower() and "<style" not in page.lower(), url


def _seed(cycle, topics, states, *, first: int, count: int) -> list[ForumMeeting]:
    """``count`` technical meetings from day ``first``; every state states a stance on every topic at each.

    Every seventh position is restricted to NL, so a BE reader's pages must leave it out.
    """
    meetings = ForumMeeting.objects.bulk_create(
        ForumMeeting(
            cycle=cycle,
            level="technical",
            date=datetime.date(2026, 1, 1) + datetime.timedelta(days=first + i),
            title=f"Technical meeting {first + i}",
        )
        for i in range(count)
    )
    Position.objects.bulk_create(
        Position(
            cycle=cycle,
            topic=topic,
            member_state=member_state,
            meeting=meeting,
            date=meeting.date,
            stance=Stance.values[(i + j) % 6],
            stance_rank=(i + j) % 6,
            proposed_value=Decimal(1000 * j),
            statement=f"Statement {i}-{j}",
            visibility="restricted" if j % 7 == 0 else "shared",
            # NL's restricted notes, and the shared positions the coordinator records from the minutes.
            recorded_by_state_id="NL" if j % 7 == 0 else None,
        )
        for i, meeting in enumerate(meetings, start=first)
        for j, (topic, member_state) in enumerate((t, s) for t in topics for s in states)
    )
    return meetings


def test_pages_run_a_constant_number_of_queries_at_ten_times_the_meetings(
    client, cycle_with_figures, be_negotiator, django_assert_max_num_queries
):
    cycle = cycle_with_figures
    states = list(MemberState.objects.filter(eu_member=True))
    topics = Topic.objects.bulk_create(
        Topic(cycle=cycle, title=f"Topic {i}", order=i, unit="relocations in the pool" if i % 2 else "")
        for i in range(10)
    )
    meetings = _seed(cycle, topics, states, first=0, count=20)
    PledgeFactory(cycle=cycle, member_state=state("BE"), status="submitted")
    tracked = record(be_negotiator, topics[0], meetings[0], "BE", "support")
    assert Position.objects.count() == 27 * 10 * 20 + 1
    client.force_login(be_negotiator)
    pages = _pages(cycle, topics[1], meetings[0], tracked)
    small = {}
    for url in pages:
        with django_assert_max_num_queries(15) as captured:
            assert client.get(url).status_code == 200, url
        small[url] = len(captured)

    # Ten times the meetings, a second round at the tracked meeting, more pledges and a longer history.
    _seed(cycle, topics, states, first=20, count=180)
    Position.objects.bulk_create(
        Position(
            cycle=cycle,
            topic=topic,
            member_state=member_state,
            meeting=meetings[0],
            date=meetings[0].date,
            stance="neutral",
            stance_rank=3,
            recorded_by_state_id=None,
        )
        for topic in topics
        for member_state in states
    )
    for code in ("DE", "FR", "NL"):
        PledgeFactory(cycle=cycle, member_state=state(code), status="submitted")
    for version in range(1, 8):
        tracked = services.position_update(
            position=tracked,
            changes={"statement": f"Revision {version}"},
            expected_version=version,
            actor=be_negotiator,
            reason=f"Revision {version}",
        )
    assert Position.objects.count() > 27 * 10 * 200
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            response = client.get(url)
        assert response.status_code == 200, url
    # The bigger data is really on the pages, and NL's restricted positions are not.
    latest = datetime.date(2026, 1, 1) + datetime.timedelta(days=199)
    assert f'<time datetime="{latest.isoformat()}">' in html(client.get(matrix_url(cycle)))
    exported = csv_rows(client.get(matrix_url(cycle, format="csv")))
    assert len(exported) > 200 and all(row["Visibility"] == "shared" for row in exported)
    assert "Revision 7" in html(client.get(f"{BASE}/positions/{tracked.pk}/"))
