"""One position: its detail with its history, and its edit form (stale and invalid edits)."""

import datetime
from decimal import Decimal

import pytest

from pledges.negotiation import services
from tests.factories import UserFactory, state
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    REASON,
    html,
    record,
)

pytestmark = pytest.mark.django_db


def test_position_detail_shows_the_position_its_change_and_its_history(client, pool_size, meetings, be_negotiator):
    record(be_negotiator, pool_size, meetings[0], "SE", "neutral")
    position = record(be_negotiator, pool_size, meetings[1], "SE", "support", source="Swedish statement")
    client.force_login(be_negotiator)
    page = html(client.get(f"{BASE}/positions/{position.pk}/"))
    assert "up 1 from neutral" in page and "Swedish statement" in page
    assert 'id="history-heading"' in page and REASON in page
    assert f'href="{BASE}/positions/{position.pk}/edit/"' in page


def test_negotiator_of_the_recording_delegation_edits_a_position(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, meetings[0], "IT", "oppose")
    client.force_login(be_negotiator)
    form = html(client.get(f"{BASE}/positions/{position.pk}/edit/"))
    assert 'name="version" value="1"' in form and '<option value="oppose" selected>' in form
    data = edit_data(position, stance="reserve", proposed_value="15000", reason="Read-out corrected", version=1)
    response = client.post(f"{BASE}/positions/{position.pk}/edit/", data)
    assert response.status_code == 302 and response.url == f"{BASE}/positions/{position.pk}/"
    position.refresh_from_db()
    assert (position.stance, position.proposed_value, position.version) == ("reserve", Decimal("15000.00"), 2)
    assert position.history.first().history_change_reason == "Read-out corrected"


def edit_data(position, **changes) -> dict:
    data = {
        "topic": str(position.topic_id),
        "member_state": position.member_state_id,
        "meeting": str(position.meeting_id or ""),
        "date": position.date.isoformat(),
        "stance": position.stance,
        "proposed_value": "" if position.proposed_value is None else str(position.proposed_value),
        "conditions": position.conditions,
        "statement": position.statement,
        "source": position.source,
        "visibility": position.visibility,
        "reason": "Edit",
        "version": str(position.version),
    }
    data.update({key: str(value) for key, value in changes.items()})
    return data


def test_a_stale_edit_is_refused_with_the_stored_values(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, meetings[0], "PL", "oppose")
    colleague = UserFactory(username="be_negotiator_2", member_state=state("BE"), roles=["negotiator"])
    services.position_update(
        position=position,
        changes={"stance": "red_line", "statement": "PL refuses any relocation"},
        expected_version=1,
        actor=colleague,
        reason="New read-out",
    )
    client.force_login(be_negotiator)
    url = f"{BASE}/positions/{position.pk}/edit/"
    mine = edit_data(position, stance="neutral", statement="My version", version=1)
    response = client.post(url, mine)
    assert response.status_code == 200
    page = html(response)
    notice = page[page.index('class="notice notice--error"') : page.index("Your values are kept below")]
    assert "Not saved." in notice and "be_negotiator_2" in notice
    assert "<dd>Red line</dd>" in notice and "<dd>PL refuses any relocation</dd>" in notice
    assert "My version" in page[page.index("<form") :]
    position.refresh_from_db()
    assert (position.stance, position.version) == ("red_line", 2)
    # The form now carries the stored version: sending it again applies the user's values knowingly.
    assert 'name="version" value="2"' in page
    assert client.post(url, {**mine, "version": "2"}).status_code == 302
    position.refresh_from_db()
    assert (position.stance, position.statement, position.version) == ("neutral", "My version", 3)


def test_only_negotiators_of_the_recording_delegation_may_edit(
    client, pool_size, meetings, be_negotiator, nl_negotiator, be_official, coordinator
):
    position = record(be_negotiator, pool_size, meetings[0], "BE", "red_line")
    url = f"{BASE}/positions/{position.pk}/edit/"
    for user in (nl_negotiator, be_official, coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, edit_data(position, stance="support")).status_code == 403
        assert f'href="{url}"' not in html(client.get(f"{BASE}/positions/{position.pk}/"))
    position.refresh_from_db()
    assert (position.stance, position.version) == ("red_line", 1)


def test_an_invalid_edit_names_the_field(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, None, "SK", "oppose", date=datetime.date(2025, 11, 1))
    client.force_login(be_negotiator)
    response = client.post(
        f"{BASE}/positions/{position.pk}/edit/", edit_data(position, date="", proposed_value="lots", reason="")
    )
    page = html(response)
    assert response.status_code == 200 and 'class="error-summary"' in page
    assert "Give the date of the position, or choose its meeting." in page and "Enter a number." in page
    assert 'href="#id_reason"' in page
    position.refresh_from_db()
    assert position.version == 1
