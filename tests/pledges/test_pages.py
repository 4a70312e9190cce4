"""The pledge pages: list with filters and exports, the pledge form with its preview, the pledge with its
workflow buttons and history, and the edit form with its stale-version refusal."""

import csv
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.template.defaultfilters import floatformat

from pledges.pledging import services
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.domain.selectors import fair_share_table
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Agreed by the minister"
LIST, NEW = "/pledges/", "/pledges/new/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def html(response) -> str:
    return response.content.decode()


def detail_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/"


def edit_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/edit/"


def transition_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/transition/"


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


def history_count() -> int:
    return Pledge.history.count()


def pledge_row(response, pledge) -> str:
    match = re.search(rf'<th scope="row"><a href="/pledges/{pledge.pk}/">.*?</tr>', html(response), re.DOTALL)
    assert match, f"no row for pledge {pledge.pk}"
    return match.group(0)


def listed_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<th scope="row"><a href="/pledges/(\d+)/">', html(response))]


@pytest.fixture
def pledging(cycle_with_figures):
    """The 2026-like cycle with the shipped figures, in its pledging exercise."""
    type(cycle_with_figures).objects.filter(pk=cycle_with_figures.pk).update(status="pledging")
    cycle_with_figures.refresh_from_db()
    return cycle_with_figures


@pytest.fixture
def adopted(db):
    return CycleFactory(year=2026, status="adopted")


@pytest.fixture
def be_client(client, be_official):
    client.force_login(be_official)
    return client


def create_data(cycle, **values) -> dict:
    data = {"member_state": "BE", "cycle": cycle.year, "kind": "financial", "reason": REASON, "action": "draft"}
    data.update(values)
    return data


def financial(cycle, official, amount="1000000.00"):
    return services.pledge_create(cycle=cycle, kind="financial", amount_eur=amount, actor=official, reason=REASON)


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


# Detail and transitions -----------------------------------------------------------------------------------


def test_detail_shows_every_field_the_equivalent_the_buttons_and_the_history(be_client, be_official, pledging):
    pledge = services.pledge_create(
        cycle=pledging,
        kind="alternative",
        amount_eur="250000.00",
        description="Two asylum caseworkers for six months",
        earmark=state("IT"),
        actor=be_official,
        reason="Offered at the forum",
    )
    response = be_client.get(detail_url(pledge))
    assert response.status_code == 200
    page = html(response)
    for text in (
        "Alternative solidarity measure",
        "Belgium (BE)",
        "EUR 250,000.00",
        "12.50",  # 250 000 / 20 000 relocation equivalents
        "Italy (IT)",
        "Two asylum caseworkers for six months",
        "Draft",
        "be_official",
        "Offered at the forum",
        f'href="{edit_url(pledge)}"',
    ):
        assert text in page
    assert 'name="transition" value="submit"' in page and 'name="transition" value="withdraw"' in page
    assert 'name="transition" value="reopen"' not in page  # a draft cannot be reopened
    assert '<label for="id_submit_reason">' in page and '<label for="id_withdraw_reason">' in page
    assert "<caption>Every change, newest first" in page
    assert be_client.get(detail_url(pledge) + "?history_page=abc").status_code == 200


