"""The pages of responsibility offsets (AMMR Arts 63, 69): eligibility, request, answer, list."""

import datetime

import pytest

from pledges.implementation.filters import OffsetFilter
from pledges.implementation.models import ResponsibilityOffset
from pledges.implementation.services import (
    offset_answer,
    offset_request,
)
from tests.conftest import api_as
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import (
    BASE,
    REASON,
    as_user,
    csv_rows,
    field_error,
    page,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


# Responsibility offsets -----------------------------------------------------------------------------------------------


@pytest.fixture
def offsets_open(cycle):
    """Relocation pledges of 15 000, half of the proposal's 30 000: Art. 63(1) is met."""
    return PledgeFactory(cycle=cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")


def request_offset(client, cycle, **data):
    payload = {"contributing_state": "DE", "applications_requested": "40", "reason": REASON, **data}
    return client.post(f"{BASE}/offsets/request/?cycle={cycle.year}", payload)


def test_the_eligibility_is_shown_plainly(client, it_official, cycle):
    as_user(client, it_official)
    closed = page(client.get(f"{BASE}/offsets/request/?cycle={cycle.year}"))
    assert "0 of 30,000: 0.00 %" in closed and "below the threshold" in closed
    assert "only from a state that pledged 50 % or more of its own fair share" in closed
    PledgeFactory(cycle=cycle, member_state=state("DE"), kind="relocation", quantity=15000, status="recorded")
    opened = page(client.get(f"{BASE}/offsets/request/?cycle={cycle.year}"))
    assert "15,000 of 30,000: 50.00 %" in opened and "threshold reached" in opened


def test_a_benefitting_official_requests_an_offset(client, it_official, cycle, offsets_open, today):
    as_user(client, it_official)
    response = request_offset(client, cycle)
    offset = ResponsibilityOffset.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}/offsets/{offset.pk}/"
    assert (offset.benefitting_state_id, offset.contributing_state_id, offset.applications_requested) == (
        "IT",
        "DE",
        40,
    )
    assert offset.answer_deadline == today + datetime.timedelta(days=30)
    detail = page(client.get(response.url))
    assert "30 days left" in detail and "Offsets may be requested from this state" in detail


def test_an_offset_is_refused_while_the_thresholds_are_not_met(client, it_official, cycle):
    as_user(client, it_official)
    response = request_offset(client, cycle)
    assert response.status_code == 409
    assert "Offsets are not open" in page(response)
    assert ResponsibilityOffset.objects.count() == 0


def test_the_coordinator_chooses_the_benefitting_state(client, coordinator, cycle, offsets_open):
    as_user(client, coordinator)
    assert 'name="benefitting_state"' in page(client.get(f"{BASE}/offsets/request/"))
    assert request_offset(client, cycle, benefitting_state="EL").status_code == 302
    assert ResponsibilityOffset.objects.get().benefitting_state_id == "EL"


def test_an_official_requests_only_for_its_own_state(client, it_official, cycle, offsets_open):
    as_user(client, it_official)
    assert 'name="benefitting_state"' not in page(client.get(f"{BASE}/offsets/request/"))
    # A benefitting_state smuggled into the form is ignored: the official's own state asks.
    assert request_offset(client, cycle, benefitting_state="EL").status_code == 302
    assert ResponsibilityOffset.objects.get().benefitting_state_id == "IT"


@pytest.mark.parametrize("role", ["be_negotiator", "auditor", "compliance_officer"])
def test_other_roles_may_not_request_offsets(request, client, cycle, offsets_open, role):
    as_user(client, request.getfixturevalue(role))
    assert request_offset(client, cycle, benefitting_state="IT").status_code == 403
    assert ResponsibilityOffset.objects.count() == 0


@pytest.fixture
def offset(cycle, offsets_open, it_official):
    return offset_request(
        cycle=cycle,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=40,
        actor=it_official,
        reason=REASON,
    )


@pytest.fixture
def de_official(db):
    return UserFactory(username="de_official", member_state=state("DE"), roles=["official"])


def answer_offset(client, offset, **data):
    payload = {"version": offset.version, "reason": REASON, **data}
    return client.post(f"{BASE}/offsets/{offset.pk}/answer/", payload)


def test_the_requested_state_accepts_part_of_an_offset(client, de_official, offset):
    as_user(client, de_official)
    assert "Send the answer" in page(client.get(f"{BASE}/offsets/{offset.pk}/"))
    response = answer_offset(client, offset, transition="accept_partially", applications_accepted="15")
    assert response.status_code == 302
    offset.refresh_from_db()
    assert (offset.status, offset.applications_accepted) == ("partially_accepted", 15)


def test_a_partial_acceptance_needs_a_number_within_the_request(client, de_official, offset):
    as_user(client, de_official)
    response = answer_offset(client, offset, transition="accept_partially")
    assert response.status_code == 400
    assert "Give how many applications are accepted." in page(response)
    response = answer_offset(client, offset, transition="accept_partially", applications_accepted="40")
    assert response.status_code == 400
    assert "A partial acceptance lies between 1 and 39." in page(response)
    assert field_error(page(response), "id_applications_accepted")
    offset.refresh_from_db()
    assert offset.status == "requested"


def test_the_benefitting_state_may_not_answer_and_others_do_not_see_the_offset(
    client, it_official, fr_official, offset
):
    as_user(client, it_official)
    assert answer_offset(client, offset, transition="accept").status_code == 403
    as_user(client, fr_official)
    assert client.get(f"{BASE}/offsets/{offset.pk}/").status_code == 404
    assert answer_offset(client, offset, transition="accept").status_code == 404
    offset.refresh_from_db()
    assert offset.status == "requested"


def test_answering_an_answered_offset_is_refused_with_a_message(client, de_official, coordinator, offset):
    offset_answer(offset=offset, transition="refuse", actor=coordinator, reason=REASON)
    offset.refresh_from_db()
    as_user(client, de_official)
    response = answer_offset(client, offset, transition="accept")
    assert response.status_code == 409
    assert "whose status is refused" in page(response)
    offset.refresh_from_db()
    assert offset.status == "refused"


def test_an_overdue_offset_is_marked_and_can_be_filtered(client, coordinator, cycle, offsets_open, today):
    late = offset_request(
        cycle=cycle,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=10,
        requested_on=today - datetime.timedelta(days=31),
        actor=coordinator,
        reason=REASON,
    )
    on_time = offset_request(
        cycle=cycle,
        benefitting_state=state("EL"),
        contributing_state=state("DE"),
        applications_requested=10,
        actor=coordinator,
        reason=REASON,
    )
    as_user(client, coordinator)
    assert "overdue by 1 day" in page(client.get(f"{BASE}/offsets/{late.pk}/"))
    html = page(client.get(f"{BASE}/offsets/?overdue=on"))
    assert f"/offsets/{late.pk}/" in html and f"/offsets/{on_time.pk}/" not in html and "overdue</strong>" in html
    rows = csv_rows(client.get(f"{BASE}/offsets/?format=csv"))
    assert {r["Benefitting state"]: r["Overdue"] for r in rows} == {"IT": "yes", "EL": "no"}
    assert len(xlsx_rows(client.get(f"{BASE}/offsets/?format=xlsx"))) == 2


def test_an_answered_offset_shows_no_answer_form(client, de_official, offset):
    as_user(client, de_official)
    assert answer_offset(client, offset, transition="accept").status_code == 302
    html = page(client.get(f"{BASE}/offsets/{offset.pk}/"))
    assert "Send the answer" not in html and "Accepted" in html


def test_the_overdue_box_is_the_pages_own_not_an_api_parameter(coordinator, cycle, offsets_open, today):
    for days_ago in (31, 0):
        offset_request(
            cycle=cycle,
            benefitting_state=state("IT"),
            contributing_state=state("DE"),
            applications_requested=10,
            requested_on=today - datetime.timedelta(days=days_ago),
            actor=coordinator,
            reason=REASON,
        )
    assert "overdue" not in OffsetFilter.base_filters
    response = api_as(coordinator).get("/api/v1/offsets/?overdue=true")
    assert response.status_code == 200 and response.json()["count"] == 2
