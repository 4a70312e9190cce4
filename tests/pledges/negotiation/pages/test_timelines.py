"""The timelines of a delegation and of a topic."""

import datetime
import re
from decimal import Decimal

import pytest

from pledges.negotiation.models import Topic
from tests.factories import CycleFactory
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    html,
    record,
)

pytestmark = pytest.mark.django_db


def test_state_timeline_lists_each_topic_oldest_first_with_each_change(
    client, pool_size, dublin, meetings, be_negotiator, be_official
):
    record(be_negotiator, pool_size, None, "BE", "reserve", date=datetime.date(2025, 11, 12), statement="Manageable.")
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose")
    record(be_negotiator, pool_size, meetings[1], "BE", "oppose")
    record(be_negotiator, dublin, meetings[0], "BE", "strong_support", conditions="An action plan per state")
    client.force_login(be_official)
    page = html(client.get(f"{BASE}/2026/states/BE/"))
    pool = page[page.index("Size of the pool</a>") : page.index("Dublin compliance as a condition</a>")]
    assert re.findall(r"<time datetime=\"([\d-]+)\"", pool) == ["2025-11-12", "2025-11-18", "2025-11-27"]
    assert re.findall(
        r'<span class="movement movement--\w+"><span aria-hidden="true">.</span> ([^<]+)</span>', pool
    ) == [
        "first position recorded",
        "down 1 from reserve",
        "unchanged since 18 Nov 2025",
    ]
    assert "No meeting" in pool and "HLF first</a>" in pool
    assert "Conditions:</strong> An action plan per state" in page
    # A filter narrows the rows; the change is still measured against the position before.
    filtered = html(client.get(f"{BASE}/2026/states/BE/?level=high&date_from=2025-11-20"))
    assert "1 position shown" in filtered
    assert "unchanged since 18 Nov 2025" in filtered and "2025-11-12" not in filtered


def test_a_long_timeline_comes_in_pages_that_keep_the_change_across_the_break(
    client, pool_size, meetings, be_negotiator, be_official, monkeypatch
):
    monkeypatch.setattr("pledges.negotiation.timelines.TIMELINE_PAGE_SIZE", 2)
    record(be_negotiator, pool_size, None, "BE", "neutral", date=datetime.date(2025, 11, 1))
    record(be_negotiator, pool_size, meetings[0], "BE", "reserve")
    record(be_negotiator, pool_size, meetings[1], "BE", "strong_support")
    client.force_login(be_official)
    first = html(client.get(f"{BASE}/2026/states/BE/?level="))
    assert "3 positions shown, 1 to 2 on this page" in first and "Page 1 of 2" in first
    assert 'href="?level=&amp;page=2" rel="next"' in first
    assert '<td class="stance-cell stance--strong-support">' not in first
    second = html(client.get(f"{BASE}/2026/states/BE/?level=&page=2"))
    assert "(continued from the previous page)" in second
    assert '<td class="stance-cell stance--strong-support">' in second and "up 3 from reserve" in second
    assert '<td class="stance-cell stance--reserve">' not in second
    assert 'href="?level=&amp;page=1" rel="prev"' in second


def test_topic_timeline_lists_each_state_and_those_without_a_position(
    client, pool_size, meetings, nl_negotiator, coordinator, nl_official
):
    record(nl_negotiator, pool_size, meetings[0], "NL", "oppose")
    record(nl_negotiator, pool_size, meetings[1], "NL", "support", proposed_value=Decimal("21000"))
    record(coordinator, pool_size, meetings[1], "DE", "strong_support")
    client.force_login(nl_official)
    response = client.get(f"{BASE}/2026/topics/{pool_size.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert page.index("Germany (DE)</a>") < page.index("Netherlands (NL)</a>")
    assert "up 3 from oppose" in page and "21,000 relocations in the pool" in page
    silent = page[page.index("Member States without a position on this topic") :]
    assert "Belgium (BE)" in silent and "Germany (DE)" not in silent
    other_cycle_topic = Topic.objects.create(cycle=CycleFactory(year=2027), title="Elsewhere")
    assert client.get(f"{BASE}/2026/topics/{other_cycle_topic.pk}/").status_code == 404
