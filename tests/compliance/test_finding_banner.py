"""The Art. 60(3) banner shown to the officials of a state with open activations towards a confirmed finding."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from compliance.services import finding_transition
from pledges.implementation import services as pledge_services
from tests.compliance.page_helpers import REASON, activations_towards, confirmed_finding, page, text
from tests.factories import CycleFactory, UserFactory, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding_with_open_activation(cycle, compliance_officer, coordinator):
    activations_towards("IT", cycle, coordinator, contributor="BE", amounts=(20,))
    return confirmed_finding("IT", cycle, compliance_officer)


def banner_items(client, user) -> list:
    client.force_login(user)
    response = client.get("/compliance/")
    assert response.status_code == 200
    return list(response.context.get("finding_banner") or [])


def test_banner_concerns_only_officials_of_a_state_with_open_activations_towards_a_confirmed_finding(
    client, finding_with_open_activation, be_official, nl_official, be_negotiator, coordinator
):
    (item,) = banner_items(client, be_official)
    assert (item.finding, item.open_activations, item.proposed) == (finding_with_open_activation, 1, 1)
    assert banner_items(client, nl_official) == []  # no activation towards IT
    assert banner_items(client, be_negotiator) == []  # BE, but not an official
    assert banner_items(client, coordinator) == []  # no delegation


def test_banner_goes_once_the_finding_is_lifted_or_the_activation_declined(
    client, finding_with_open_activation, be_official, compliance_officer, cycle, coordinator
):
    assert len(banner_items(client, be_official)) == 1
    activation = finding_with_open_activation.member_state.activations_received.get()
    pledge_services.activation_transition(
        activation=activation,
        transition="decline",
        decline_ground="systemic_shortcomings",
        actor=be_official,
        reason=REASON,
    )
    assert banner_items(client, be_official) == []
    activations_towards("IT", cycle, coordinator, contributor="BE", amounts=(5,))
    assert len(banner_items(client, be_official)) == 1
    finding_transition(finding=finding_with_open_activation, transition="lift", actor=compliance_officer, reason="Ok")
    assert banner_items(client, be_official) == []


def test_banner_ignores_findings_of_another_cycle(client, cycle, compliance_officer, coordinator, be_official):
    activations_towards("IT", cycle, coordinator, amounts=(20,))
    confirmed_finding("IT", CycleFactory(year=2027, status="pledging"), compliance_officer)
    assert banner_items(client, be_official) == []


def test_banner_partial_says_what_the_official_may_do(finding_with_open_activation, be_official):
    request = RequestFactory().get("/")
    request.user = be_official
    rendered = text(render_to_string("includes/finding_banner.html", request=request))
    assert "Systemic shortcomings confirmed: your state may decline activations (AMMR Art. 60(3))" in rendered
    assert "A systemic-shortcoming finding on Italy (IT) is confirmed for the 2026 cycle" in rendered
    assert "Your state has 1 open activation towards it, 1 of them still proposed" in rendered
    assert "may decline it on Art. 60(3) grounds. The pledge itself is not reduced." in rendered
    request.user = UserFactory(username="nl2", member_state=state("NL"), roles=["official"])
    assert render_to_string("includes/finding_banner.html", request=request).strip() == ""


def test_banner_appears_on_every_page_once_the_layout_includes_it(
    client, finding_with_open_activation, be_official, nl_official
):
    layout = Path(django_settings.BASE_DIR, "templates", "layout.html").read_text()
    if "includes/finding_banner.html" not in layout:
        pytest.skip("templates/layout.html does not include the banner partial yet")
    client.force_login(be_official)
    for url in ["/", "/compliance/", "/compliance/states/NL/"]:
        assert "Systemic shortcomings confirmed" in page(client.get(url)), url
    client.force_login(nl_official)
    assert "Systemic shortcomings confirmed" not in page(client.get("/"))


def test_banner_costs_one_query_and_only_for_officials(
    client, finding_with_open_activation, be_official, nl_official, be_negotiator
):
    def queries(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/compliance/early-warning/")
            list(response.context.get("finding_banner") or [])
        return len(captured)

    with_banner, no_activation, not_official = queries(be_official), queries(nl_official), queries(be_negotiator)
    assert with_banner == no_activation  # the query runs for any official, whatever it finds
    assert not_official == with_banner - 1
