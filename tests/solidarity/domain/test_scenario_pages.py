"""The scenario pages: built through a form, read side by side with the official figures, private to a delegation."""

import re
from decimal import Decimal

import pytest

from solidarity.domain.models import Scenario
from solidarity.domain.scenarios import scenario_create
from tests.factories import UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Preparing the Technical-Level Forum"


def form_data(**changes) -> dict:
    data = {
        "title": "Smaller pool",
        "description": "",
        "reference_relocations": "14000",
        "reference_financial_eur": "280000000.00",
        "eur_per_relocation": "20000.00",
        "weight_population": "0.5",
        "weight_gdp": "0.5",
        "relocation_rounding": "up",
        "states_in_key": [member_state.code for member_state in _key_states()],
        "deductions": "AT 100",
        "reason": REASON,
    }
    data.update(changes)
    return data


def _key_states():
    from solidarity.domain.models import MemberState

    return MemberState.objects.in_key()


def row(html: str, code: str) -> list[str]:
    match = re.search(rf"<th scope=\"row\">[^<]*\({code}\)</th>(.*?)</tr>", html, re.S)
    assert match, code
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_the_new_form_starts_from_the_cycles_inputs(client, cycle_with_figures, be_negotiator):
    client.force_login(be_negotiator)
    html = client.get("/cycles/2026/scenarios/new/").content.decode()
    assert 'value="21000"' in html and 'value="420000000.00"' in html
    assert 'value="DK"' in html and 'value="DK" checked' not in html  # outside the key by default
    assert 'value="BE" checked' in html or 'checked value="BE"' in html or re.search(r'value="BE"[^>]*checked', html)


def test_a_negotiator_builds_a_scenario_and_reads_it_beside_the_official_figures(
    client, cycle_with_figures, be_negotiator
):
    client.force_login(be_negotiator)
    response = client.post("/cycles/2026/scenarios/new/", form_data())
    assert response.status_code == 302
    scenario = Scenario.objects.get()
    assert (scenario.author_state_id, scenario.reference_relocations, scenario.deductions_percent) == (
        "BE",
        14000,
        {"AT": "100"},
    )
    assert scenario.history.latest().history_change_reason == REASON
    html = client.get(response["Location"]).content.decode()
    assert "Smaller pool" in html
    de = row(html, "DE")
    # Same key, two thirds of the pool: the share is unchanged, the fair share shrinks.
    assert de[0] == de[3]
    assert int(de[1].replace(",", "")) < int(de[4].replace(",", ""))
    assert row(html, "DK")[0] == "Outside the key"

    listing = client.get("/cycles/2026/scenarios/").content.decode()
    assert "Smaller pool" in listing
    assert row(listing, "DE")[0] == row(listing, "DE")[3]  # official share = scenario share


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deductions": "XX"}, "is not a state code and a percent"),
        ({"deductions": "QQ 20"}, "Unknown Member State code: QQ"),
        ({"weight_population": "0.6"}, "must add up to 1"),
        ({"reference_relocations": "-5"}, "greater than or equal to 0"),
        ({"eur_per_relocation": "abc"}, "Enter a number"),
        ({"reason": ""}, "This field is required"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(client, cycle_with_figures, be_negotiator, changes, message):
    client.force_login(be_negotiator)
    response = client.post("/cycles/2026/scenarios/new/", form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Scenario.objects.exists()


def test_officials_read_but_do_not_build_scenarios(client, cycle_with_figures, be_official):
    client.force_login(be_official)
    assert client.get("/cycles/2026/scenarios/").status_code == 200
    assert client.get("/cycles/2026/scenarios/new/").status_code == 403
    assert client.post("/cycles/2026/scenarios/new/", form_data()).status_code == 403
    assert not Scenario.objects.exists()


def test_a_private_scenario_stays_with_its_delegation(client, cycle_with_figures, be_negotiator, nl_negotiator):
    private = scenario_create(cycle=cycle_with_figures, actor=be_negotiator, reason=REASON, title="BE working figures")
    client.force_login(nl_negotiator)
    assert "BE working figures" not in client.get("/cycles/2026/scenarios/").content.decode()
    assert client.get(f"/scenarios/{private.pk}/").status_code == 404
    assert client.post(f"/scenarios/{private.pk}/", form_data(version=1)).status_code == 404
    deletion = {"delete-version": 1, "delete-reason": "x"}
    assert client.post(f"/scenarios/{private.pk}/delete/", deletion).status_code == 404
    assert Scenario.objects.get().title == "BE working figures"


def test_a_shared_scenario_is_read_but_not_changed_by_another_delegation(
    client, cycle_with_figures, be_negotiator, nl_negotiator
):
    shared = scenario_create(cycle=cycle_with_figures, actor=be_negotiator, reason=REASON, title="Open", shared=True)
    client.force_login(nl_negotiator)
    html = client.get(f"/scenarios/{shared.pk}/").content.decode()
    assert "Open" in html and "Change this scenario" not in html
    assert client.post(f"/scenarios/{shared.pk}/", form_data(version=1)).status_code == 403
    assert Scenario.objects.get().reference_relocations == 21000


def test_a_stale_edit_is_refused_and_a_delete_keeps_the_history(client, cycle_with_figures, be_negotiator):
    scenario = scenario_create(cycle=cycle_with_figures, actor=be_negotiator, reason=REASON, title="Draft")
    client.force_login(be_negotiator)
    assert client.post(f"/scenarios/{scenario.pk}/", form_data(version=1, title="Renamed")).status_code == 302
    stale = client.post(f"/scenarios/{scenario.pk}/", form_data(version=1, title="Lost update"))
    assert stale.status_code == 412
    assert Scenario.objects.get().title == "Renamed"
    response = client.post(f"/scenarios/{scenario.pk}/delete/", {"delete-version": 2, "delete-reason": "Superseded"})
    assert response.status_code == 302
    assert not Scenario.objects.exists()
    assert Scenario.history.filter(id=scenario.pk).count() == 3


def test_the_list_page_runs_a_constant_number_of_queries(
    client, cycle_with_figures, be_negotiator, django_assert_max_num_queries
):
    client.force_login(be_negotiator)
    scenario_create(cycle=cycle_with_figures, actor=be_negotiator, reason=REASON, title="One")
    with django_assert_max_num_queries(30) as captured:
        assert client.get("/cycles/2026/scenarios/").status_code == 200
    for index in range(5):
        other = UserFactory(username=f"negotiator{index}", member_state=state("NL"), roles=["negotiator"])
        scenario_create(
            cycle=cycle_with_figures,
            actor=other,
            reason=REASON,
            title=f"Variant {index}",
            shared=True,
            eur_per_relocation=Decimal("15000.00"),
        )
    with django_assert_max_num_queries(len(captured)):
        html = client.get("/cycles/2026/scenarios/").content.decode()
    assert html.count('scope="colgroup"') == 1 + 4  # the official figures and the four latest scenarios
