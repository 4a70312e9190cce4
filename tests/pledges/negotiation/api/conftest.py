"""Fixtures of the negotiation API tests: a second cycle, two topics of 2026 and two High-Level Forum meetings."""

import datetime

import pytest

from pledges.negotiation.models import ForumMeeting, Topic
from tests.factories import CycleFactory


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
