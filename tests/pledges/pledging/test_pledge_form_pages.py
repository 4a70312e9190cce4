"""The pledge form with its preview, and the edit form with its stale-version refusal."""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.template.defaultfilters import floatformat

from pledges.pledging import services
from pledges.pledging.models import Pledge, PledgeStatus
from solidarity.domain.selectors import fair_share_table
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.pledging.page_helpers import (
    LIST,
    NEW,
    REASON,
    create_data,
    detail_url,
    edit_url,
    financial,
    history_count,
    html,
    input_tag,
    transition_url,
)

pytestmark = pytest.mark.django_db


# Create ---------------------------------------------------------------------------------------------------


def test_pledge_form_offers_labelled_fields_kind_help_and_the_three_buttons(be_client, pledging):
    response = be_client.get(NEW)
    assert response.status_code == 200
    page = html(response)
    for name in ("cycle", "quantity", "amount_eur", "description", "earmark", "reason"):
        assert f'<label for="id_{name}"' in page
    assert "<legend>Kind of solidarity measure (AMMR Art. 56(2))" in page.replace("\n", "")
    assert 'aria-describedby="id_quantity_helptext"' in input_tag(page, "quantity")
    assert "For a relocation pledge only" in page and "Leave it empty for a relocation pledge" in page
    for action in ("preview", "draft", "submit"):
        assert f'name="action" value="{action}"' in page
    assert f'<option value="{pledging.year}" selected>' in page
    # A state does not earmark a pledge to itself.
    earmarks = page.split('name="earmark"')[1].split("</select>")[0]
    assert '<option value="IT">Italy (IT)</option>' in earmarks and 'value="BE"' not in earmarks


def test_official_saves_a_draft_pledge_of_its_state(be_client, be_official, pledging):
    response = be_client.post(NEW, create_data(pledging, amount_eur="12967500.00", earmark="IT"))
    pledge = Pledge.objects.get()
    assert response.status_code == 302 and response.url == detail_url(pledge)
    assert (pledge.member_state_id, pledge.kind, pledge.status) == ("BE", "financial", PledgeStatus.DRAFT)
    assert (pledge.amount_eur, pledge.earmark_id, pledge.recorded_by) == (Decimal("12967500.00"), "IT", be_official)
    assert pledge.history.get().history_change_reason == REASON
    page = html(be_client.get(response.url))
    assert "saved as a draft" in page and "648.38" in page


def test_official_saves_and_submits_a_relocation_pledge(be_client, pledging):
    response = be_client.post(NEW, create_data(pledging, kind="relocation", quantity="150", action="submit"))
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert (pledge.kind, pledge.quantity, pledge.amount_eur, pledge.status) == ("relocation", 150, None, "submitted")
    assert [row.history_transition for row in pledge.history.order_by("history_id")] == ["", "submit"]


