"""The pool dashboard shows a state's own implementation figures (activated, fulfilled, pace) to that state,
the coordinator and auditors only (AMMR Arts 57, 60); its totals over all states stay public."""

import pytest

from tests.pledges.implementation.page_support import BASE, as_user, csv_rows, page
from tests.pledges.implementation.test_pool_pages import state_row

pytestmark = pytest.mark.django_db

URL = f"{BASE}/pool/?cycle=2026"


@pytest.mark.parametrize("reader", ["be_official", "coordinator", "auditor"])
def test_the_parties_the_coordinator_and_auditors_read_a_states_implementation(client, request, pool_data, reader):
    html = page(as_user(client, request.getfixturevalue(reader)).get(URL))
    be = state_row(html, "BE")
    assert ">100.00<" in be and ">60.00<" in be and ">15.00<" in be and "Behind" in be
    rows = {r["Code"]: r for r in csv_rows(client.get(URL + "&table=states&format=csv"))}
    assert rows["BE"]["Fulfilled (% of pledge)"] == "15.00"


@pytest.mark.parametrize("reader", ["it_official", "fr_official", "nl_official", "compliance_officer"])
def test_another_state_reads_the_pledges_and_the_totals_but_not_a_states_implementation(
    client, request, pool_data, reader
):
    html = page(as_user(client, request.getfixturevalue(reader)).get(URL))
    be = state_row(html, "BE")
    # The pledges are public (Art. 57): 400 relocation equivalents; what was activated and done is not.
    assert ">400.00<" in be and "Parties only" in be and "Shown to the parties only" in be
    assert ">100.00<" not in be and ">60.00<" not in be and ">15.00<" not in be and "Behind" not in be
    # The totals over all states stay public.
    totals = html[html.index('<tr class="totals">') :]
    totals = totals[: totals.index("</tr>")]
    assert ">100.00<" in totals and ">60.00<" in totals
    kinds = {r["Kind"]: r for r in csv_rows(client.get(URL + "&table=kinds&format=csv"))}
    assert (kinds["Relocation"]["Activated"], kinds["Relocation"]["Fulfilled"]) == ("100", "60")
    rows = {r["Code"]: r for r in csv_rows(client.get(URL + "&table=states&format=csv"))}
    assert rows["BE"]["Relocation equivalent"] == "400.00"
    hidden = {key: rows["BE"][key] for key in rows["BE"] if key.startswith(("Activated", "Fulfilled"))}
    assert set(hidden.values()) == {""}, hidden
    assert rows["BE"]["Pace"] == "Shown to the parties only"
    # The pace chart leaves out the states whose implementation the reader does not see.
    assert "BE: 15.00" not in html and "15.00 %" not in html
