"""Fixtures every negotiation test shares: the 2026 cycle the negotiation takes place in.

The API's and the pages' topics and meetings are in ``api/conftest.py`` and ``pages/conftest.py``.
"""

import pytest

from tests.factories import CycleFactory


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026, status="pledging")