def test_preview_shows_the_equivalent_and_coverage_before_and_after_and_saves_nothing(be_client, be_official, pledging):
    existing = services.pledge_create(cycle=pledging, kind="relocation", quantity=100, actor=be_official, reason=REASON)
    services.pledge_transition(pledge=existing, transition="submit", actor=be_official, reason=REASON)
    pledges_before, history_before = Pledge.objects.count(), history_count()
    row = next(r for r in fair_share_table(pledging, viewer=be_official) if r.member_state.code == "BE")
    # EUR 12 967 500 / EUR 20 000 per relocation = 648.375 -> 648.38
    equivalent = (Decimal("12967500.00") / pledging.eur_per_relocation).quantize(Decimal("0.01"), ROUND_HALF_UP)
    after = ((row.pledged_relocation_equivalent + equivalent) * 100 / row.fair_share.obligation_relocations).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )

    response = be_client.post(NEW, create_data(pledging, amount_eur="12967500.00", reason="", action="preview"))

    assert response.status_code == 200
    page = html(response)
    assert "Preview: nothing is saved yet" in page
    assert f"<dd>{floatformat(equivalent, '2g')}</dd>" in page
    assert floatformat(row.fair_share.obligation_relocations, "0g") in page
    assert f"{floatformat(row.coverage_percent, '2g')} %" in page
    assert f"{floatformat(after, '2g')} %" in page
    assert row.coverage_percent < after
    assert (Pledge.objects.count(), history_count()) == (pledges_before, history_before)
    # The values stay in the form, ready to save.
    assert 'value="12967500.00"' in input_tag(page, "amount_eur")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"kind": "financial", "amount_eur": "-5"}, "amount_eur", "The amount must be above zero."),
        ({"kind": "financial", "amount_eur": "lots"}, "amount_eur", "is not a number"),
        ({"kind": "financial", "amount_eur": "10.555"}, "amount_eur", "at most two decimal places"),
        ({"kind": "relocation", "quantity": "-3"}, "quantity", "must be above zero"),
        ({"kind": "relocation", "quantity": "2.5"}, "quantity", "whole numbers"),
        ({"kind": "relocation", "quantity": "many"}, "quantity", "is not a number"),
        ({"kind": "relocation", "quantity": "10", "amount_eur": "500"}, "amount_eur", "counted in persons"),
        ({"kind": "financial", "quantity": "10", "amount_eur": "500"}, "quantity", "leave the number of persons empty"),
        ({"kind": "alternative", "amount_eur": "500"}, "description", "Describe the alternative solidarity measure"),
        ({"kind": "financial"}, "amount_eur", "Give the amount in euros."),
        ({"kind": "financial", "amount_eur": "500", "reason": " "}, "reason", "This field is required."),
        ({"kind": "lots", "amount_eur": "500"}, "kind", "Choose relocation, financial contribution or alternative"),
        ({"kind": "financial", "amount_eur": "500", "cycle": "1999"}, "cycle", "pledging exercise is open"),
    ],
)
@pytest.mark.parametrize("action", ["draft", "submit", "preview"])
def test_bad_input_shows_a_field_error_in_words_and_writes_nothing(be_client, pledging, values, field, words, action):
    response = be_client.post(NEW, {**create_data(pledging, action=action), **values})
    if action == "preview" and field == "reason":
        # A preview saves nothing, so it asks for no reason.
        assert response.status_code == 200 and "Preview: nothing is saved yet" in html(response)
        assert not Pledge.objects.exists()
        return
    assert response.status_code == 400
    page = html(response)
    anchor = f"id_{field}_0" if field == "kind" else f"id_{field}"
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert f'href="#{anchor}"' in summary and words in summary
    assert re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>[^<]*{re.escape(words)}', page)
    if field != "kind":
        tag = input_tag(page, field)
        assert 'aria-invalid="true"' in tag and f"id_{field}_error" in tag
    assert not Pledge.objects.exists() and history_count() == 0


def test_a_second_live_pledge_of_the_same_kind_is_refused_on_the_kind_field(be_client, be_official, pledging):
    financial(pledging, be_official)
    response = be_client.post(NEW, create_data(pledging, amount_eur="5.00"))
    assert response.status_code == 409
    assert "already has a live financial contribution pledge" in html(response)
    assert 'href="#id_kind_0"' in html(response)
    assert Pledge.objects.count() == 1


def test_an_official_of_be_cannot_record_a_pledge_for_nl(be_client, pledging):
    assert be_client.get(NEW + "?member_state=NL").status_code == 403
    response = be_client.post(NEW, create_data(pledging, member_state="NL", amount_eur="100.00"))
    assert response.status_code == 403
    assert "not for NL" in html(response)
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("role_fixture", ["coordinator", "be_negotiator", "auditor", "compliance_officer", "outsider"])
def test_only_officials_may_open_or_post_the_pledge_form(request, client, pledging, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))
    page = client.get(NEW)
    assert page.status_code == 403
    assert "Only an official of a Member State records pledges." in html(page)
    assert 'name="reason"' not in html(page)
    assert client.post(NEW, create_data(pledging, amount_eur="100.00")).status_code == 403
    assert not Pledge.objects.exists()
    assert "Record a pledge" not in html(client.get(LIST))


