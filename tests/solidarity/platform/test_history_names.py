"""History rows name cycles by year and users by username, as the rest of the API does (issue 12): in the audit
log's changes and in an object as it was at a moment. Other relations keep their id, Member States their code."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledges.pledging import services as pledge_services
from tests.conftest import api_as
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(be_official):
    cycle = CycleFactory(year=2027, status="pledging")
    return pledge_services.pledge_create(
        cycle=cycle, kind="financial", amount_eur="1000.00", earmark=None, actor=be_official, reason="First offer"
    )


def pledge_rows(auditor) -> list[dict]:
    response = api_as(auditor).get("/api/v1/history/", {"model": "pledges.pledge"})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_the_audit_log_names_the_cycle_by_year_and_the_user_by_username(auditor, pledge):
    (row,) = pledge_rows(auditor)
    changes = {change["field"]: change for change in row["changes"]}
    assert changes["cycle"] == {"field": "cycle", "old": None, "new": 2027}
    assert changes["recorded_by"] == {"field": "recorded_by", "old": None, "new": "be_official"}
    assert changes["member_state"]["new"] == "BE"
    assert (row["user"], row["reason"]) == ("be_official", "First offer")


def test_a_change_of_user_reads_as_usernames_before_and_after(auditor, pledge, nl_official):
    type(pledge).objects.filter(pk=pledge.pk).update(recorded_by=nl_official)  # as a data correction would
    pledge.refresh_from_db()
    pledge._change_reason = "Recorded by the other delegation"
    pledge.save()
    newest = pledge_rows(auditor)[0]
    assert {"field": "recorded_by", "old": "be_official", "new": "nl_official"} in newest["changes"]


def test_naming_costs_the_same_queries_however_many_rows(auditor, be_official, pledge):
    client = api_as(auditor)
    client.get("/api/v1/history/", {"model": "pledges.pledge"})  # the permission caches fill on the first request
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/history/", {"model": "pledges.pledge"})
    for year in (2028, 2029, 2030):
        cycle = CycleFactory(year=year, status="pledging")
        pledge_services.pledge_create(cycle=cycle, kind="financial", amount_eur="5.00", actor=be_official, reason="r")
    with CaptureQueriesContext(connection) as four:
        assert len(client.get("/api/v1/history/", {"model": "pledges.pledge"}).json()["results"]) == 4
    assert len(four) == len(one)


def test_an_object_as_of_a_moment_names_its_cycle_and_users_too(auditor, pledge):
    query = {"model": "pledges.pledge", "object_id": pledge.pk, "at": timezone.now().isoformat()}
    body = api_as(auditor).get("/api/v1/history/as-of/", query).json()
    assert body["status"] == "existed"
    assert (body["fields"]["cycle"], body["fields"]["recorded_by"], body["fields"]["member_state"]) == (
        2027,
        "be_official",
        "BE",
    )
    assert body["recorded_by"] == "be_official"


def test_a_cycle_is_named_by_its_year_and_found_by_it(auditor, pledge):
    client = api_as(auditor)
    rows = client.get("/api/v1/history/", {"model": "solidarity.solidaritycycle", "object_id": "2027"}).json()
    assert [row["object_id"] for row in rows["results"]] == ["2027"]
    by_id = client.get("/api/v1/history/", {"model": "solidarity.solidaritycycle", "object_id": pledge.cycle_id})
    assert [row["object_id"] for row in by_id.json()["results"]] == ["2027"]  # an id is still read
    query = {"model": "solidarity.solidaritycycle", "object_id": "2027", "at": timezone.now().isoformat()}
    as_of = client.get("/api/v1/history/as-of/", query).json()
    assert (as_of["status"], as_of["object_id"], as_of["fields"]["year"]) == ("existed", "2027", 2027)


def test_a_user_is_named_by_username(auditor, be_official):
    be_official.first_name = "Lotte"
    be_official._change_reason = "Name corrected"
    be_official.save()
    client = api_as(auditor)
    rows = client.get("/api/v1/history/", {"model": "solidarity.user", "object_id": "be_official"}).json()["results"]
    assert rows and {row["object_id"] for row in rows} == {"be_official"}
    assert client.get("/api/v1/history/", {"model": "solidarity.user", "object_id": "nobody"}).status_code == 400