def test_history_tab_is_paginated(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    for version in range(1, 51):
        pledge = services.pledge_update(
            pledge=pledge,
            changes={"amount_eur": f"{version}.00"},
            expected_version=version,
            actor=be_official,
            reason=f"Change {version}",
        )
    first = html(be_client.get(detail_url(pledge)))
    assert 'href="?history_page=2#history-heading"' in first
    assert "Change 50" in first and REASON not in first
    second = html(be_client.get(detail_url(pledge) + "?history_page=2"))
    assert REASON in second and "Change 50" not in second and "?history_page=3" not in second


def test_official_submits_reopens_and_withdraws_with_a_reason_each_time(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    for name, status, version in (("submit", "submitted", 2), ("reopen", "draft", 3), ("withdraw", "withdrawn", 4)):
        response = be_client.post(
            transition_url(pledge), {"transition": name, "reason": f"Why {name}", "version": version - 1}
        )
        assert response.status_code == 302 and response.url == detail_url(pledge)
        pledge.refresh_from_db()
        assert (pledge.status, pledge.version) == (status, version)
        assert pledge.history.first().history_change_reason == f"Why {name}"
    page = html(be_client.get(detail_url(pledge)))
    assert "withdraw done; it is now withdrawn" in page
    # A withdrawn pledge offers nothing more, and says why.
    assert 'name="transition"' not in page and "A withdrawn pledge cannot be changed." in page


def test_transition_without_a_reason_is_refused_in_words(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    response = be_client.post(transition_url(pledge), {"transition": "submit", "reason": "", "version": 1})
    assert response.status_code == 400
    page = html(response)
    assert 'href="#id_submit_reason"' in page and "This field is required." in page
    assert 'aria-invalid="true"' in input_tag(page, "reason")
    pledge.refresh_from_db()
    assert pledge.status == "draft" and pledge.history.count() == 1


def test_a_transition_the_workflow_refuses_shows_the_pledge_with_a_409(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    response = be_client.post(transition_url(pledge), {"transition": "reopen", "reason": "x", "version": 1})
    assert response.status_code == 409
    assert "Cannot reopen a pledge that is draft." in html(response)
    assert "Nothing was changed" in html(response)
    pledge.refresh_from_db()
    assert pledge.status == "draft"


def test_a_transition_on_a_stale_page_is_refused_with_412(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    services.pledge_update(
        pledge=pledge, changes={"amount_eur": "7.00"}, expected_version=1, actor=be_official, reason="Fix"
    )
    response = be_client.post(transition_url(pledge), {"transition": "submit", "reason": "Go", "version": 1})
    assert response.status_code == 412
    page = html(response)
    assert "was changed by be_official" in page and "EUR 7.00" in page
    assert 'name="version" value="2"' in page  # trying again applies to what is stored now
    pledge.refresh_from_db()
    assert pledge.status == "draft"


def test_coordinator_reads_a_pledge_but_may_not_move_it(client, coordinator, be_official, pledging):
    pledge = financial(pledging, be_official)
    client.force_login(coordinator)
    page = html(client.get(detail_url(pledge)))
    assert 'name="transition"' not in page and "Only an official of Belgium changes its pledges." in page
    response = client.post(transition_url(pledge), {"transition": "submit", "reason": "x", "version": 1})
    assert response.status_code == 403
    assert client.get(edit_url(pledge)).status_code == 403
    pledge.refresh_from_db()
    assert pledge.status == "draft"


def test_an_official_of_be_gets_404_on_a_draft_of_nl(be_client, nl_official, pledging):
    pledge = services.pledge_create(
        cycle=pledging, kind="financial", amount_eur="5.00", actor=nl_official, reason=REASON
    )
    assert be_client.get(detail_url(pledge)).status_code == 404
    assert be_client.get(edit_url(pledge)).status_code == 404
    response = be_client.post(transition_url(pledge), {"transition": "withdraw", "reason": "x", "version": 1})
    assert response.status_code == 404
    assert pledge.id not in listed_ids(be_client.get(LIST))
    pledge.refresh_from_db()
    assert pledge.status == "draft"


def test_transition_page_takes_only_posts(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    assert be_client.get(transition_url(pledge)).status_code == 405


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


# List and exports -----------------------------------------------------------------------------------------


@pytest.fixture
def listed(be_official, nl_official, pledging):
    """BE's pledges in 2026 and 2027, an illustrative one, and NL's draft that BE must not see."""
    other = CycleFactory(year=2027, status="pledging")
    return {
        "be_fin": PledgeFactory(cycle=pledging, kind=PledgeKind.FINANCIAL, status="submitted"),
        "be_rel": PledgeFactory(cycle=pledging, kind=PledgeKind.RELOCATION, quantity=80),
        "be_alt": PledgeFactory(
            cycle=other, kind=PledgeKind.ALTERNATIVE, description="Staff", illustrative=True, earmark=state("EL")
        ),
        "nl_fin": PledgeFactory(cycle=pledging, member_state=state("NL")),
    }


def test_list_shows_the_pledges_the_user_may_see_with_illustrative_ones_marked(be_client, listed):
    response = be_client.get(LIST)
    assert response.status_code == 200
    ids = listed_ids(response)
    assert sorted(ids) == sorted(p.pk for key, p in listed.items() if key != "nl_fin")
    assert ids[0] == listed["be_alt"].pk  # newest cycle first
    assert "Illustrative" in pledge_row(response, listed["be_alt"])
    assert "Illustrative" not in pledge_row(response, listed["be_fin"])
    assert "80 persons" in pledge_row(response, listed["be_rel"])
    assert "EUR 1,000,000.00" in pledge_row(response, listed["be_fin"])
    assert "Greece (EL)" in pledge_row(response, listed["be_alt"])
    assert "Record a pledge" in html(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cycle=2026", {"be_fin", "be_rel"}),
        ("cycle=2027", {"be_alt"}),
        ("kind=relocation", {"be_rel"}),
        ("status=submitted", {"be_fin"}),
        ("status=draft&cycle=2026", {"be_rel"}),
        ("member_state=be", {"be_fin", "be_rel", "be_alt"}),
        ("member_state=NL", set()),
    ],
)
def test_list_filters_by_cycle_kind_state_and_status(client, coordinator, be_official, listed, query, expected):
    client.force_login(be_official)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert set(listed_ids(response)) == {listed[key].pk for key in expected}
    if not expected:
        assert "No pledge matches these filters" in html(response)


def test_coordinator_filters_every_state(client, coordinator, listed):
    client.force_login(coordinator)
    response = client.get(f"{LIST}?member_state=NL")
    assert listed_ids(response) == [listed["nl_fin"].pk]
    assert '<option value="NL" selected>' in html(response)


def test_an_unknown_filter_value_is_explained(be_client, listed):
    response = be_client.get(f"{LIST}?kind=gift&cycle=1999")
    assert response.status_code == 400
    page = html(response)
    assert 'href="#id_kind"' in page and 'href="#id_cycle"' in page and "Select a valid choice" in page


def test_empty_list_has_an_empty_state(be_client, pledging):
    page = html(be_client.get(LIST))
    assert "No pledge to show yet" in page and "<table" not in page


def test_list_is_paginated_and_keeps_the_filters(client, coordinator, pledging):
    for _ in range(30):
        PledgeFactory(cycle=pledging, kind=PledgeKind.ALTERNATIVE, description="Staff")
    client.force_login(coordinator)
    first = client.get(f"{LIST}?kind=alternative")
    assert len(listed_ids(first)) == 25 and "page 1 of 2" in html(first)
    assert 'href="?kind=alternative&amp;page=2"' in html(first)
    second = client.get(f"{LIST}?kind=alternative&page=2")
    assert len(listed_ids(second)) == 5
    assert not set(listed_ids(first)) & set(listed_ids(second))


def test_list_exports_the_filtered_pledges_as_csv_and_xlsx(be_client, listed):
    response = be_client.get(f"{LIST}?cycle=2026&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {int(row["Id"]) for row in rows} == {listed["be_fin"].pk, listed["be_rel"].pk}
    by_kind = {row["Kind"]: row for row in rows}
    assert by_kind["Financial contribution"]["Amount (EUR)"] == "1000000.00"
    assert by_kind["Financial contribution"]["Relocation equivalent"] == "50.00"
    assert by_kind["Relocation"]["Persons"] == "80" and by_kind["Relocation"]["Amount (EUR)"] == ""

    response = be_client.get(f"{LIST}?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *data = sheet.iter_rows(values_only=True)
    rows = [dict(zip(header, row, strict=True)) for row in data]
    assert {row["Id"] for row in rows} == {listed[key].pk for key in ("be_fin", "be_rel", "be_alt")}
    alternative = next(row for row in rows if row["Id"] == listed["be_alt"].pk)
    assert (alternative["Illustrative"], alternative["Earmarked for"], alternative["Cycle"]) == (True, "EL", 2027)
    assert be_client.get(f"{LIST}?format=pdf").status_code == 400


# Query counts and page hygiene ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_list_runs_a_constant_number_of_queries(client, coordinator, pledging, size, django_assert_max_num_queries):
    for index in range(size):
        PledgeFactory(
            cycle=pledging,
            kind=PledgeKind.ALTERNATIVE,
            description="Staff",
            earmark=state("IT"),
            illustrative=index % 2,
        )
    client.force_login(coordinator)
    # Session, user with its roles, the filter's choices (cycles twice, states), count, page.
    with django_assert_max_num_queries(7):
        response = client.get(f"{LIST}?cycle=2026")
    assert len(listed_ids(response)) == min(size, 25)
    with django_assert_max_num_queries(6):
        assert client.get(f"{LIST}?format=csv").status_code == 200


@pytest.mark.parametrize("changes", [1, 12])
def test_detail_runs_a_constant_number_of_queries(
    be_client, be_official, pledging, changes, django_assert_max_num_queries
):
    pledge = financial(pledging, be_official)
    for version in range(1, changes + 1):
        pledge = services.pledge_update(
            pledge=pledge,
            changes={"amount_eur": f"{version}.00"},
            expected_version=version,
            actor=be_official,
            reason=f"Change {version}",
        )
    with django_assert_max_num_queries(6):
        response = be_client.get(detail_url(pledge))
    assert html(response).count("Change ") == changes


def test_pledge_pages_carry_no_inline_script_or_style(be_client, be_official, pledging):
    pledge = financial(pledging, be_official)
    responses = [
        be_client.get(LIST),
        be_client.get(NEW),
        be_client.post(NEW, create_data(pledging, kind="relocation", quantity="5", action="preview")),
        be_client.post(NEW, create_data(pledging, amount_eur="lots")),
        be_client.get(detail_url(pledge)),
        be_client.get(edit_url(pledge)),
        be_client.post(transition_url(pledge), {"transition": "reopen", "reason": "x", "version": 1}),
    ]
    for response in responses:
        page = html(response)
        assert "Content-Security-Policy" in response.headers
        assert "<main" in page and not INLINE_SCRIPT.search(page)
        assert "style=" not in page.lower() and "<style" not in page.lower()
