"""The pool dashboard: totals, downloads, charts and pace against the reference numbers."""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from solidarity.domain.selectors import cycle_fair_shares
from tests.factories import PledgeFactory, state
from tests.pledges.implementation.page_support import (
    BASE,
    CENT,
    as_user,
    csv_rows,
    page,
    set_cycle,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


# The pool dashboard ---------------------------------------------------------------------------------------------


def percent(part, whole) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def state_row(html: str, code: str) -> str:
    match = re.search(rf'<th scope="row">[^<(]+\({code}\).*?</tr>', html, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def test_the_dashboard_totals_match_the_hand_computed_figures(client, coordinator, pool_data):
    response = as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026")
    assert response.status_code == 200
    html = page(response)
    # 300 relocations of 21 000; EUR 3 million of EUR 420 million; 300 + 3 000 000 / 20 000 = 450 equivalents.
    assert f"{percent(300, 21000)} %" == "1.43 %" and "1.43 %" in html
    assert "EUR 3,000,000.00" in html and f"{percent(3000000, 420000000)} %" in html
    assert "450.00" in html and f"{percent(450, 21000)} %" in html
    fair = cycle_fair_shares(pool_data)
    be = state_row(html, "BE")
    # Belgium: 300 + 100 = 400 relocation equivalents, 60 fulfilled: 15 % of its pledge, behind the 50 % elapsed.
    assert ">400.00<" in be and f">{percent(400, fair['BE'].obligation_relocations)}<" in be
    assert ">100.00<" in be and ">60.00<" in be and ">15.00<" in be and "Behind" in be
    assert "50.00 %" in html and "of the implementation year has elapsed" in html
    nl = state_row(html, "NL")
    assert "illustrative" in nl and ">50.00<" in nl and "No pledge" not in nl
    assert "1 of the pledges counted on this page is illustrative" in html
    assert "No pledge" in state_row(html, "FR")


def test_the_dashboard_exports_every_table(client, coordinator, pool_data):
    as_user(client, coordinator)
    url = f"{BASE}/pool/?cycle=2026"
    progress = {r["Measure"]: r for r in csv_rows(client.get(url + "&table=progress&format=csv"))}
    assert progress["Relocations pledged"]["Pledged (% of reference)"] == "1.43"
    assert progress["All pledges in relocation equivalents"]["Pledged"] == "450.00"
    kinds = {r["Kind"]: r for r in xlsx_rows(client.get(url + "&table=kinds&format=xlsx"))}
    assert (
        kinds["Relocation"]["Fulfilled"] == 60 and kinds["Alternative solidarity measure"]["Of which illustrative"] == 1
    )
    states = {r["Code"]: r for r in csv_rows(client.get(url + "&table=states&format=csv"))}
    assert states["BE"]["Relocation equivalent"] == "400.00" and states["BE"]["Pace"] == "Behind"
    assert (
        states["BE"]["Fulfilled (% of pledge)"] == "15.00"
        and states["BE"]["Implementation year elapsed (%)"] == "50.00"
    )
    sheet = {r["Code"]: r for r in xlsx_rows(client.get(url + "&table=states&format=xlsx"))}
    assert sheet["NL"]["Pledged alternative (EUR)"] == 1000000 and sheet["NL"]["Illustrative pledges"] == 1
    assert client.get(url + "&table=nope&format=csv").status_code == 400
    assert client.get(url + "&format=ods").status_code == 400


def test_before_the_council_act_an_official_counts_only_its_own_states_pledges(
    client, be_official, coordinator, cycle_with_figures
):
    cycle = set_cycle(cycle_with_figures, status="pledging")
    PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=200, status="submitted")
    PledgeFactory(cycle=cycle, member_state=state("NL"), kind="relocation", quantity=700, status="submitted")
    html = page(as_user(client, be_official).get(f"{BASE}/pool/?cycle=2026"))
    assert "Only your state's pledges are counted" in html
    assert "200 persons" in html and "900 persons" not in html
    assert "Not public yet" in state_row(html, "NL") and ">700<" not in state_row(html, "NL")
    assert ">200<" in state_row(html, "BE")
    rows = {r["Code"]: r for r in csv_rows(client.get(f"{BASE}/pool/?cycle=2026&table=states&format=csv"))}
    assert rows["NL"]["Pledged relocations (persons)"] == "" and rows["BE"]["Pledged relocations (persons)"] == "200"
    kinds = {r["Kind"]: r for r in csv_rows(client.get(f"{BASE}/pool/?cycle=2026&table=kinds&format=csv"))}
    assert kinds["Relocation"]["Pledged"] == "200"
    everything = page(as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026"))
    assert "900 persons" in everything and "Only your state's pledges" not in everything


def test_the_charts_are_inline_svg_with_a_text_alternative(client, coordinator, pool_data):
    html = page(as_user(client, coordinator).get(f"{BASE}/pool/"))
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 3
    for svg in svgs:
        chart_id = re.search(r'id="([^"]+)"', svg).group(1)
        assert 'role="img"' in svg and f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
        assert "style" not in svg
    # Belgium fulfilled 15 % of its pledge and the Netherlands nothing, against 50 % of the year elapsed.
    assert "2 of 2 states behind" in html
    assert 'href="#table-states"' in html and 'id="table-states"' in html


def test_a_cycle_without_dates_says_the_pace_cannot_be_measured(client, coordinator, pool_data):
    set_cycle(pool_data, applies_from=None)
    html = page(as_user(client, coordinator).get(f"{BASE}/pool/?cycle=2026"))
    assert "so the pace cannot be measured" in html and "Dates not recorded" in state_row(html, "BE")


def test_an_unknown_cycle_is_404(client, coordinator, cycle):
    as_user(client, coordinator)
    assert client.get(f"{BASE}/pool/?cycle=1999").status_code == 404
    assert client.get(f"{BASE}/pool/?cycle=abc").status_code == 404
