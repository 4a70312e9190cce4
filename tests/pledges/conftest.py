"""Fixtures shared by the tests of pledges and of what hangs on them (activations, deductions, offsets): the
cycle in its pledging exercise, a later one in application, API clients of the personas, and pledges of
Belgium and the Netherlands. The helpers that go with them are in ``tests.pledges.pledging.api_helpers``."""

import pytest

from tests.conftest import api_as
from tests.factories import CycleFactory, PledgeFactory, state
from tests.pledges.pledging.api_helpers import set_stage


@pytest.fixture
def pledging_cycle(cycle_with_figures):
    return set_stage(cycle_with_figures, "pledging", proposal_relocations=30000)


@pytest.fixture
def applied_cycle():
    """A later cycle in application, where pledges are recorded, public and activated."""
    return CycleFactory(year=2027, status="in_application")


@pytest.fixture
def be_api(be_official):
    return api_as(be_official)


@pytest.fixture
def nl_api(nl_official):
    return api_as(nl_official)


@pytest.fixture
def coordinator_api(coordinator):
    return api_as(coordinator)


@pytest.fixture
def nl_pledges(pledging_cycle):
    """NL's pledges before adoption: one draft, one submitted."""
    return {
        "draft": PledgeFactory(cycle=pledging_cycle, member_state=state("NL"), kind="relocation", quantity=500),
        "submitted": PledgeFactory(cycle=pledging_cycle, member_state=state("NL"), status="submitted"),
    }


@pytest.fixture
def be_pledge(pledging_cycle):
    return PledgeFactory(cycle=pledging_cycle, member_state=state("BE"))
