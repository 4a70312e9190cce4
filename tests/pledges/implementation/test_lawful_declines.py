"""AMMR Art. 60(3): contributing states "shall implement" their pledges; they are "not obliged to implement"
towards a beneficiary whose systemic shortcomings were identified. Any other refusal is explained, shown as not
implemented and leaves the pledge due; either way the declined part goes back to the coordinator (Art. 60(2)).

Hand-computed case: Belgium's recorded pledge of 300 relocations; the coordinator activates 100 towards Italy.
After any decline Belgium still owes 300 and all 300 are left to activate, towards another beneficiary."""

from decimal import Decimal

import pytest

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.implementation.models import Activation
from pledges.implementation.selectors import left_to_activate
from pledges.implementation.services import activation_transition
from solidarity.platform.errors import TransitionNotAllowed, ValidationFailed
from tests.conftest import api_as
from tests.factories import COMMISSION_REPORT, state
from tests.pledges.implementation.page_support import BASE, REASON, as_user, field_error, page

pytestmark = pytest.mark.django_db


def decline_over_api(client, activation, **extra):
    return client.post(
        f"/api/v1/activations/{activation.pk}/transition/",
        {"transition": "decline", "reason": REASON, **extra},
        format="json",
    )


def propose_over_api(client, pledge, amount, benefitting):
    return client.post(
        "/api/v1/activations/",
        {"pledge": pledge.pk, "benefitting_state": benefitting, "amount": amount, "reason": REASON},
        format="json",
    )


def confirmed_finding_on_italy(cycle, officer, **report):
    finding = Finding.objects.create(
        member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays", **report
    )
    finding_transition(finding=finding, transition="assess", actor=officer, reason=REASON)
    return finding_transition(finding=finding, transition="confirm", actor=officer, reason=REASON)


@pytest.mark.parametrize("explanation", [None, "", "   "])
def test_a_refusal_on_another_ground_without_an_explanation_is_refused(
    be_official, activation, be_relocation, explanation
):
    extra = {"decline_ground": "other"} | ({} if explanation is None else {"explanation": explanation})
    response = decline_over_api(api_as(be_official), activation, **extra)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0] | {"detail": ""} == {
        "code": "decline_explanation_required",
        "attr": "explanation",
        "detail": "",
    }
    activation.refresh_from_db()
    be_relocation.refresh_from_db()
    assert (activation.status, activation.decline_ground, be_relocation.activated) == ("proposed", "", Decimal(100))


def test_an_explained_refusal_keeps_the_pledge_due_and_frees_the_part_for_another_beneficiary(
    be_official, coordinator, activation, be_relocation
):
    response = decline_over_api(api_as(be_official), activation, decline_ground="other", explanation="No flights")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["not_implemented"]) == ("declined", True)
    be_relocation.refresh_from_db()
    # The obligation is not reduced: 300 pledged; the 100 go back to the coordinator: 300 left to activate.
    assert (be_relocation.measure, be_relocation.activated, left_to_activate(be_relocation)) == (300, 0, 300)
    coordinator_api = api_as(coordinator)
    listed = coordinator_api.get("/api/v1/activations/").json()["results"]
    assert [(a["id"], a["status"], a["not_implemented"]) for a in listed] == [(activation.pk, "declined", True)]
    assert Activation.objects.not_implemented().get() == activation
    assert propose_over_api(coordinator_api, be_relocation, 301, "EL").status_code == 409
    again = propose_over_api(coordinator_api, be_relocation, 300, "EL")
    assert again.status_code == 201, again.json()
    assert again.json()["not_implemented"] is False


def test_the_coordinator_sees_the_refusal_as_not_implemented_on_the_pages(client, be_official, coordinator, activation):
    activation_transition(
        activation=activation,
        transition="decline",
        actor=be_official,
        reason=REASON,
        decline_ground="other",
        explanation="No flights",
    )
    as_user(client, coordinator)
    detail = page(client.get(f"{BASE}/activations/{activation.pk}/"))
    assert 'id="not-implemented"' in detail and "the pledge stays due" in detail and "No flights" in detail
    listing = page(client.get(f"{BASE}/activations/"))
    assert "not implemented" in listing


def test_the_answer_form_refuses_an_unexplained_refusal_on_the_field(client, be_official, activation):
    as_user(client, be_official)
    response = client.post(
        f"{BASE}/activations/{activation.pk}/answer/",
        {"version": activation.version, "reason": REASON, "transition": "decline", "decline_ground": "other"},
    )
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "answer-explanation")
    assert "Explain the refusal" in html
    activation.refresh_from_db()
    assert activation.status == "proposed"


def test_confirming_a_finding_needs_the_commission_reports_reference_and_date(compliance_officer, cycle):
    finding = Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Transfers", description="-")
    finding_transition(finding=finding, transition="assess", actor=compliance_officer, reason=REASON)
    with pytest.raises(TransitionNotAllowed) as refused:
        finding_transition(finding=finding, transition="confirm", actor=compliance_officer, reason=REASON)
    assert (refused.value.status, refused.value.code) == (409, "commission_report_missing")
    assert refused.value.extra == {"missing": ["commission_report_reference", "commission_report_date"]}
    Finding.objects.filter(pk=finding.pk).update(commission_report_reference="COM(2025) 795")
    with pytest.raises(TransitionNotAllowed) as still:
        finding_transition(finding=finding, transition="confirm", actor=compliance_officer, reason=REASON)
    assert still.value.extra == {"missing": ["commission_report_date"]}
    finding.refresh_from_db()
    assert (finding.status, finding.confirmed_on) == ("under_assessment", None)


def test_an_art_60_3_decline_rests_on_the_confirmed_finding_and_frees_the_part(
    be_official, coordinator, compliance_officer, activation, be_relocation, cycle
):
    finding = confirmed_finding_on_italy(cycle, compliance_officer, **COMMISSION_REPORT)
    response = decline_over_api(api_as(be_official), activation, decline_ground="systemic_shortcomings")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["finding"], body["not_implemented"]) == (finding.pk, False)
    be_relocation.refresh_from_db()
    assert (be_relocation.measure, left_to_activate(be_relocation)) == (300, 300)
    assert propose_over_api(api_as(coordinator), be_relocation, 300, "EL").status_code == 201


def test_the_refusal_rule_holds_for_every_caller(be_official, activation):
    with pytest.raises(ValidationFailed) as refused:
        activation_transition(
            activation=activation, transition="decline", actor=be_official, reason=REASON, decline_ground="other"
        )
    assert (refused.value.code, refused.value.field) == ("decline_explanation_required", "explanation")
