"""The services of activations, fulfilments and responsibility offsets (``pledges.implementation.services``)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from pledges.implementation.models import Activation, ActivationStatus, Fulfilment
from pledges.implementation.selectors import offset_eligibility
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_answer,
    offset_request,
)
from pledges.pledging.models import Pledge
from solidarity.platform.errors import Conflict, NotPermitted, ValidationFailed
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Agreed in the delegation"


@pytest.fixture
def cycle_in_application(cycle_with_figures):
    """The 2026 cycle with the shipped figures, in application (past its Council act)."""
    cycle_with_figures.__class__.objects.filter(pk=cycle_with_figures.pk).update(status="in_application")
    cycle_with_figures.refresh_from_db()
    return cycle_with_figures


# Activations and fulfilment -------------------------------------------------------------------------


@pytest.fixture
def recorded_relocation(cycle_in_application):
    return PledgeFactory(cycle=cycle_in_application, kind="relocation", quantity=100, status="recorded")


def test_coordinator_activates_part_of_a_recorded_pledge(recorded_relocation, coordinator):
    activation = activation_propose(
        pledge=recorded_relocation, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )
    recorded_relocation.refresh_from_db()
    assert (activation.status, activation.amount, recorded_relocation.activated) == (
        "proposed",
        Decimal(40),
        Decimal(40),
    )


def test_activations_never_exceed_the_pledge(recorded_relocation, coordinator):
    activation_propose(
        pledge=recorded_relocation, benefitting_state=state("IT"), amount=70, actor=coordinator, reason=REASON
    )
    with pytest.raises(Conflict) as error:
        activation_propose(
            pledge=recorded_relocation, benefitting_state=state("EL"), amount=31, actor=coordinator, reason=REASON
        )
    assert error.value.code == "exceeds_pledge"
    assert error.value.extra == {"remaining": "30.00"}
    assert Activation.objects.count() == 1


def test_the_database_refuses_activations_beyond_the_pledge(recorded_relocation):
    Pledge.objects.filter(pk=recorded_relocation.pk).update(activated=100)
    with pytest.raises(IntegrityError):
        Pledge.objects.filter(pk=recorded_relocation.pk).update(activated=101)


def test_only_the_coordinator_activates_and_only_recorded_pledges(
    cycle_in_application, recorded_relocation, be_official
):
    with pytest.raises(NotPermitted):
        activation_propose(
            pledge=recorded_relocation, benefitting_state=state("IT"), amount=1, actor=be_official, reason=REASON
        )
    coordinator = UserFactory(roles=["coordinator"])
    draft = PledgeFactory(cycle=cycle_in_application, member_state=state("NL"), status="draft")
    with pytest.raises(Conflict):
        activation_propose(pledge=draft, benefitting_state=state("IT"), amount=1, actor=coordinator, reason=REASON)
    with pytest.raises(ValidationFailed):
        activation_propose(
            pledge=recorded_relocation, benefitting_state=state("BE"), amount=1, actor=coordinator, reason=REASON
        )


def test_contributing_state_accepts_and_fulfils(recorded_relocation, coordinator, be_official):
    activation = activation_propose(
        pledge=recorded_relocation, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )
    activation = activation_transition(activation=activation, transition="accept", actor=be_official, reason=REASON)
    assert activation.status == ActivationStatus.ACCEPTED
    today = datetime.date.today()
    fulfilment_record(
        activation=activation,
        date=today,
        amount=25,
        evidence_reference="Transfer T-1",
        actor=be_official,
        reason=REASON,
    )
    with pytest.raises(Conflict) as error:
        fulfilment_record(
            activation=activation, date=today, amount=16, evidence_reference="T-2", actor=be_official, reason=REASON
        )
    assert error.value.code == "exceeds_activation"
    fulfilment_record(
        activation=activation, date=today, amount=15, evidence_reference="T-2", actor=be_official, reason=REASON
    )
    activation.refresh_from_db()
    assert (activation.status, activation.fulfilled) == ("fulfilled", Decimal(40))
    assert Fulfilment.objects.count() == 2


def test_another_state_cannot_answer_or_fulfil(recorded_relocation, coordinator, nl_official):
    activation = activation_propose(
        pledge=recorded_relocation, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )
    with pytest.raises(NotPermitted):
        activation_transition(activation=activation, transition="accept", actor=nl_official, reason=REASON)
    activation.refresh_from_db()
    assert activation.status == "proposed"


def test_decline_frees_the_pledge_and_keeps_its_ground(recorded_relocation, coordinator, be_official):
    activation = activation_propose(
        pledge=recorded_relocation, benefitting_state=state("IT"), amount=40, actor=coordinator, reason=REASON
    )
    with pytest.raises(ValidationFailed):
        activation_transition(activation=activation, transition="decline", actor=be_official, reason=REASON)
    activation = activation_transition(
        activation=activation,
        transition="decline",
        actor=be_official,
        reason=REASON,
        decline_ground="other",
        explanation="Reception capacity exhausted",
    )
    recorded_relocation.refresh_from_db()
    assert (activation.status, activation.decline_ground, recorded_relocation.activated) == (
        "declined",
        "other",
        Decimal(0),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql("concurrent writers wait on row locks (SELECT ... FOR UPDATE), which SQLite lacks")
def test_activation_cap_holds_under_concurrent_requests():
    cycle = CycleFactory(year=2026, status="in_application")
    pledge = PledgeFactory(cycle=cycle, kind="relocation", quantity=100, status="recorded")
    coordinator = UserFactory(roles=["coordinator"])
    outcomes = []

    def propose():
        try:
            activation_propose(
                pledge=pledge, benefitting_state=state("IT"), amount=30, actor=coordinator, reason=REASON
            )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=propose) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"] * 3
    pledge.refresh_from_db()
    assert pledge.activated == Decimal(90)
    assert sum(a.amount for a in Activation.objects.all()) == Decimal(90)


# Offsets --------------------------------------------------------------------------------------------


def test_offsets_open_at_half_the_proposal(pledging_cycle, coordinator):
    it_official = UserFactory(member_state=state("IT"), roles=["official"])
    with pytest.raises(Conflict) as error:
        offset_request(
            cycle=pledging_cycle,
            benefitting_state=state("IT"),
            contributing_state=state("FR"),
            applications_requested=100,
            actor=it_official,
            reason=REASON,
        )
    assert error.value.code == "offsets_not_open"
    PledgeFactory(cycle=pledging_cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="submitted")
    assert offset_eligibility(pledging_cycle).collective_percent == Decimal("50.00")
    offset = offset_request(
        cycle=pledging_cycle,
        benefitting_state=state("IT"),
        contributing_state=state("FR"),
        applications_requested=100,
        actor=it_official,
        reason=REASON,
        requested_on=datetime.date(2026, 7, 1),
    )
    assert offset.answer_deadline == datetime.date(2026, 7, 31)
    fr_official = UserFactory(member_state=state("FR"), roles=["official"])
    with pytest.raises(ValidationFailed):
        offset_answer(
            offset=offset, transition="accept_partially", applications_accepted=100, actor=fr_official, reason=REASON
        )
    offset = offset_answer(
        offset=offset, transition="accept_partially", applications_accepted=60, actor=fr_official, reason=REASON
    )
    assert (offset.status, offset.applications_accepted) == ("partially_accepted", 60)


def test_a_state_that_pledged_half_its_fair_share_in_relocations_may_take_offsets(pledging_cycle):
    # FR's fair share: 16.0353 % of 21 000 = 3 367.4 -> 3 368; half is 1 684.
    PledgeFactory(cycle=pledging_cycle, member_state=state("FR"), kind="relocation", quantity=1684, status="submitted")
    eligibility = offset_eligibility(pledging_cycle, contributing_state=state("FR"))
    assert not eligibility.collective_threshold_met
    assert eligibility.contributing_state_threshold_met
    assert eligibility.contributing_state_percent == Decimal("50.00")
