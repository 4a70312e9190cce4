"""The services of pledges and of their deductions (``pledges.pledging.services``): record, revise and move a
pledge, the Council act's adoption, and deduction requests with their decision."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from pledges.pledging.models import DeductionRequest, Pledge, PledgeStatus
from pledges.pledging.services import (
    deduction_decide,
    deduction_request,
    pledge_create,
    pledge_transition,
    pledge_update,
)
from solidarity.domain.models import Designation
from solidarity.domain.selectors import fair_share_table
from solidarity.domain.services import cycle_transition
from solidarity.platform.errors import Conflict, NotPermitted, StaleVersion, TransitionNotAllowed, ValidationFailed
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Agreed in the delegation"


@pytest.fixture
def cycle_in_application(cycle_with_figures):
    """The 2026 cycle with the shipped figures, in application (past its Council act)."""
    cycle_with_figures.__class__.objects.filter(pk=cycle_with_figures.pk).update(status="in_application")
    cycle_with_figures.refresh_from_db()
    return cycle_with_figures


def financial(cycle, official, amount="1000000.00", **kwargs):
    return pledge_create(cycle=cycle, kind="financial", amount_eur=amount, actor=official, reason=REASON, **kwargs)


# Pledges -----------------------------------------------------------------------------------------------


def test_official_records_a_financial_pledge_of_its_own_state(pledging_cycle, be_official):
    pledge = financial(pledging_cycle, be_official, "12967500.00")
    assert pledge.member_state_id == "BE"
    assert pledge.status == PledgeStatus.DRAFT
    assert pledge.amount_eur == Decimal("12967500.00")
    # EUR 12 967 500 / EUR 20 000 per relocation = 648.375 -> 648.38 relocation equivalents
    assert pledge.relocation_equivalent == Decimal("648.38")
    row = pledge.history.get()
    assert (row.history_user, row.history_change_reason) == (be_official, REASON)


def test_official_cannot_record_a_pledge_for_another_state(pledging_cycle, be_official):
    with pytest.raises(NotPermitted):
        financial(pledging_cycle, be_official, member_state=state("NL"))
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("role_fixture", ["coordinator", "be_negotiator", "auditor", "compliance_officer"])
def test_only_officials_record_pledges(request, pledging_cycle, role_fixture):
    user = request.getfixturevalue(role_fixture)
    with pytest.raises(NotPermitted):
        financial(pledging_cycle, user, member_state=state("BE"))
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("kind", "values", "field", "code"),
    [
        ("financial", {"amount_eur": "-5"}, "amount_eur", "not_positive"),
        ("financial", {"amount_eur": "lots"}, "amount_eur", "not_a_number"),
        ("financial", {"amount_eur": "1e30"}, "amount_eur", "not_a_number"),
        ("financial", {"amount_eur": "100000000000.01"}, "amount_eur", "too_large"),
        ("financial", {"amount_eur": "10.555"}, "amount_eur", "too_many_decimals"),
        ("financial", {"amount_eur": "NaN"}, "amount_eur", "not_a_number"),
        ("financial", {"amount_eur": "100", "quantity": 3}, "quantity", "not_allowed_for_kind"),
        ("financial", {}, "amount_eur", "required"),
        ("relocation", {"quantity": "2.5"}, "quantity", "not_whole"),
        ("relocation", {"quantity": 0}, "quantity", "not_positive"),
        ("relocation", {"quantity": 50_000_000}, "quantity", "too_large"),
        ("relocation", {"quantity": 10, "amount_eur": "100"}, "amount_eur", "not_allowed_for_kind"),
        ("alternative", {"amount_eur": "100"}, "description", "required"),
        ("donation", {"amount_eur": "100"}, "kind", "invalid_choice"),
    ],
)
def test_bad_amounts_get_a_clear_error_and_write_nothing(pledging_cycle, be_official, kind, values, field, code):
    with pytest.raises(ValidationFailed) as error:
        pledge_create(cycle=pledging_cycle, kind=kind, actor=be_official, reason=REASON, **values)
    assert (error.value.field, error.value.code) == (field, code)
    assert error.value.message
    assert not Pledge.objects.exists()


def test_second_live_pledge_of_the_same_kind_is_refused(pledging_cycle, be_official):
    financial(pledging_cycle, be_official)
    with pytest.raises(Conflict) as error:
        financial(pledging_cycle, be_official)
    assert error.value.code == "pledge_exists"
    assert Pledge.objects.count() == 1


def test_pledges_are_recorded_only_during_the_pledging_exercise(cycle_in_application, be_official):
    with pytest.raises(Conflict) as error:
        financial(cycle_in_application, be_official)
    assert error.value.code == "pledging_closed"


def test_revision_needs_the_current_version_and_keeps_each_version(pledging_cycle, be_official):
    pledge = financial(pledging_cycle, be_official)
    pledge_transition(pledge=pledge, transition="submit", actor=be_official, reason=REASON)
    pledge.refresh_from_db()
    revised = pledge_update(
        pledge=pledge,
        changes={"amount_eur": "2000000.00"},
        expected_version=pledge.version,
        actor=be_official,
        reason="Raised after the forum",
    )
    assert revised.amount_eur == Decimal("2000000.00")
    assert revised.status == PledgeStatus.SUBMITTED
    assert [h.amount_eur for h in revised.history.order_by("history_id")] == [
        Decimal("1000000.00"),
        Decimal("1000000.00"),
        Decimal("2000000.00"),
    ]
    with pytest.raises(StaleVersion) as error:
        pledge_update(
            pledge=pledge, changes={"amount_eur": "5.00"}, expected_version=1, actor=be_official, reason=REASON
        )
    assert "be_official" in error.value.message
    assert Pledge.objects.get().amount_eur == Decimal("2000000.00")


def test_another_state_cannot_revise_or_submit(pledging_cycle, be_official, nl_official):
    pledge = financial(pledging_cycle, be_official)
    with pytest.raises(NotPermitted):
        pledge_update(
            pledge=pledge, changes={"amount_eur": "1.00"}, expected_version=1, actor=nl_official, reason=REASON
        )
    with pytest.raises(NotPermitted):
        pledge_transition(pledge=pledge, transition="submit", actor=nl_official, reason=REASON)
    pledge.refresh_from_db()
    assert (pledge.status, pledge.amount_eur, pledge.version) == ("draft", Decimal("1000000.00"), 1)


@pytest.mark.parametrize(
    ("start", "transition", "end"),
    [
        ("draft", "submit", "submitted"),
        ("submitted", "reopen", "draft"),
        ("draft", "withdraw", "withdrawn"),
        ("submitted", "withdraw", "withdrawn"),
    ],
)
def test_allowed_pledge_transitions(pledging_cycle, be_official, start, transition, end):
    pledge = PledgeFactory(cycle=pledging_cycle, status=start)
    pledge = pledge_transition(pledge=pledge, transition=transition, actor=be_official, reason=REASON)
    assert pledge.status == end
    assert pledge.history.first().history_transition == transition


@pytest.mark.parametrize(
    ("start", "transition"),
    [("draft", "reopen"), ("submitted", "submit"), ("withdrawn", "submit"), ("withdrawn", "withdraw")],
)
def test_refused_pledge_transitions(pledging_cycle, be_official, start, transition):
    pledge = PledgeFactory(cycle=pledging_cycle, status=start)
    with pytest.raises(TransitionNotAllowed):
        pledge_transition(pledge=pledge, transition=transition, actor=be_official, reason=REASON)
    pledge.refresh_from_db()
    assert pledge.status == start


def test_record_is_not_a_user_transition(pledging_cycle, be_official):
    pledge = PledgeFactory(cycle=pledging_cycle, status="submitted")
    with pytest.raises(ValidationFailed):
        pledge_transition(pledge=pledge, transition="record", actor=be_official, reason=REASON)


def test_adoption_records_submitted_pledges_and_reports_drafts(pledging_cycle, coordinator):
    submitted = PledgeFactory(cycle=pledging_cycle, status="submitted")
    draft = PledgeFactory(cycle=pledging_cycle, member_state=state("NL"), status="draft")
    withdrawn = PledgeFactory(cycle=pledging_cycle, member_state=state("FR"), status="withdrawn")
    outcome = cycle_transition(
        cycle=pledging_cycle,
        transition="adopt",
        actor=coordinator,
        reason="Council act adopted",
        council_act_reference="Council Implementing Decision (EU) 2025/2642",
        council_act_date=datetime.date(2025, 12, 19),
    )
    assert outcome.recorded_pledges == 1
    assert [p.pk for p in outcome.drafts_left] == [draft.pk]
    statuses = dict(Pledge.objects.values_list("pk", "status"))
    assert statuses == {submitted.pk: "recorded", draft.pk: "draft", withdrawn.pk: "withdrawn"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql("the failure is injected by a PL/pgSQL trigger")
def test_adoption_is_all_or_nothing(django_db_blocker):
    coordinator = UserFactory(roles=["coordinator"])
    cycle = CycleFactory(year=2026, status="pledging")
    first = PledgeFactory(cycle=cycle, status="submitted")
    second = PledgeFactory(cycle=cycle, member_state=state("NL"), status="submitted")
    # A database trigger refuses to record the second pledge, as a failing disk or constraint would.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION refuse_recording() RETURNS trigger AS $$
            BEGIN
              IF NEW.status = 'recorded' AND NEW.id = {second.pk} THEN RAISE EXCEPTION 'refused'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_recording BEFORE UPDATE ON pledges_pledge
              FOR EACH ROW EXECUTE FUNCTION refuse_recording();
            """
        )
    try:
        with pytest.raises(Exception, match="refused"):
            cycle_transition(
                cycle=cycle,
                transition="adopt",
                actor=coordinator,
                reason="Council act adopted",
                council_act_reference="Act",
                council_act_date=datetime.date(2026, 12, 19),
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_recording ON pledges_pledge; DROP FUNCTION refuse_recording();")
    cycle.refresh_from_db()
    assert (cycle.status, cycle.council_act_reference) == ("pledging", "")
    assert set(Pledge.objects.values_list("status", flat=True)) == {"submitted"}
    assert first.history.count() == 1


# Deductions -----------------------------------------------------------------------------------------


def designate(cycle, code, kind):
    return Designation.objects.create(cycle=cycle, member_state=state(code), kind=kind)


def test_deduction_needs_the_matching_designation(pledging_cycle):
    at_official = UserFactory(member_state=state("AT"), roles=["official"])
    with pytest.raises(Conflict) as error:
        deduction_request(
            cycle=pledging_cycle, article="62", scope="full", grounds="Pressure", actor=at_official, reason=REASON
        )
    assert error.value.code == "not_designated"
    designate(pledging_cycle, "AT", "significant_situation")
    deduction = deduction_request(
        cycle=pledging_cycle, article="62", scope="full", grounds="Pressure", actor=at_official, reason=REASON
    )
    assert (deduction.requested_percent, deduction.status) == (Decimal(100), "requested")


def test_granted_deduction_leaves_the_fair_share_as_computed(pledging_cycle, coordinator):
    designate(pledging_cycle, "BE", "significant_situation")
    be_official = UserFactory(member_state=state("BE"), roles=["official"])
    deduction = deduction_request(
        cycle=pledging_cycle,
        article="62",
        scope="partial",
        requested_percent="40",
        grounds="Reception",
        actor=be_official,
        reason=REASON,
    )
    with pytest.raises(NotPermitted):
        deduction_decide(deduction=deduction, transition="assess", actor=be_official, reason=REASON)
    with pytest.raises(TransitionNotAllowed):  # no Council act
        deduction_decide(deduction=deduction, transition="grant_partial", actor=coordinator, reason=REASON)
    deduction_decide(
        deduction=deduction,
        transition="grant_partial",
        actor=coordinator,
        reason=REASON,
        granted_percent="25",
        council_act_reference="Council Implementing Decision X",
        council_act_date="2026-03-02",
    )
    row = next(r for r in fair_share_table(pledging_cycle, viewer=coordinator) if r.member_state.code == "BE")
    # BE: 3.0875 % of 21 000 = 648.375 -> 649 (up). AMMR Art. 61(1), 62(1): the deduction is of BE's pledges,
    # so its fair share, the obligation, stays 649 relocations and EUR 12 967 500.
    assert (row.fair_share.relocations, row.fair_share.obligation_relocations) == (649, 649)
    assert row.fair_share.obligation_financial_eur == Decimal("12967500.00")
    assert row.fair_share.deduction_percent == Decimal(25)
    assert DeductionRequest.objects.get().status == "granted_partial"
