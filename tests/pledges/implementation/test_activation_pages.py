"""The pages of activations and their fulfilment (AMMR Art. 60): propose, answer, fulfil, list."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.implementation.models import Activation, Fulfilment
from pledges.implementation.services import (
    activation_propose,
)
from pledges.pledging.models import Pledge
from tests.factories import COMMISSION_REPORT, PledgeFactory, state
from tests.pledges.implementation.page_support import (
    BASE,
    REASON,
    as_user,
    csv_rows,
    field_error,
    history_count,
    page,
    set_cycle,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


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
    cycle = set_cycle(cycle_with_figures, status="pledging")
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
    assert response.status_code == 409  # a missing precondition, as over the API
    html = page(response)
    assert "No confirmed systemic-shortcoming finding exists for IT in this cycle" in html
    # The message sits on the ground's radio group, which points at it.
    assert re.search(r'<fieldset aria-describedby="[^"]*answer-decline_ground_error"', html)
    assert re.search(r'id="answer-decline_ground_error"><li>No confirmed systemic-shortcoming finding', html)
    activation.refresh_from_db()
    assert activation.status == "proposed" and activation.decline_ground == ""


def test_art_60_3_decline_rests_on_the_confirmed_finding(client, be_official, compliance_officer, activation, cycle):
    finding = Finding.objects.create(
        member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays", **COMMISSION_REPORT
    )
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
    assert "The transition decline is not allowed for an activation whose status is accepted." in page(response)
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


def test_the_forms_shown_follow_the_workflow(client, be_official, activation):
    as_user(client, be_official)
    proposed = page(client.get(f"{BASE}/activations/{activation.pk}/"))
    assert "Send the answer" in proposed and "Record the fulfilment" not in proposed
    assert answer(client, activation, transition="accept").status_code == 302
    accepted = page(client.get(f"{BASE}/activations/{activation.pk}/"))
    assert "Send the answer" not in accepted and "Record the fulfilment" in accepted
    activation.refresh_from_db()
    assert fulfil(client, activation, amount="100").status_code == 302
    fulfilled = page(client.get(f"{BASE}/activations/{activation.pk}/"))
    assert "Send the answer" not in fulfilled and "Record the fulfilment" not in fulfilled


def test_a_filter_value_the_list_does_not_offer_is_ignored_with_a_notice(client, coordinator, activation):
    html = page(as_user(client, coordinator).get(f"{BASE}/activations/?cycle=1999&benefitting_state=IT"))
    assert "Some filters were not understood and are ignored" in html
    assert f"/activations/{activation.pk}/" in html  # the state, understood, still filters
    html = page(client.get(f"{BASE}/activations/?cycle=2026&benefitting_state=FR"))
    assert "not understood" not in html and f"/activations/{activation.pk}/" not in html
