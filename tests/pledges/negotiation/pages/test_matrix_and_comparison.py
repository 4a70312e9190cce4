"""The matrix page and its exports, the way in, and the comparison of the stances with the pledges."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from pledges.pledging.models import PledgeKind
from solidarity.domain.models import MemberState
from tests.factories import PledgeFactory, state
from tests.pledges.negotiation.pages.helpers import (
    BASE,
    cells_of,
    csv_rows,
    html,
    matrix_url,
    record,
    row_of,
)

pytestmark = pytest.mark.django_db


def test_matrix_shows_the_latest_stance_its_value_and_how_it_moved(
    client, pool_size, dublin, meetings, be_negotiator, nl_official, coordinator
):
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose")
    latest = record(be_negotiator, pool_size, meetings[1], "BE", "support", proposed_value=Decimal("30000"))
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    # DE's positions, as the coordinator records them from the Forum's minutes.
    record(coordinator, pool_size, meetings[0], "DE", "support")
    record(coordinator, pool_size, meetings[1], "DE", "reserve")
    client.force_login(nl_official)
    response = client.get(matrix_url(pool_size.cycle))
    assert response.status_code == 200
    page = html(response)
    assert "<caption" in page and "How to read the stances" in page
    be_pool, be_dublin = cells_of(row_of(page, "BE"))
    # Colour (a class per stance) and the word, the value in the topic's unit, the arrow with words.
    assert 'class="stance-cell stance--support"' in be_pool and ">Support</a>" in be_pool
    assert f'href="{BASE}/positions/{latest.pk}/"' in be_pool
    assert "30,000 relocations in the pool" in be_pool
    assert re.search(r'<span aria-hidden="true">▲</span> up 3 from oppose', be_pool)
    assert "stance--strong-support" in be_dublin and "first position recorded" in be_dublin
    de_pool, de_dublin = cells_of(row_of(page, "DE"))
    assert "stance--reserve" in de_pool and "down 2 from support" in de_pool
    assert "No position recorded" in de_dublin
    # Every EU Member State has a row, in protocol order; Dublin-associated states only once they speak.
    codes = re.findall(r'<th scope="row"><a href="[^"]*/states/([A-Z]{2})/">', page)
    assert codes == list(MemberState.objects.filter(eu_member=True).values_list("code", flat=True))


def test_matrix_exports_the_latest_positions_as_csv_and_xlsx(client, pool_size, meetings, be_negotiator, coordinator):
    record(coordinator, pool_size, meetings[0], "FR", "neutral")
    record(coordinator, pool_size, meetings[1], "FR", "strong_support", proposed_value=Decimal("30000.50"))
    client.force_login(coordinator)
    response = client.get(matrix_url(pool_size.cycle, format="csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = csv_rows(response)
    assert (row["Code"], row["Topic"], row["Stance"], row["Proposed value"]) == (
        "FR",
        "Size of the pool",
        "Strong support",
        "30000.50",
    )
    assert (row["Previous stance"], row["Movement (steps)"], row["Change"]) == ("Neutral", "2", "up 2 from neutral")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(matrix_url(pool_size.cycle, format="xlsx")).content)).active
    header, values = list(sheet.iter_rows(values_only=True))
    assert dict(zip(header, values, strict=True))["Proposed value"] == 30000.5
    assert client.get(matrix_url(pool_size.cycle, format="pdf")).status_code == 400


def test_negotiation_link_opens_the_current_cycles_matrix(client, cycle, be_official):
    client.force_login(be_official)
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and response.url == matrix_url(cycle)
    page = html(client.get(matrix_url(cycle)))
    assert f'href="{BASE}/" aria-current="page">Negotiation' in page
    assert client.get(f"{BASE}/1999/matrix/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/2026/matrix/", "/2026/matrix/?format=csv", "/2026/meetings/", "/2026/comparison/"]
)
def test_every_negotiation_page_requires_login(client, cycle, path):
    response = client.get(BASE + path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# Comparison with the pledges ---------------------------------------------------------------------------------


def test_comparison_sets_stances_beside_the_pledges_each_reader_may_see(
    client, cycle_with_figures, pool_size, dublin, meetings, be_negotiator, nl_official, coordinator
):
    cycle = cycle_with_figures
    record(be_negotiator, pool_size, meetings[1], "BE", "reserve", proposed_value=Decimal("21000"))
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    PledgeFactory(cycle=cycle, member_state=state("BE"), amount_eur=Decimal("10000000.00"), status="submitted")
    PledgeFactory(cycle=cycle, member_state=state("DE"), kind=PledgeKind.RELOCATION, quantity=2200, status="submitted")
    url = f"{BASE}/{cycle.year}/comparison/"
    client.force_login(coordinator)
    page = html(client.get(url))
    # By default only the topics counted in relocations or euros.
    assert "Size of the pool</a>" in page and "Dublin compliance as a condition</a>" not in page
    be = row_of(page, "BE")
    assert "stance--reserve" in be and "21,000 relocations in the pool" in be
    assert "10,000,000.00" in be and ">500.00<" in be  # EUR 10 million / 20 000 per relocation
    assert ">2,200<" in row_of(page, "DE")
    assert "Dublin compliance as a condition</a>" in html(client.get(url + "?topics=all"))
    # Before the Council act another delegation sees the stances, not BE's pledges (AMMR Art. 57).
    client.force_login(nl_official)
    be = row_of(html(client.get(url)), "BE")
    assert "stance--reserve" in be and "Not public yet" in be and "10,000,000.00" not in be


def test_comparison_explains_a_key_that_cannot_be_computed(client, pool_size, be_official):
    client.force_login(be_official)
    page = html(client.get(f"{BASE}/2026/comparison/"))
    assert "The fair shares cannot be computed" in page
