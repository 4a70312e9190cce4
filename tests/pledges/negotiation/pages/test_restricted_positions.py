"""A restricted position reaches its recording delegation and EU-level readers only, on every page."""

import re

import pytest

from pledges.negotiation import services
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    REASON,
    SECRET,
    cells_of,
    csv_rows,
    html,
    matrix_url,
    record,
    row_of,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reader", ["nl_negotiator", "nl_official", "outsider"])
def test_restricted_positions_never_reach_another_delegation(request, client, restricted_case, meetings, reader):
    shared, restricted = restricted_case
    client.force_login(request.getfixturevalue(reader))
    year = shared.cycle.year
    matrix = html(client.get(matrix_url(shared.cycle)))
    (hu_pool,) = cells_of(row_of(matrix, "HU"))
    assert "stance--red-line" in hu_pool and "first position recorded" in hu_pool
    assert f"/positions/{restricted.pk}/" not in matrix and "Restricted" not in matrix
    pages = [
        matrix,
        html(client.get(f"{BASE}/{year}/states/HU/")),
        html(client.get(f"{BASE}/{year}/topics/{shared.topic_id}/")),
        html(client.get(f"{BASE}/{year}/meetings/{meetings[1].pk}/")),
        html(client.get(f"{BASE}/{year}/comparison/?topics=all")),
        html(client.get(f"{BASE}/positions/{shared.pk}/")),
    ]
    for page in pages:
        assert SECRET not in page and "BE bilateral read-out" not in page and "25,000" not in page
    meetings_page = html(client.get(f"{BASE}/{year}/meetings/"))
    assert re.search(r"HLF pledging</a></th>.*?<td class=\"num\">0</td>", meetings_page, re.DOTALL)
    assert client.get(f"{BASE}/positions/{restricted.pk}/").status_code == 404
    assert client.get(f"{BASE}/positions/{restricted.pk}/edit/").status_code == 404
    exported = client.get(matrix_url(shared.cycle, format="csv"))
    assert [(r["Code"], r["Stance"], r["Position id"]) for r in csv_rows(exported)] == [
        ("HU", "Red line", str(shared.pk))
    ]
    assert SECRET not in exported.content.decode("utf-8-sig")


@pytest.mark.parametrize("reader", ["be_negotiator", "coordinator", "auditor"])
def test_restricted_positions_reach_the_recording_delegation_and_eu_level_readers(
    request, client, restricted_case, reader
):
    shared, restricted = restricted_case
    client.force_login(request.getfixturevalue(reader))
    # BE's note about HU is read on the pages of HU's positions, never as HU's current cell (AMMR Arts 13-14).
    (hu_pool,) = cells_of(row_of(html(client.get(matrix_url(shared.cycle))), "HU"))
    assert "stance--red-line" in hu_pool and "Restricted" not in hu_pool
    detail = client.get(f"{BASE}/positions/{restricted.pk}/")
    assert detail.status_code == 200 and SECRET in html(detail)
    assert SECRET in html(client.get(f"{BASE}/{shared.cycle.year}/states/HU/"))
    assert [r["Stance"] for r in csv_rows(client.get(matrix_url(shared.cycle, format="csv")))] == ["Red line"]


def test_history_of_a_position_made_shared_keeps_its_restricted_past_within_the_delegation(
    client, pool_size, meetings, be_negotiator, nl_negotiator
):
    position = record(be_negotiator, pool_size, meetings[0], "BE", "reserve", visibility="restricted", statement=SECRET)
    services.position_update(
        position=position,
        changes={"visibility": "shared", "statement": "Belgium keeps a reserve."},
        expected_version=1,
        actor=be_negotiator,
        reason="Said in public",
    )
    client.force_login(nl_negotiator)
    page = html(client.get(f"{BASE}/positions/{position.pk}/"))
    assert "Belgium keeps a reserve." in page and "Said in public" in page
    assert SECRET not in page and REASON not in page
    assert "(restricted to the recording delegation)" in page
    client.force_login(be_negotiator)
    assert SECRET in html(client.get(f"{BASE}/positions/{position.pk}/"))
