"""The pages of the pool in implementation: activations and fulfilment, deductions, offsets, the dashboard."""

import csv
import datetime
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.utils import timezone

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_answer,
    offset_request,
)
from pledges.pledging.models import DeductionRequest, Pledge
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.domain.models import Designation, SolidarityCycle
from solidarity.domain.selectors import cycle_fair_shares
from tests.factories import PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Agreed at the Technical-Level Forum"
BASE = "/pledges/implementation"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
CENT = Decimal("0.01")


# Fixtures and helpers --------------------------------------------------------------------------------------------


def _set_cycle(cycle, **fields):
    # Tests start cycles in any stage; production code moves them only by transitions.
    SolidarityCycle.objects.filter(pk=cycle.pk).update(**fields)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def cycle(cycle_with_figures, today):
    """A cycle in application, half-way through its implementation year."""
    return _set_cycle(
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


def page(response) -> str:
    return response.content.decode()


def as_user(client, user):
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def field_error(html: str, field_id: str) -> bool:
    """The field is marked invalid and points at its error message."""
    tag = re.search(rf"<[^>]*\bid=\"{field_id}\"[^>]*>", html)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0)


def history_count(model) -> int:
    return model.history.model.objects.count()


# Activations: propose ---------------------------------------------------------------------------------------------


def test_coordinator_proposes_an_activation_on_a_recorded_pledge(client, coordinator, be_relocation):
    as_user(client, coordinator)
    form = client.get(f"{BASE}/activations/propose/{be_relocation.pk}/")
    assert form.status_code == 200
    assert "Left to activate" in page(form) and "300 persons" in page(form)

    response = client.post(
        f"{BASE}/activations/propose/{be_relocation.pk}/",
        {"benefitting_state": "IT", "amount": "120", "reason": REASON},
    )
    activation = Activation.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}/activations/{activation.pk}/"
    assert (activation.benefitting_state_id, activation.amount, activation.status) == ("IT", Decimal(120), "proposed")
    be_relocation.refresh_from_db()
    assert be_relocation.activated == Decimal(120)
    assert activation.history.get().history_change_reason == REASON
    detail = client.get(response.url)
    assert "Activation proposed" in page(detail) and "120 persons" in page(detail)


def test_activation_beyond_the_pledge_is_refused_on_the_amount_and_nothing_is_written(
    client, coordinator, be_relocation
):
    as_user(client, coordinator)
    response = client.post(
        f"{BASE}/activations/propose/{be_relocation.pk}/",
        {"benefitting_state": "IT", "amount": "301", "reason": REASON},
    )
    assert response.status_code == 409
    html = page(response)
    assert "Only 300.00 of this pledge remain to be activated; 301 was asked." in html
    assert field_error(html, "id_amount")
    assert Activation.objects.count() == 0
    be_relocation.refresh_from_db()
    assert be_relocation.activated == 0


def test_activation_needs_a_reason_and_names_the_missing_field(client, coordinator, be_relocation):
    as_user(client, coordinator)
    response = client.post(
        f"{BASE}/activations/propose/{be_relocation.pk}/", {"benefitting_state": "IT", "amount": "10", "reason": ""}
    )
    assert response.status_code == 400
    assert field_error(page(response), "id_reason")
    assert Activation.objects.count() == 0


def test_a_pledge_not_yet_recorded_cannot_be_activated(client, coordinator, cycle_with_figures):
    cycle = _set_cycle(cycle_with_figures, status="pledging")
    pledge = PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=50, status="submitted")
    as_user(client, coordinator)
    form = client.get(f"{BASE}/activations/propose/{pledge.pk}/")
    assert "cannot be activated now" in page(form)
    response = client.post(
        f"{BASE}/activations/propose/{pledge.pk}/", {"benefitting_state": "IT", "amount": "10", "reason": REASON}
    )
    assert response.status_code == 409
    assert "Only a pledge recorded by the Council act" in page(response)
    assert Activation.objects.count() == 0


