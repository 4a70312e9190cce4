"""The pledge list with its filters, pagination and exports; and what every pledge page keeps (no inline script
or style)."""

import csv
import io

import openpyxl
import pytest

from pledges.pledging.models import PledgeKind
from tests.factories import CycleFactory, PledgeFactory, state
from tests.pledges.pledging.page_helpers import (
    INLINE_SCRIPT,
    LIST,
    NEW,
    create_data,
    detail_url,
    edit_url,
    financial,
    html,
    listed_ids,
    pledge_row,
    transition_url,
)

pytestmark = pytest.mark.django_db


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
