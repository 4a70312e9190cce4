"""The pages of deduction requests (AMMR Arts 61-62): request, decide, list."""

import pytest

from pledges.pledging.models import DeductionRequest
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.domain.models import Designation
from tests.factories import state
from tests.pledges.implementation.page_support import (
    BASE,
    REASON,
    as_user,
    csv_rows,
    field_error,
    page,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


# Deductions ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def be_under_pressure(cycle):
    return Designation.objects.create(cycle=cycle, member_state=state("BE"), kind="under_pressure", ground="arrivals")


def request_deduction(client, cycle, **data):
    payload = {"article": "61", "scope": "full", "grounds": "Arrivals rose by half", "reason": REASON, **data}
    return client.post(f"{BASE}/deductions/request/?cycle={cycle.year}", payload)


def test_an_official_requests_a_deduction(client, be_official, cycle, be_under_pressure):
    as_user(client, be_official)
    form = client.get(f"{BASE}/deductions/request/?cycle={cycle.year}")
    assert "Under migratory pressure" in page(form)
    response = request_deduction(client, cycle, scope="partial", requested_percent="25")
    deduction = DeductionRequest.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}/deductions/{deduction.pk}/"
    assert (deduction.member_state_id, deduction.scope, deduction.requested_percent) == ("BE", "partial", 25)
    assert "assesses" in page(client.get(response.url))


def test_a_deduction_on_an_article_that_does_not_apply_is_refused(client, be_official, cycle):
    as_user(client, be_official)
    response = request_deduction(client, cycle)
    assert response.status_code == 409  # a missing precondition, as over the API
    assert "BE is not designated as under migratory pressure in 2026" in page(response)
    assert field_error(page(response), "id_article_0") or "id_article_error" in page(response)
    assert DeductionRequest.objects.count() == 0


def test_a_partial_deduction_needs_its_percent(client, be_official, cycle, be_under_pressure):
    as_user(client, be_official)
    response = request_deduction(client, cycle, scope="partial")
    assert response.status_code == 400
    assert "Give the part of the pledges to deduct, in percent." in page(response)
    assert field_error(page(response), "id_requested_percent")
    assert DeductionRequest.objects.count() == 0


@pytest.mark.parametrize("role", ["coordinator", "be_negotiator", "auditor"])
def test_only_officials_request_deductions(request, client, cycle, role):
    as_user(client, request.getfixturevalue(role))
    assert client.get(f"{BASE}/deductions/request/").status_code == 403
    assert request_deduction(client, cycle).status_code == 403
    assert DeductionRequest.objects.count() == 0


@pytest.fixture
def deduction(cycle, be_official, be_under_pressure):
    return deduction_request(
        cycle=cycle, article="61", scope="full", grounds="Arrivals", actor=be_official, reason=REASON
    )


def decide(client, deduction, **data):
    payload = {"version": deduction.version, "reason": REASON, **data}
    return client.post(f"{BASE}/deductions/{deduction.pk}/decide/", payload)


def test_the_coordinator_grants_part_of_a_deduction_with_the_council_act(client, coordinator, deduction):
    as_user(client, coordinator)
    assert "Record the decision" in page(client.get(f"{BASE}/deductions/{deduction.pk}/"))
    assert decide(client, deduction, transition="assess").status_code == 302
    deduction.refresh_from_db()
    assert deduction.status == "under_assessment"
    response = decide(
        client,
        deduction,
        transition="grant_partial",
        granted_percent="40",
        council_act_reference="Council Implementing Decision (EU) 2026/9",
        council_act_date="2026-04-01",
    )
    assert response.status_code == 302
    deduction.refresh_from_db()
    assert (deduction.status, deduction.granted_percent) == ("granted_partial", 40)
    assert deduction.council_act_reference == "Council Implementing Decision (EU) 2026/9"
    assert str(deduction.council_act_date) == "2026-04-01"
    history = page(client.get(f"{BASE}/deductions/{deduction.pk}/?tab=history"))
    assert "grant_partial" in history and "assess" in history


def test_a_grant_without_the_council_act_is_refused_on_that_field(client, coordinator, deduction):
    as_user(client, coordinator)
    response = decide(client, deduction, transition="grant_full")
    assert response.status_code == 409  # no Council act: a missing precondition
    assert "A deduction is granted by a Council implementing act" in page(response)
    assert field_error(page(response), "id_council_act_reference")
    deduction.refresh_from_db()
    assert deduction.status == "requested"


def test_a_decision_in_the_wrong_stage_is_refused_with_a_message(client, coordinator, deduction):
    deduction_decide(deduction=deduction, transition="assess", actor=coordinator, reason=REASON)
    deduction.refresh_from_db()
    as_user(client, coordinator)
    response = decide(client, deduction, transition="assess")
    assert response.status_code in (400, 409)
    deduction.refresh_from_db()
    assert deduction.status == "under_assessment"


def test_officials_may_not_decide_and_other_states_do_not_see_a_request(client, be_official, nl_official, deduction):
    as_user(client, be_official)
    assert "Record the decision" not in page(client.get(f"{BASE}/deductions/{deduction.pk}/"))
    assert decide(client, deduction, transition="refuse").status_code == 403
    as_user(client, nl_official)
    assert client.get(f"{BASE}/deductions/{deduction.pk}/").status_code == 404
    assert decide(client, deduction, transition="refuse").status_code == 404
    deduction.refresh_from_db()
    assert deduction.status == "requested"


def test_the_deduction_list_is_scoped_filtered_and_exported(client, coordinator, nl_official, deduction):
    assert f"/deductions/{deduction.pk}/" not in page(as_user(client, nl_official).get(f"{BASE}/deductions/"))
    as_user(client, coordinator)
    assert f"/deductions/{deduction.pk}/" in page(client.get(f"{BASE}/deductions/?status=requested"))
    assert f"/deductions/{deduction.pk}/" not in page(client.get(f"{BASE}/deductions/?status=refused"))
    rows = csv_rows(client.get(f"{BASE}/deductions/?format=csv"))
    assert [(r["Member State"], r["Requested (%)"], r["Status"]) for r in rows] == [("BE", "100.0000", "Requested")]
    assert xlsx_rows(client.get(f"{BASE}/deductions/?format=xlsx"))[0]["Requested (%)"] == 100


def test_the_decisions_offered_are_those_the_workflow_allows(client, coordinator, deduction):
    as_user(client, coordinator)
    requested = page(client.get(f"{BASE}/deductions/{deduction.pk}/"))
    assert 'value="assess"' in requested and 'value="grant_full"' in requested
    assert decide(client, deduction, transition="assess").status_code == 302
    deduction.refresh_from_db()
    assessed = page(client.get(f"{BASE}/deductions/{deduction.pk}/"))
    assert 'value="assess"' not in assessed and 'value="grant_partial"' in assessed and 'value="refuse"' in assessed
    assert decide(client, deduction, transition="refuse").status_code == 302
    assert "Record the decision" not in page(client.get(f"{BASE}/deductions/{deduction.pk}/"))