def test_an_official_may_not_propose_and_another_states_draft_is_not_found(
    client, be_official, nl_official, be_relocation, cycle_with_figures
):
    as_user(client, nl_official)
    url = f"{BASE}/activations/propose/{be_relocation.pk}/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"benefitting_state": "IT", "amount": "10", "reason": REASON}).status_code == 403
    assert client.get(f"{BASE}/activations/propose/").status_code == 403
    draft = PledgeFactory(cycle=be_relocation.cycle, member_state=state("BE"), kind="financial", status="draft")
    assert client.get(f"{BASE}/activations/propose/{draft.pk}/").status_code == 404
    assert Activation.objects.count() == 0


def test_the_coordinator_sees_the_pledges_left_to_activate(client, coordinator, activation, be_relocation):
    full = PledgeFactory(
        cycle=be_relocation.cycle, member_state=state("NL"), kind="financial", amount_eur=Decimal("5000.00")
    )
    Pledge.objects.filter(pk=full.pk).update(status="recorded", activated=Decimal("5000.00"))
    response = as_user(client, coordinator).get(f"{BASE}/activations/propose/")
    html = page(response)
    assert f"/activations/propose/{be_relocation.pk}/" in html
    assert f"/activations/propose/{full.pk}/" not in html  # nothing left of it


# Activations: answer ---------------------------------------------------------------------------------------------


def answer(client, activation, **data):
    payload = {"version": activation.version, "reason": REASON, **data}
    return client.post(f"{BASE}/activations/{activation.pk}/answer/", payload)


def test_the_contributing_official_accepts(client, be_official, activation):
    as_user(client, be_official)
    detail = client.get(f"{BASE}/activations/{activation.pk}/")
    assert "Send the answer" in page(detail)
    response = answer(client, activation, transition="accept")
    assert response.status_code == 302
    activation.refresh_from_db()
    assert activation.status == "accepted"
    assert activation.history.filter(history_transition="accept", history_user=be_official).exists()


def test_the_benefitting_official_sees_but_may_not_answer(client, it_official, activation):
    as_user(client, it_official)
    detail = client.get(f"{BASE}/activations/{activation.pk}/")
    assert detail.status_code == 200 and "Send the answer" not in page(detail)
    assert answer(client, activation, transition="accept").status_code == 403
    activation.refresh_from_db()
    assert activation.status == "proposed"


def test_another_states_official_gets_404_and_writes_nothing(client, fr_official, activation):
    as_user(client, fr_official)
    before = history_count(Activation)
    assert client.get(f"{BASE}/activations/{activation.pk}/").status_code == 404
    assert answer(client, activation, transition="accept").status_code == 404
    post = client.post(
        f"{BASE}/activations/{activation.pk}/fulfilment/",
        {"version": 1, "date": "2026-07-01", "amount": "1", "evidence_reference": "x", "reason": REASON},
    )
    assert post.status_code == 404
    activation.refresh_from_db()
    assert activation.status == "proposed" and history_count(Activation) == before


def test_art_60_3_decline_without_a_confirmed_finding_shows_the_services_message(client, be_official, activation):
    as_user(client, be_official)
    detail = client.get(f"{BASE}/activations/{activation.pk}/")
    assert "No confirmed finding of systemic shortcomings exists for Italy" in page(detail)
    response = answer(
        client, activation, transition="decline", decline_ground="systemic_shortcomings", explanation="Transfers fail"
    )
    assert response.status_code == 400
    html = page(response)
    assert "No confirmed systemic-shortcoming finding exists for IT in this cycle" in html
    # The message sits on the ground's radio group, which points at it.
    assert re.search(r'<fieldset aria-describedby="[^"]*answer-decline_ground_error"', html)
    assert re.search(r'id="answer-decline_ground_error"><li>No confirmed systemic-shortcoming finding', html)
    activation.refresh_from_db()
    assert activation.status == "proposed" and activation.decline_ground == ""


def test_art_60_3_decline_rests_on_the_confirmed_finding(client, be_official, compliance_officer, activation, cycle):
    finding = Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays")
    finding_transition(finding=finding, transition="assess", actor=compliance_officer, reason=REASON)
    finding_transition(finding=finding, transition="confirm", actor=compliance_officer, reason=REASON)
    as_user(client, be_official)
    assert "you may decline on that ground" in page(client.get(f"{BASE}/activations/{activation.pk}/"))
    response = answer(
        client, activation, transition="decline", decline_ground="systemic_shortcomings", explanation="Transfers fail"
    )
    assert response.status_code == 302
    activation.refresh_from_db()
    assert (activation.status, activation.finding_id) == ("declined", finding.pk)
    assert activation.pledge.activated == 0  # the declined part is free again
    assert "Transfers" in page(client.get(response.url))


