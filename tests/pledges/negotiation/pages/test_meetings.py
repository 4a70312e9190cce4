"""A forum meeting's page and the quick entry of a round of positions."""

import re
from decimal import Decimal

import pytest

from pledges.negotiation.models import Position
from solidarity.domain.models import MemberState
from tests.factories import CycleFactory
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    REASON,
    html,
)

pytestmark = pytest.mark.django_db


def entry_post(client, meeting, rows: dict, *, reason=REASON, topic=None):
    """Post the quick-entry form as a browser would: every fixed row, filled where ``rows`` says."""
    page = html(client.get(f"{BASE}/{meeting.cycle.year}/meetings/{meeting.pk}/"))
    data = {"reason": reason}
    for name, value in re.findall(r'<input type="hidden" name="(rows-[^"]+)" value="([^"]*)"', page):
        data[name] = value
    total = int(data["rows-TOTAL_FORMS"])
    for index in range(total):
        code = data[f"rows-{index}-member_state"]
        values = {"topic": str(topic.pk), "stance": "", "visibility": "shared", **rows.get(code, {})}
        for field, value in values.items():
            data[f"rows-{index}-{field}"] = value
    return client.post(f"{BASE}/{meeting.cycle.year}/meetings/{meeting.pk}/", data)


def test_a_batch_with_one_bad_row_saves_nothing_and_shows_the_error_on_that_row(
    client, pool_size, meetings, be_negotiator
):
    client.force_login(be_negotiator)
    rows = {
        "BE": {"stance": "support", "statement": "Financial contributions only"},
        "NL": {"stance": "enthusiastic"},
        "DE": {"stance": "neutral", "proposed_value": "30000"},
    }
    response = entry_post(client, meetings[0], rows, topic=pool_size)
    assert response.status_code == 200
    assert not Position.objects.exists()
    page = html(response)
    summary = page[page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))]
    assert "Nothing was saved" in summary and "Netherlands" in summary and "Belgium" not in summary
    nl_index = list(MemberState.objects.values_list("code", flat=True)).index("NL")
    nl_row = re.search(rf'<tr id="row-{nl_index}".*?</tr>', page, re.DOTALL).group(0)
    assert "entry-row--invalid" in nl_row and "Select a valid choice" in nl_row
    assert f'aria-describedby="id_rows-{nl_index}-stance_error"' in nl_row
    assert f'href="#id_rows-{nl_index}-stance"' in summary
    # What the user typed in the other rows is kept.
    assert "Financial contributions only" in page


def test_an_error_the_service_finds_lands_on_its_row_and_nothing_is_saved(client, pool_size, meetings, coordinator):
    # The coordinator records from the minutes for no delegation: a restricted position has no one to be
    # restricted to.
    client.force_login(coordinator)
    rows = {"BE": {"stance": "support"}, "FR": {"stance": "oppose", "visibility": "restricted"}}
    response = entry_post(client, meetings[0], rows, topic=pool_size)
    assert response.status_code == 200 and not Position.objects.exists()
    page = html(response)
    fr_index = list(MemberState.objects.values_list("code", flat=True)).index("FR")
    fr_row = re.search(rf'<tr id="row-{fr_index}".*?</tr>', page, re.DOTALL).group(0)
    assert "your account has none" in fr_row
    assert "Row " in page and "France" in page[: page.index("Positions stated at this meeting")]


def test_a_good_batch_records_every_position_at_the_meeting(client, pool_size, dublin, meetings, be_negotiator):
    client.force_login(be_negotiator)
    rows = {
        "BE": {"stance": "support", "source": "Minutes"},
        "NL": {"stance": "strong_support", "topic": str(dublin.pk), "visibility": "restricted"},
        "DE": {"stance": "neutral", "proposed_value": "30000", "conditions": "Balanced"},
    }
    response = entry_post(client, meetings[1], rows, topic=pool_size)
    assert response.status_code == 302
    saved = {p.member_state_id: p for p in Position.objects.all()}
    assert set(saved) == {"BE", "NL", "DE"}
    assert all(p.meeting == meetings[1] and p.date == meetings[1].date for p in saved.values())
    assert (saved["NL"].topic, saved["NL"].visibility, saved["NL"].recorded_by_state_id) == (
        dublin,
        "restricted",
        "BE",
    )
    assert (saved["DE"].proposed_value, saved["DE"].conditions) == (Decimal("30000.00"), "Balanced")
    # What BE notes of other delegations stays BE's own (AMMR Arts 13-14); its own position is shared.
    assert (saved["BE"].visibility, saved["DE"].visibility) == ("shared", "restricted")
    assert saved["BE"].history.first().history_change_reason == REASON
    page = html(client.get(response.url))
    assert "Recorded 3 positions" in page and "Restricted" in page


def test_an_empty_batch_or_a_stance_less_row_with_a_statement_is_refused(client, pool_size, meetings, be_negotiator):
    client.force_login(be_negotiator)
    assert "choose a stance for at least one delegation" in html(entry_post(client, meetings[0], {}, topic=pool_size))
    response = entry_post(client, meetings[0], {"BE": {"statement": "Said something"}}, topic=pool_size)
    assert "or clear the row" in html(response)
    assert "Give the reason" not in html(response)
    assert not Position.objects.exists()


def test_only_negotiators_and_the_coordinator_see_and_send_the_entry_form(
    client, pool_size, meetings, be_official, auditor, coordinator
):
    url = f"{BASE}/2026/meetings/{meetings[0].pk}/"
    client.force_login(coordinator)
    assert "Record a round of positions" in html(client.get(url))
    for reader in (be_official, auditor):
        client.force_login(reader)
        page = html(client.get(url))
        assert "Positions stated at this meeting" in page and "Record a round of positions" not in page
        response = client.post(url, {"reason": "x", "rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0"})
        assert response.status_code == 403
    assert not Position.objects.exists()
    CycleFactory(year=2027)
    assert client.get(f"{BASE}/2027/meetings/{meetings[0].pk}/").status_code == 404
