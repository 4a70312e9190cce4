"""Fixtures of the negotiation page tests: two topics of 2026, two High-Level Forum meetings, and a restricted
position only its recording delegation (BE) may read."""

import datetime
from decimal import Decimal

import pytest

from pledges.negotiation.models import ForumMeeting, Topic
from tests.pledges.negotiation.pages.helpers import SECRET, record


@pytest.fixture
def pool_size(cycle):
    return Topic.objects.create(cycle=cycle, title="Size of the pool", unit="relocations in the pool", order=0)


@pytest.fixture
def dublin(cycle):
    return Topic.objects.create(cycle=cycle, title="Dublin compliance as a condition", order=1)


@pytest.fixture
def meetings(cycle):
    return [
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF first"),
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 27), title="HLF pledging"),
    ]


@pytest.fixture
def restricted_case(pool_size, meetings, be_negotiator, coordinator):
    """HU's shared red line (from the minutes, by the coordinator), then BE's restricted note only BE may read."""
    shared = record(coordinator, pool_size, meetings[0], "HU", "red_line", statement="No relocations at all.")
    restricted = record(
        be_negotiator,
        pool_size,
        meetings[1],
        "HU",
        "oppose",
        visibility="restricted",
        statement=SECRET,
        source="BE bilateral read-out",
        proposed_value=Decimal("25000"),
    )
    return shared, restricted