def test_a_decline_needs_its_ground(client, be_official, activation):
    as_user(client, be_official)
    response = answer(client, activation, transition="decline")
    assert response.status_code == 400
    assert "Give the ground of the decline." in page(response)
    activation.refresh_from_db()
    assert activation.status == "proposed"


def test_a_stale_answer_is_refused_with_who_changed_it_and_the_stored_values(client, be_official, activation):
    as_user(client, be_official)
    response = client.post(
        f"{BASE}/activations/{activation.pk}/answer/",
        {"version": activation.version + 1, "transition": "accept", "reason": REASON},
    )
    assert response.status_code == 412
    html = page(response)
    assert "was changed by coordinator" in html and "What is stored now" in html
    # The re-shown form carries the stored version, so that saving again after checking is possible.
    assert f'name="version" value="{activation.version}"' in html
    activation.refresh_from_db()
    assert activation.status == "proposed"


def test_answering_twice_is_refused_with_a_message(client, be_official, accepted):
    as_user(client, be_official)
    response = answer(client, accepted, transition="decline", decline_ground="other")
    assert response.status_code == 409
    assert "Cannot decline a activation that is accepted" in page(response)
    accepted.refresh_from_db()
    assert accepted.status == "accepted"


# Activations: fulfilment -----------------------------------------------------------------------------------------


def fulfil(client, activation, **data):
    payload = {
        "version": activation.version,
        "date": timezone.localdate().isoformat(),
        "evidence_reference": "Transfer record 2026/17",
        "reason": REASON,
        **data,
    }
    return client.post(f"{BASE}/activations/{activation.pk}/fulfilment/", payload)


def test_fulfilment_is_recorded_and_completes_the_activation(client, be_official, accepted):
    as_user(client, be_official)
    assert "Record the fulfilment" in page(client.get(f"{BASE}/activations/{accepted.pk}/"))
    assert fulfil(client, accepted, amount="40").status_code == 302
    accepted.refresh_from_db()
    assert (accepted.fulfilled, accepted.status) == (Decimal(40), "accepted")
    response = fulfil(client, accepted, amount="60")
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert (accepted.fulfilled, accepted.status) == (Decimal(100), "fulfilled")
    detail = page(client.get(response.url))
    assert "The activation is now fulfilled" in detail and "Transfer record 2026/17" in detail
    assert Fulfilment.objects.count() == 2


def test_fulfilment_beyond_the_activation_is_refused_on_the_amount(client, be_official, accepted):
    as_user(client, be_official)
    response = fulfil(client, accepted, amount="101")
    assert response.status_code == 409
    assert "Only 100.00 of this activation remain to be fulfilled" in page(response)
    assert field_error(page(response), "fulfilment-amount")
    assert Fulfilment.objects.count() == 0


def test_fulfilment_needs_evidence_and_a_past_date(client, be_official, accepted):
    as_user(client, be_official)
    response = fulfil(client, accepted, amount="5", evidence_reference="")
    assert response.status_code == 400 and field_error(page(response), "fulfilment-evidence_reference")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = fulfil(client, accepted, amount="5", date=tomorrow)
    assert response.status_code == 400 and "not ahead" in page(response)
    assert Fulfilment.objects.count() == 0


def test_fulfilment_of_an_activation_not_accepted_is_refused(client, be_official, activation):
    as_user(client, be_official)
    response = fulfil(client, activation, amount="5")
    assert response.status_code == 409
    assert "Fulfilment is recorded on an accepted activation; this one is proposed" in page(response)
    assert Fulfilment.objects.count() == 0


def test_the_benefitting_official_may_not_record_fulfilment(client, it_official, accepted):
    as_user(client, it_official)
    assert fulfil(client, accepted, amount="5").status_code == 403
    assert Fulfilment.objects.count() == 0


