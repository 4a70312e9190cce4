import datetime
from decimal import Decimal

import pytest

from compliance.models import ActionPlan, DublinPerformance, Finding
from compliance.services import (
    action_plan_transition,
    compliance_record_create,
    compliance_record_update,
    dublin_performance_import,
)
from solidarity.platform.errors import Conflict, NotPermitted, StaleVersion, TransitionNotAllowed, ValidationFailed
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db

REASON = "Monthly Dublin statistics"
JANUARY = {"period_kind": "month", "period_start": datetime.date(2026, 1, 1), "period_end": datetime.date(2026, 1, 31)}


def dublin(officer, code="IT", **values):
    return compliance_record_create(
        model=DublinPerformance,
        actor=officer,
        reason=REASON,
        member_state=state(code),
        **{**JANUARY, "take_charge_received": 100, "take_charge_accepted": 80, "transfers_carried_out": 20, **values},
    )


def test_compliance_officer_records_dublin_performance_with_derived_rates(compliance_officer):
    record = dublin(compliance_officer, take_back_received=100, take_back_accepted=40)
    assert (record.acceptance_rate, record.transfer_rate) == (Decimal("60.00"), Decimal("16.67"))
    assert record.history.get().history_user == compliance_officer


@pytest.mark.parametrize("role_fixture", ["be_official", "be_negotiator", "coordinator", "auditor"])
def test_other_roles_read_but_do_not_write_compliance_records(request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    with pytest.raises(NotPermitted):
        dublin(user)
    assert not DublinPerformance.objects.exists()
    assert user.has_perm("compliance.view")


def test_bad_records_get_a_clear_error(compliance_officer):
    with pytest.raises(ValidationFailed):
        dublin(compliance_officer, take_charge_accepted=101)
    dublin(compliance_officer)
    with pytest.raises(Conflict) as error:
        dublin(compliance_officer)
    assert error.value.code == "unique"
    assert DublinPerformance.objects.count() == 1


def test_updates_need_the_current_version(compliance_officer):
    record = dublin(compliance_officer)
    record = compliance_record_update(
        instance=record,
        changes={"transfers_carried_out": 30},
        expected_version=1,
        actor=compliance_officer,
        reason=REASON,
    )
    assert record.version == 2
    with pytest.raises(StaleVersion):
        compliance_record_update(
            instance=record,
            changes={"transfers_carried_out": 1},
            expected_version=1,
            actor=compliance_officer,
            reason=REASON,
        )


def test_import_with_one_bad_row_writes_nothing_and_names_the_line(compliance_officer):
    good = {"line": 2, "member_state_id": "IT", **JANUARY, "take_charge_received": 10, "take_charge_accepted": 5}
    bad = {
        "line": 3,
        "member_state_id": "EL",
        **JANUARY,
        "take_charge_received": 10,
        "take_charge_accepted": 50,
    }
    with pytest.raises(ValidationFailed) as error:
        dublin_performance_import(rows=[dict(good), dict(bad)], actor=compliance_officer, reason=REASON)
    assert "line 3" in error.value.message
    assert not DublinPerformance.objects.exists()
    counts = dublin_performance_import(rows=[dict(good)], actor=compliance_officer, reason=REASON)
    assert counts == {"created": 1, "updated": 0, "unchanged": 0}
    again = dublin_performance_import(rows=[dict(good)], actor=compliance_officer, reason=REASON)
    assert again == {"created": 0, "updated": 0, "unchanged": 1}


def test_action_plan_workflow(compliance_officer, be_official):
    plan = compliance_record_create(
        model=ActionPlan,
        actor=compliance_officer,
        reason=REASON,
        member_state=state("IT"),
        cycle=CycleFactory(year=2026),
        title="Dublin transfers",
    )
    with pytest.raises(TransitionNotAllowed):
        action_plan_transition(plan=plan, transition="complete", actor=compliance_officer, reason=REASON)
    with pytest.raises(NotPermitted):
        action_plan_transition(plan=plan, transition="agree", actor=be_official, reason=REASON)
    for name in ("agree", "start", "complete"):
        plan = action_plan_transition(plan=plan, transition=name, actor=compliance_officer, reason=REASON)
    assert plan.status == "completed"


def test_findings_are_created_as_drafts(compliance_officer):
    finding = compliance_record_create(
        model=Finding,
        actor=compliance_officer,
        reason=REASON,
        member_state=state("EL"),
        cycle=CycleFactory(year=2026),
        scope="Take-back replies",
        description="Replies beyond the time limit",
    )
    assert finding.status == "draft"
