"""The reason of a change to a pledge, over real HTTP on PostgreSQL: up to 2 000 characters (issue 12: 101 gave
a 500), required for transitions and for changes to a submitted pledge, optional when recording one or editing
a draft (the history then says "created" / "draft edited"), in the body or the X-Change-Reason header."""

import pytest

from pledges.pledging.models import Pledge
from tests.factories import PledgeFactory, state
from tests.pledges.pledging.api_helpers import FINANCIAL, REASON, error

pytestmark = pytest.mark.django_db


def reopen(client, pledge, reason):
    return client.post(
        f"/api/v1/pledges/{pledge.pk}/transition/", {"transition": "reopen", "reason": reason}, format="json"
    )


def last_reason(pledge) -> str:
    return pledge.history.order_by("-history_id").first().history_change_reason


@pytest.fixture
def submitted(pledging_cycle):
    return PledgeFactory(cycle=pledging_cycle, member_state=state("BE"), status="submitted")


@pytest.mark.parametrize("length", [101, 2000])
def test_a_long_reason_is_kept_whole(be_api, submitted, length):
    response = reopen(be_api, submitted, "r" * length)
    assert response.status_code == 200, response.json()
    submitted.refresh_from_db()
    assert (submitted.status, last_reason(submitted)) == ("draft", "r" * length)


def test_a_reason_over_2000_characters_is_a_400_and_nothing_is_written(be_api, submitted):
    response = reopen(be_api, submitted, "r" * 2001)
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["attr"]) == ("max_length", "reason")
    submitted.refresh_from_db()
    assert (submitted.status, submitted.version, submitted.history.count()) == ("submitted", 1, 1)


def test_the_bound_is_on_the_trimmed_reason(be_api, submitted):
    assert reopen(be_api, submitted, "  " + "r" * 2000 + "\n").status_code == 200
    assert last_reason(Pledge.objects.get(pk=submitted.pk)) == "r" * 2000


@pytest.mark.parametrize("reason", [None, "", "   ", 12, True, ["why"], {"why": 1}])
def test_a_transition_without_a_reason_of_text_is_refused(be_api, submitted, reason):
    body = {"transition": "reopen"} if reason is None else {"transition": "reopen", "reason": reason}
    response = be_api.post(f"/api/v1/pledges/{submitted.pk}/transition/", body, format="json")
    # A number is not text either: the schema says a string, and a client that sends 12 has made a mistake.
    assert response.status_code == 400
    expected = "reason_required" if reason in ("", "   ", None) else "invalid"
    assert (error(response)["code"], error(response)["attr"]) == (expected, "reason")
    assert Pledge.objects.get(pk=submitted.pk).status == "submitted"


def test_recording_a_pledge_may_omit_the_reason(pledging_cycle, be_api):
    body = {key: value for key, value in FINANCIAL.items() if key != "reason"}
    response = be_api.post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 201, response.json()
    assert last_reason(Pledge.objects.get(pk=response.json()["id"])) == "created"
    blank = be_api.post(
        "/api/v1/pledges/",
        {**FINANCIAL, "kind": "relocation", "amount_eur": None, "quantity": 5, "reason": "  "},
        format="json",
    )
    assert blank.status_code == 201, blank.json()
    assert last_reason(Pledge.objects.get(pk=blank.json()["id"])) == "created"


def test_editing_a_draft_may_omit_the_reason(be_api, be_pledge):
    response = be_api.patch(
        f"/api/v1/pledges/{be_pledge.pk}/", {"amount_eur": "10.00"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert last_reason(Pledge.objects.get(pk=be_pledge.pk)) == "draft edited"


def test_changing_a_submitted_pledge_needs_a_reason(be_api, submitted):
    url = f"/api/v1/pledges/{submitted.pk}/"
    response = be_api.patch(url, {"amount_eur": "10.00"}, format="json", HTTP_IF_MATCH='"1"')
    assert (response.status_code, error(response)["code"], error(response)["attr"]) == (
        400,
        "reason_required",
        "reason",
    )
    assert Pledge.objects.get(pk=submitted.pk).version == 1
    given = be_api.patch(url, {"amount_eur": "10.00", "reason": REASON}, format="json", HTTP_IF_MATCH='"1"')
    assert given.status_code == 200, given.json()
    assert last_reason(Pledge.objects.get(pk=submitted.pk)) == REASON


def test_the_reason_may_travel_in_the_header(be_api, submitted):
    response = be_api.patch(
        f"/api/v1/pledges/{submitted.pk}/",
        {"amount_eur": "10.00"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_X_CHANGE_REASON="Budget revised by the cabinet",
    )
    assert response.status_code == 200, response.json()
    assert last_reason(Pledge.objects.get(pk=submitted.pk)) == "Budget revised by the cabinet"


def test_the_body_wins_over_the_header(be_api, submitted):
    response = be_api.patch(
        f"/api/v1/pledges/{submitted.pk}/",
        {"amount_eur": "10.00", "reason": "From the body"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_X_CHANGE_REASON="From the header",
    )
    assert response.status_code == 200, response.json()
    assert last_reason(Pledge.objects.get(pk=submitted.pk)) == "From the body"


def test_a_header_reason_is_bounded_too(be_api, submitted):
    response = be_api.patch(
        f"/api/v1/pledges/{submitted.pk}/",
        {"amount_eur": "10.00"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_X_CHANGE_REASON="r" * 2001,
    )
    assert (response.status_code, error(response)["code"], error(response)["attr"]) == (400, "max_length", "reason")
    assert Pledge.objects.get(pk=submitted.pk).version == 1


def test_a_header_reason_in_utf8_reads_as_sent(be_api, submitted):
    # What a client sends as UTF-8 bytes, as the WSGI server hands it over (latin-1 characters).
    sent = "Décision du ministre, Ελλάδα 2026".encode().decode("latin-1")
    response = be_api.patch(
        f"/api/v1/pledges/{submitted.pk}/",
        {"amount_eur": "10.00"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_X_CHANGE_REASON=sent,
    )
    assert response.status_code == 200, response.json()
    assert last_reason(Pledge.objects.get(pk=submitted.pk)) == "Décision du ministre, Ελλάδα 2026"


def test_a_transition_takes_its_reason_from_the_body_only(be_api, submitted):
    response = be_api.post(
        f"/api/v1/pledges/{submitted.pk}/transition/",
        {"transition": "reopen"},
        format="json",
        HTTP_X_CHANGE_REASON="From the header",
    )
    assert (response.status_code, error(response)["code"]) == (400, "reason_required")
    assert Pledge.objects.get(pk=submitted.pk).status == "submitted"