def test_the_history_tab_shows_each_transition_with_its_reason(client, auditor, be_official, accepted):
    response = as_user(client, auditor).get(f"{BASE}/activations/{accepted.pk}/?tab=history")
    html = page(response)
    assert 'id="history-heading"' in html
    assert "<strong>accept</strong>" in html and REASON in html and "be_official" in html
    assert 'aria-current="page">History' in html


# Activations: list --------------------------------------------------------------------------------------------------


def test_the_list_is_scoped_to_the_viewers_state(
    client, coordinator, be_official, it_official, fr_official, activation
):
    url = f"{BASE}/activations/"
    for user, visible in ((coordinator, True), (be_official, True), (it_official, True), (fr_official, False)):
        html = page(as_user(client, user).get(url))
        assert (f"/activations/{activation.pk}/" in html) is visible, user.username


def test_the_list_filters_and_exports(client, coordinator, activation, be_relocation):
    other = activation_propose(
        pledge=be_relocation, benefitting_state=state("EL"), amount=50, actor=coordinator, reason=REASON
    )
    as_user(client, coordinator)
    html = page(client.get(f"{BASE}/activations/?benefitting_state=EL"))
    assert f"/activations/{other.pk}/" in html and f"/activations/{activation.pk}/" not in html
    rows = csv_rows(client.get(f"{BASE}/activations/?benefitting_state=EL&format=csv"))
    assert [(r["Benefitting state"], r["Amount activated"], r["Status"]) for r in rows] == [("EL", "50.00", "Proposed")]
    rows = xlsx_rows(client.get(f"{BASE}/activations/?format=xlsx"))
    assert sorted((r["Benefitting state"], r["Amount activated"]) for r in rows) == [("EL", 50), ("IT", 100)]
    assert client.get(f"{BASE}/activations/?format=pdf").status_code == 400


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
    assert response.status_code == 400
    assert "BE is not designated as under migratory pressure in 2026" in page(response)
    assert field_error(page(response), "id_article_0") or "id_article_error" in page(response)
    assert DeductionRequest.objects.count() == 0


def test_a_partial_deduction_needs_its_percent(client, be_official, cycle, be_under_pressure):
    as_user(client, be_official)
    response = request_deduction(client, cycle, scope="partial")
    assert response.status_code == 400
    assert "Give the part of the contribution to deduct, in percent." in page(response)
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
    )
    assert response.status_code == 302
    deduction.refresh_from_db()
    assert (deduction.status, deduction.granted_percent) == ("granted_partial", 40)
    assert deduction.council_act_reference == "Council Implementing Decision (EU) 2026/9"
    history = page(client.get(f"{BASE}/deductions/{deduction.pk}/?tab=history"))
    assert "grant_partial" in history and "assess" in history


def test_a_grant_without_the_council_act_is_refused_on_that_field(client, coordinator, deduction):
    as_user(client, coordinator)
    response = decide(client, deduction, transition="grant_full")
    assert response.status_code == 400
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


# Responsibility offsets -----------------------------------------------------------------------------------------------


