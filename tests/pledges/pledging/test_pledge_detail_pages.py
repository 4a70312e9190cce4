"""The pledge page: every field, the workflow buttons the user may take, the history, and the transitions."""

import pytest

from pledges.pledging import services
from tests.factories import state
from tests.pledges.pledging.page_helpers import (
    LIST,
    REASON,
    detail_url,
    edit_url,
    financial,
    html,
    input_tag,
    listed_ids,
    transition_url,
)

pytestmark = pytest.mark.django_db


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
    assert "The transition reopen is not allowed for a pledge whose status is draft." in html(response)
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
