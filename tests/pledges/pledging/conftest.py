"""Fixtures of the pledge pages: the 2026 cycle in its pledging exercise, an adopted one, and a logged-in
official of Belgium."""

import pytest

from tests.factories import CycleFactory


@pytest.fixture
def pledging(cycle_with_figures):
    """The 2026-like cycle with the shipped figures, in its pledging exercise."""
    type(cycle_with_figures).objects.filter(pk=cycle_with_figures.pk).update(status="pledging")
    cycle_with_figures.refresh_from_db()
    return cycle_with_figures


@pytest.fixture
def adopted(db):
    return CycleFactory(year=2026, status="adopted")


@pytest.fixture
def be_client(client, be_official):
    client.force_login(be_official)
    return client
