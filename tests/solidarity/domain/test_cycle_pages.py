"""The coordinator moves a cycle through its stages from the dashboard; nobody else can."""

import pytest

from pledges.pledging.models import Pledge
from solidarity.domain.models import SolidarityCycle
from tests.factories import CycleFactory, PledgeFactory, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledging_cycle(db):
    cycle = CycleFactory(year=2027, status="pledging")
    PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=40, status="submitted")
    PledgeFactory(cycle=cycle, member_state=state("NL"), kind="relocation", quantity=10, status="draft")
    return cycle


def test_the_coordinator_sees_the_next_stages_and_others_do_not(client, pledging_cycle, coordinator, be_official):
    client.force_login(coordinator)
    page = client.get("/?cycle=2027").content.decode()
    assert "Change the status of this cycle" in page
    assert "Record the Council implementing act (adopted)" in page
    client.force_login(be_official)
    assert "Change the status of this cycle" not in client.get("/?cycle=2027").content.decode()


def test_adoption_from_the_page_records_the_act_and_the_submitted_pledges(client, pledging_cycle, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/cycles/2027/transition/",
        {
            "transition": "adopt",
            "council_act_reference": "Council Implementing Decision (EU) 2027/1",
            "council_act_date": "2027-12-10",
            "reason": "The Council adopted the act",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "moved to its next stage: council act adopted" in response.content.decode()
    assert "1 submitted pledge(s) are now recorded; 1 draft(s) were left untouched." in response.content.decode()
    cycle = SolidarityCycle.objects.get(year=2027)
    assert (cycle.status, cycle.council_act_reference) == ("adopted", "Council Implementing Decision (EU) 2027/1")
    assert sorted(Pledge.objects.filter(cycle=cycle).values_list("status", flat=True)) == ["draft", "recorded"]
    assert cycle.history.latest().history_change_reason == "The Council adopted the act"


def test_adoption_without_the_act_is_refused_on_the_field_and_writes_nothing(client, pledging_cycle, coordinator):
    client.force_login(coordinator)
    response = client.post("/cycles/2027/transition/", {"transition": "adopt", "reason": "Adopted"})
    assert response.status_code == 409  # a missing precondition of the transition
    assert "Adoption needs the Council act" in response.content.decode()
    assert SolidarityCycle.objects.get(year=2027).status == "pledging"
    assert not Pledge.objects.filter(status="recorded").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"transition": "close", "reason": "Skip ahead"}, "Select a valid choice"),
        ({"transition": "adopt", "council_act_reference": "X", "council_act_date": "2027-12-10"}, "required"),
    ],
)
def test_a_stage_that_is_not_next_or_a_missing_reason_is_refused(client, pledging_cycle, coordinator, data, message):
    client.force_login(coordinator)
    response = client.post("/cycles/2027/transition/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SolidarityCycle.objects.get(year=2027).status == "pledging"


def test_an_official_cannot_move_a_cycle(client, pledging_cycle, be_official):
    client.force_login(be_official)
    response = client.post(
        "/cycles/2027/transition/",
        {"transition": "adopt", "council_act_reference": "X", "council_act_date": "2027-12-10", "reason": "Try"},
    )
    assert response.status_code == 403
    assert SolidarityCycle.objects.get(year=2027).status == "pledging"


def test_an_unknown_cycle_is_not_found(client, coordinator):
    client.force_login(coordinator)
    assert client.post("/cycles/2099/transition/", {"transition": "propose", "reason": "x"}).status_code == 404
