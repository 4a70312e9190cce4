"""Fixtures of the page tests of the pool in implementation: a cycle in application, officials, a recorded
pledge, its activation, and a pool with activity for the dashboard."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
)
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import REASON, set_cycle


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def cycle(cycle_with_figures, today):
    """A cycle in application, half-way through its implementation year."""
    return set_cycle(
        cycle_with_figures,
        status="in_application",
        proposal_relocations=30000,
        applies_from=today - datetime.timedelta(days=100),
        implementation_deadline=today + datetime.timedelta(days=100),
    )


@pytest.fixture
def it_official(db):
    return UserFactory(username="it_official", member_state=state("IT"), roles=["official"])


@pytest.fixture
def fr_official(db):
    return UserFactory(username="fr_official", member_state=state("FR"), roles=["official"])


@pytest.fixture
def be_relocation(cycle):
    return PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=300, status="recorded")


@pytest.fixture
def activation(be_relocation, coordinator):
    """100 of Belgium's 300 relocations activated towards Italy."""
    return activation_propose(
        pledge=be_relocation, benefitting_state=state("IT"), amount=100, actor=coordinator, reason=REASON
    )


@pytest.fixture
def accepted(activation, be_official):
    return activation_transition(activation=activation, transition="accept", actor=be_official, reason=REASON)


@pytest.fixture
def pool_data(cycle, coordinator, be_official):
    """BE: 300 relocations + EUR 2 million; NL: EUR 1 million of illustrative alternative measures.

    100 of BE's relocations are activated towards IT, accepted, and 60 carried out.
    """
    relocation = PledgeFactory(
        cycle=cycle, member_state=state("BE"), kind="relocation", quantity=300, status="recorded"
    )
    PledgeFactory(
        cycle=cycle, member_state=state("BE"), kind="financial", amount_eur=Decimal("2000000.00"), status="recorded"
    )
    PledgeFactory(
        cycle=cycle,
        member_state=state("NL"),
        kind="alternative",
        amount_eur=Decimal("1000000.00"),
        description="Reception staff",
        illustrative=True,
        status="recorded",
    )
    activation = activation_propose(
        pledge=relocation, benefitting_state=state("IT"), amount=100, actor=coordinator, reason=REASON
    )
    activation_transition(activation=activation, transition="accept", actor=be_official, reason=REASON)
    fulfilment_record(
        activation=activation,
        date=timezone.localdate(),
        amount=60,
        evidence_reference="Transfer list 1",
        actor=be_official,
        reason=REASON,
    )
    return cycle