def test_pages_require_login(client, pledging):
    pledge = PledgeFactory(cycle=pledging)
    for url in (LIST, NEW, detail_url(pledge), edit_url(pledge)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_pledge_form_outside_any_pledging_exercise_says_why(be_client, adopted):
    response = be_client.get(NEW)
    assert response.status_code == 409
    assert "No cycle is in its pledging exercise (the 2026 cycle is council act adopted)" in html(response)
    assert 'name="reason"' not in html(response)


# Edit -----------------------------------------------------------------------------------------------------


def test_official_edits_a_pledge_with_the_version_it_read(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    page = html(be_client.get(edit_url(pledge)))
    assert 'name="version" value="1"' in page
    assert 'value="1000000.00"' in input_tag(page, "amount_eur")
    assert 'name="quantity"' not in page  # a financial pledge has no persons
    response = be_client.post(
        edit_url(pledge), {"amount_eur": "2000000.00", "description": "", "version": 1, "reason": "Raised"}
    )
    assert response.status_code == 302 and response.url == detail_url(pledge)
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.version) == (Decimal("2000000.00"), 2)
    assert pledge.history.first().history_change_reason == "Raised"


def test_edit_with_a_bad_amount_shows_the_error_and_writes_nothing(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    response = be_client.post(edit_url(pledge), {"amount_eur": "-1", "version": 1, "reason": "Lower"})
    assert response.status_code == 400
    assert 'href="#id_amount_eur"' in html(response) and "The amount must be above zero." in html(response)
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.version, pledge.history.count()) == (Decimal("1000000.00"), 1, 1)


def test_a_stale_edit_is_refused_with_who_changed_it_and_the_stored_values(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    colleague = UserFactory(username="be_colleague", member_state=state("BE"), roles=["official"])
    services.pledge_update(
        pledge=pledge,
        changes={"amount_eur": "3000000.00", "description": "Raised at the forum"},
        expected_version=1,
        actor=colleague,
        reason="Forum",
    )
    mine = {"amount_eur": "2500000.00", "description": "My version", "version": 1, "reason": "Mine"}
    response = be_client.post(edit_url(pledge), mine)
    assert response.status_code == 412
    page = html(response)
    assert "changed by be_colleague" in page and "the stored one is version 2" in page
    stored = page.split('class="stored-values"')[1].split("</dl>")[0]
    assert "3000000.00" in stored and "Raised at the forum" in stored
    # The user's input is kept, on top of the stored version.
    assert 'value="2500000.00"' in input_tag(page, "amount_eur") and "My version" in page
    assert 'name="version" value="2"' in page
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.version) == (Decimal("3000000.00"), 2)

    again = be_client.post(edit_url(pledge), {**mine, "version": 2})
    assert again.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.description, pledge.version) == (Decimal("2500000.00"), "My version", 3)


def test_a_pledge_outside_the_pledging_exercise_cannot_be_edited_and_the_page_says_why(be_client, adopted):
    pledge = PledgeFactory(cycle=adopted, status="recorded")
    response = be_client.get(edit_url(pledge))
    assert response.status_code == 409
    page = html(response)
    assert "The pledging exercise of 2026 is not open" in page and "only a deduction lowers a pledge" in page
    assert 'name="reason"' not in page
    assert be_client.post(edit_url(pledge), {"amount_eur": "1.00", "version": 1, "reason": "x"}).status_code == 409
    detail = html(be_client.get(detail_url(pledge)))
    assert "The pledging exercise of 2026 is not open" in detail and 'name="transition"' not in detail
    withdraw = be_client.post(transition_url(pledge), {"transition": "withdraw", "reason": "x", "version": 1})
    assert withdraw.status_code == 409
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.status) == (Decimal("1000000.00"), "recorded")


def test_an_official_of_another_state_gets_403_on_editing_a_public_pledge(client, nl_official, adopted):
    pledge = PledgeFactory(cycle=adopted, status="recorded")
    client.force_login(nl_official)
    assert client.get(detail_url(pledge)).status_code == 200  # public since the Council act
    response = client.get(edit_url(pledge))
    assert response.status_code == 403
    assert "Only an official of Belgium changes its pledges." in html(response)
    assert 'name="reason"' not in html(response)