@pytest.fixture
def offsets_open(cycle):
    """Relocation pledges of 15 000, half of the proposal's 30 000: Art. 63(1) is met."""
    return PledgeFactory(cycle=cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")


def request_offset(client, cycle, **data):
    payload = {"contributing_state": "DE", "applications_requested": "40", "reason": REASON, **data}
    return client.post(f"{BASE}/offsets/request/?cycle={cycle.year}", payload)


def test_the_eligibility_is_shown_plainly(client, it_official, cycle):
    as_user(client, it_official)
    closed = page(client.get(f"{BASE}/offsets/request/?cycle={cycle.year}"))
    assert "0 of 30,000: 0.00 %" in closed and "below the threshold" in closed
    assert "only from a state that pledged 50 % or more of its own fair share" in closed
    PledgeFactory(cycle=cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    opened = page(client.get(f"{BASE}/offsets/request/?cycle={cycle.year}"))
    assert "15,000 of 30,000: 50.00 %" in opened and "threshold reached" in opened


def test_a_benefitting_official_requests_an_offset(client, it_official, cycle, offsets_open, today):
    as_user(client, it_official)
    response = request_offset(client, cycle)
    offset = ResponsibilityOffset.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}/offsets/{offset.pk}/"
    assert (offset.benefitting_state_id, offset.contributing_state_id, offset.applications_requested) == (
        "IT",
        "DE",
        40,
    )
    assert offset.answer_deadline == today + datetime.timedelta(days=30)
    detail = page(client.get(response.url))
    assert "30 days left" in detail and "Offsets may be requested from this state" in detail


def test_an_offset_is_refused_while_the_thresholds_are_not_met(client, it_official, cycle):
    as_user(client, it_official)
    response = request_offset(client, cycle)
    assert response.status_code == 409
    assert "Offsets are not open" in page(response)
    assert ResponsibilityOffset.objects.count() == 0


def test_the_coordinator_chooses_the_benefitting_state(client, coordinator, cycle, offsets_open):
    as_user(client, coordinator)
    assert 'name="benefitting_state"' in page(client.get(f"{BASE}/offsets/request/"))
    assert request_offset(client, cycle, benefitting_state="EL").status_code == 302
    assert ResponsibilityOffset.objects.get().benefitting_state_id == "EL"


def test_an_official_requests_only_for_its_own_state(client, it_official, cycle, offsets_open):
    as_user(client, it_official)
    assert 'name="benefitting_state"' not in page(client.get(f"{BASE}/offsets/request/"))
    # A benefitting_state smuggled into the form is ignored: the official's own state asks.
    assert request_offset(client, cycle, benefitting_state="EL").status_code == 302
    assert ResponsibilityOffset.objects.get().benefitting_state_id == "IT"


@pytest.mark.parametrize("role", ["be_negotiator", "auditor", "compliance_officer"])
def test_other_roles_may_not_request_offsets(request, client, cycle, offsets_open, role):
    as_user(client, request.getfixturevalue(role))
    assert request_offset(client, cycle, benefitting_state="IT").status_code == 403
    assert ResponsibilityOffset.objects.count() == 0


@pytest.fixture
def offset(cycle, offsets_open, it_official):
    return offset_request(
        cycle=cycle,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=40,
        actor=it_official,
        reason=REASON,
    )


@pytest.fixture
def de_official(db):
    return UserFactory(username="de_official", member_state=state("DE"), roles=["official"])


def answer_offset(client, offset, **data):
    payload = {"version": offset.version, "reason": REASON, **data}
    return client.post(f"{BASE}/offsets/{offset.pk}/answer/", payload)


def test_the_requested_state_accepts_part_of_an_offset(client, de_official, offset):
    as_user(client, de_official)
    assert "Send the answer" in page(client.get(f"{BASE}/offsets/{offset.pk}/"))
    response = answer_offset(client, offset, transition="accept_partially", applications_accepted="15")
    assert response.status_code == 302
    offset.refresh_from_db()
    assert (offset.status, offset.applications_accepted) == ("partially_accepted", 15)


def test_a_partial_acceptance_needs_a_number_within_the_request(client, de_official, offset):
    as_user(client, de_official)
    response = answer_offset(client, offset, transition="accept_partially")
    assert response.status_code == 400
    assert "Give how many applications are accepted." in page(response)
    response = answer_offset(client, offset, transition="accept_partially", applications_accepted="40")
    assert response.status_code == 400
    assert "A partial acceptance lies between 1 and 39." in page(response)
    assert field_error(page(response), "id_applications_accepted")
    offset.refresh_from_db()
    assert offset.status == "requested"


def test_the_benefitting_state_may_not_answer_and_others_do_not_see_the_offset(
    client, it_official, fr_official, offset
):
    as_user(client, it_official)
    assert answer_offset(client, offset, transition="accept").status_code == 403
    as_user(client, fr_official)
    assert client.get(f"{BASE}/offsets/{offset.pk}/").status_code == 404
    assert answer_offset(client, offset, transition="accept").status_code == 404
    offset.refresh_from_db()
    assert offset.status == "requested"


def test_answering_an_answered_offset_is_refused_with_a_message(client, de_official, coordinator, offset):
    offset_answer(offset=offset, transition="refuse", actor=coordinator, reason=REASON)
    offset.refresh_from_db()
    as_user(client, de_official)
    response = answer_offset(client, offset, transition="accept")
    assert response.status_code == 409
    assert "that is refused" in page(response)
    offset.refresh_from_db()
    assert offset.status == "refused"


def test_an_overdue_offset_is_marked_and_can_be_filtered(client, coordinator, cycle, offsets_open, today):
    late = offset_request(
        cycle=cycle,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=10,
        requested_on=today - datetime.timedelta(days=31),
        actor=coordinator,
        reason=REASON,
    )
    on_time = offset_request(
        cycle=cycle,
        benefitting_state=state("EL"),
        contributing_state=state("DE"),
        applications_requested=10,
        actor=coordinator,
        reason=REASON,
    )
    as_user(client, coordinator)
    assert "overdue by 1 day" in page(client.get(f"{BASE}/offsets/{late.pk}/"))
    html = page(client.get(f"{BASE}/offsets/?overdue=on"))
    assert f"/offsets/{late.pk}/" in html and f"/offsets/{on_time.pk}/" not in html and "overdue</strong>" in html
    rows = csv_rows(client.get(f"{BASE}/offsets/?format=csv"))
    assert {r["Benefitting state"]: r["Overdue"] for r in rows} == {"IT": "yes", "EL": "no"}
    assert len(xlsx_rows(client.get(f"{BASE}/offsets/?format=xlsx"))) == 2


# The pool dashboard ---------------------------------------------------------------------------------------------


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


def percent(part, whole) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def state_row(html: str, code: str) -> str:
    match = re.search(rf'<th scope="row">[^<(]+\({code}\).*?</tr>', html, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def test_the_dashboard_totals_match_the_hand_computed_figures(client, coordinator, pool_data):
    response = as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026")
    assert response.status_code == 200
    html = page(response)
    # 300 relocations of 21 000; EUR 3 million of EUR 420 million; 300 + 3 000 000 / 20 000 = 450 equivalents.
    assert f"{percent(300, 21000)} %" == "1.43 %" and "1.43 %" in html
    assert "EUR 3,000,000.00" in html and f"{percent(3000000, 420000000)} %" in html
    assert "450.00" in html and f"{percent(450, 21000)} %" in html
    fair = cycle_fair_shares(pool_data)
    be = state_row(html, "BE")
    # Belgium: 300 + 100 = 400 relocation equivalents, 60 fulfilled: 15 % of its pledge, behind the 50 % elapsed.
    assert ">400.00<" in be and f">{percent(400, fair['BE'].obligation_relocations)}<" in be
    assert ">100.00<" in be and ">60.00<" in be and ">15.00<" in be and "Behind" in be
    assert "50.00 %" in html and "of the implementation year has elapsed" in html
    nl = state_row(html, "NL")
    assert "illustrative" in nl and ">50.00<" in nl and "No pledge" not in nl
    assert "1 of the pledges counted on this page is illustrative" in html
    assert "No pledge" in state_row(html, "FR")


def test_the_dashboard_exports_every_table(client, coordinator, pool_data):
    as_user(client, coordinator)
    url = f"{BASE}/pool/?cycle=2026"
    progress = {r["Measure"]: r for r in csv_rows(client.get(url + "&table=progress&format=csv"))}
    assert progress["Relocations pledged"]["Pledged (% of reference)"] == "1.43"
    assert progress["All pledges in relocation equivalents"]["Pledged"] == "450.00"
    kinds = {r["Kind"]: r for r in xlsx_rows(client.get(url + "&table=kinds&format=xlsx"))}
    assert (
        kinds["Relocation"]["Fulfilled"] == 60 and kinds["Alternative solidarity measure"]["Of which illustrative"] == 1
    )
    states = {r["Code"]: r for r in csv_rows(client.get(url + "&table=states&format=csv"))}
    assert states["BE"]["Relocation equivalent"] == "400.00" and states["BE"]["Pace"] == "Behind"
    assert (
        states["BE"]["Fulfilled (% of pledge)"] == "15.00"
        and states["BE"]["Implementation year elapsed (%)"] == "50.00"
    )
    sheet = {r["Code"]: r for r in xlsx_rows(client.get(url + "&table=states&format=xlsx"))}
    assert sheet["NL"]["Pledged alternative (EUR)"] == 1000000 and sheet["NL"]["Illustrative pledges"] == 1
    assert client.get(url + "&table=nope&format=csv").status_code == 400
    assert client.get(url + "&format=ods").status_code == 400


def test_before_the_council_act_an_official_counts_only_its_own_states_pledges(
    client, be_official, coordinator, cycle_with_figures
):
    cycle = _set_cycle(cycle_with_figures, status="pledging")
    PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=200, status="submitted")
    PledgeFactory(cycle=cycle, member_state=state("NL"), kind="relocation", quantity=700, status="submitted")
    html = page(as_user(client, be_official).get(f"{BASE}/pool/?cycle=2026"))
    assert "Only your state's pledges are counted" in html
    assert "200 persons" in html and "900 persons" not in html
    assert "Not public yet" in state_row(html, "NL") and ">700<" not in state_row(html, "NL")
    assert ">200<" in state_row(html, "BE")
    rows = {r["Code"]: r for r in csv_rows(client.get(f"{BASE}/pool/?cycle=2026&table=states&format=csv"))}
    assert rows["NL"]["Pledged relocations (persons)"] == "" and rows["BE"]["Pledged relocations (persons)"] == "200"
    kinds = {r["Kind"]: r for r in csv_rows(client.get(f"{BASE}/pool/?cycle=2026&table=kinds&format=csv"))}
    assert kinds["Relocation"]["Pledged"] == "200"
    everything = page(as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026"))
    assert "900 persons" in everything and "Only your state's pledges" not in everything


def test_the_charts_are_inline_svg_with_a_text_alternative(client, coordinator, pool_data):
    html = page(as_user(client, coordinator).get(f"{BASE}/pool/"))
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 3
    for svg in svgs:
        chart_id = re.search(r'id="([^"]+)"', svg).group(1)
        assert 'role="img"' in svg and f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
        assert "style" not in svg
    # Belgium fulfilled 15 % of its pledge and the Netherlands nothing, against 50 % of the year elapsed.
    assert "2 of 2 states behind" in html
    assert 'href="#table-states"' in html and 'id="table-states"' in html


def test_a_cycle_without_dates_says_the_pace_cannot_be_measured(client, coordinator, pool_data):
    _set_cycle(pool_data, applies_from=None)
    html = page(as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026"))
    assert "so the pace cannot be measured" in html and "Dates not recorded" in state_row(html, "BE")


def test_an_unknown_cycle_is_404(client, coordinator, cycle):
    as_user(client, coordinator)
    assert client.get(f"{BASE}/pool/?cycle=1999").status_code == 404
    assert client.get(f"{BASE}/pool/?cycle=abc").status_code == 404


# Every page: constant queries, no inline script or style -----------------------------------------------------------


def _grow(cycle, coordinator, be_official, times: int) -> None:
    """More pledges, activations, fulfilments, deductions and offsets: each list gains ``times`` rows."""
    codes = ["FR", "DE", "ES", "AT", "PL", "PT", "SE", "FI", "IE", "LU"]
    for index in range(times):
        contributor = codes[index % len(codes)]
        pledge = PledgeFactory(
            cycle=cycle,
            member_state=state(contributor),
            kind="alternative",
            amount_eur=Decimal("100000.00"),
            description=f"Equipment {index}",
            status="recorded",
        )
        activation = activation_propose(
            pledge=pledge, benefitting_state=state("IT"), amount="50000", actor=coordinator, reason=REASON
        )
        official = UserFactory(member_state=state(contributor), roles=["official"])
        activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
        fulfilment_record(
            activation=activation,
            date=timezone.localdate(),
            amount="10000",
            evidence_reference=f"Payment {index}",
            actor=official,
            reason=REASON,
        )
        Designation.objects.get_or_create(cycle=cycle, member_state=state(contributor), kind="significant_situation")
        deduction = deduction_request(
            cycle=cycle,
            article="62",
            scope="partial",
            requested_percent="10",
            grounds="Situation",
            actor=official,
            reason=REASON,
        )
        deduction_decide(deduction=deduction, transition="refuse", actor=coordinator, reason=REASON)
        offset_request(
            cycle=cycle,
            benefitting_state=state("IT"),
            contributing_state=state(contributor),
            applications_requested=5 + index,
            actor=coordinator,
            reason=REASON,
        )


LIST_PAGES = [
    "/pool/?cycle=2026",
    "/pool/?cycle=2026&table=states&format=csv",
    "/activations/",
    "/activations/?status=accepted&benefitting_state=IT&cycle=2026",
    "/activations/?format=csv",
    "/activations/propose/",
    "/deductions/",
    "/deductions/?format=xlsx",
    "/offsets/",
    "/offsets/?overdue=on&format=csv",
]


@pytest.mark.parametrize("viewer", ["coordinator", "it_official"])
def test_the_dashboard_and_every_list_run_a_constant_number_of_queries(
    request, client, viewer, coordinator, be_official, pool_data, django_assert_max_num_queries
):
    user = request.getfixturevalue(viewer)
    as_user(client, user)
    pages = [url for url in LIST_PAGES if viewer == "coordinator" or "/propose/" not in url]
    # Relocation pledges at half the proposal: offsets are open (Art. 63(1)).
    PledgeFactory(cycle=pool_data, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    _grow(pool_data, coordinator, be_official, 2)
    small = {}
    for url in pages:
        with django_assert_max_num_queries(16) as captured:
            assert client.get(BASE + url).status_code == 200, url
        small[url] = len(captured)
    _grow(pool_data, coordinator, be_official, 8)
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            response = client.get(BASE + url)
        assert response.status_code == 200, url
    # The bigger data really is on the pages.
    assert page(client.get(f"{BASE}/activations/")).count("/pledges/implementation/activations/") >= 11


def test_detail_pages_run_a_constant_number_of_queries(
    client, coordinator, be_official, pool_data, django_assert_max_num_queries
):
    activation = Activation.objects.get()
    as_user(client, be_official)
    urls = [f"{BASE}/activations/{activation.pk}/", f"{BASE}/activations/{activation.pk}/?tab=history"]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(16) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for index in range(5):
        fulfilment_record(
            activation=activation,
            date=timezone.localdate(),
            amount=1,
            evidence_reference=f"Transfer {index}",
            actor=be_official,
            reason=REASON,
        )
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_every_page_carries_no_inline_script_or_style(client, coordinator, be_official, pool_data, today):
    Designation.objects.create(cycle=pool_data, member_state=state("BE"), kind="under_pressure", ground="arrivals")
    deduction = deduction_request(
        cycle=pool_data, article="61", scope="full", grounds="Arrivals", actor=be_official, reason=REASON
    )
    PledgeFactory(cycle=pool_data, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    offset = offset_request(
        cycle=pool_data,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=3,
        actor=coordinator,
        reason=REASON,
    )
    activation = Activation.objects.get()
    pledge = activation.pledge
    urls = [
        "/pool/",
        "/activations/",
        "/activations/propose/",
        f"/activations/propose/{pledge.pk}/",
        f"/activations/{activation.pk}/",
        f"/activations/{activation.pk}/?tab=history",
        "/deductions/",
        f"/deductions/{deduction.pk}/",
        f"/deductions/{deduction.pk}/?tab=history",
        "/offsets/",
        "/offsets/request/",
        f"/offsets/{offset.pk}/",
        f"/offsets/{offset.pk}/?tab=history",
    ]
    as_user(client, coordinator)
    for url in urls:
        response = client.get(BASE + url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response.headers
        html = page(response)
        assert not INLINE_SCRIPT.search(html), url
        assert "style=" not in html.lower() and "<style" not in html.lower(), url
        assert '<main id="main"' in html and "<h1>" in html, url
    as_user(client, be_official)
    for url in ("/deductions/request/", f"/activations/{activation.pk}/"):
        html = page(client.get(BASE + url))
        assert not INLINE_SCRIPT.search(html) and "style=" not in html.lower(), url


def test_the_navigation_links_to_the_pool_and_the_activations(client, be_official, cycle):
    html = page(as_user(client, be_official).get(f"{BASE}/pool/"))
    assert f'href="{BASE}/pool/" aria-current="page">Pool<' in html
    assert f'href="{BASE}/activations/">Activations<' in html


def test_pages_need_a_login(client, cycle):
    for url in ("/pool/", "/activations/", "/deductions/", "/offsets/"):
        response = client.get(BASE + url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
