"""``dublin-performance/`` and ``secondary-movements/`` (compliance.api.records): derived rates, checks, filters."""

import pytest

from compliance.models import DublinPerformance, SecondaryMovementIndicator
from tests.compliance.api.helpers import FEBRUARY, JANUARY, Q1, REASON, first_error, record
from tests.conftest import api_as
from tests.factories import state

pytestmark = pytest.mark.django_db


def test_dublin_performance_shows_the_derived_rates(be_official, records):
    body = api_as(be_official).get(f"/api/v1/dublin-performance/{records.dublin.pk}/").json()
    # 400 of 500 requests accepted; 40 transfers of 400 accepted requests.
    assert body["member_state"] == "IT"
    assert (body["requests_received"], body["requests_accepted"]) == (500, 400)
    assert (body["acceptance_rate"], body["transfer_rate"]) == ("80.00", "10.00")


def test_derived_rates_are_read_only(officer_api, records):
    response = officer_api.patch(
        f"/api/v1/dublin-performance/{records.dublin.pk}/",
        {"acceptance_rate": "99.00", "transfer_rate": "99.00", "transfers_carried_out": 100, "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    # Computed from the counts: sent with another value, they are refused (and nothing is written).
    assert response.status_code == 400, response.json()
    assert {(e["code"], e["attr"]) for e in response.json()["errors"]} == {
        ("read_only", "acceptance_rate"),
        ("read_only", "transfer_rate"),
    }
    records.dublin.refresh_from_db()
    assert records.dublin.version == 1
    # Sent back as read, they are accepted.
    current = officer_api.get(f"/api/v1/dublin-performance/{records.dublin.pk}/").json()
    unchanged = {"acceptance_rate": current["acceptance_rate"], "transfers_carried_out": 100, "reason": REASON}
    response = officer_api.patch(
        f"/api/v1/dublin-performance/{records.dublin.pk}/", unchanged, format="json", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'


def test_rates_are_null_without_requests(officer_api):
    response = officer_api.post(
        "/api/v1/dublin-performance/", {"member_state": "MT", **JANUARY, "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["acceptance_rate"], response.json()["transfer_rate"]) == (None, None)


def test_a_second_record_of_the_same_state_and_period_is_a_conflict(officer_api, records):
    response = officer_api.post(
        "/api/v1/dublin-performance/", {"member_state": "IT", **JANUARY, "reason": REASON}, format="json"
    )
    assert response.status_code == 409
    assert first_error(response)["code"] == "unique"
    assert DublinPerformance.objects.count() == 1


def test_accepted_requests_beyond_those_received_are_refused(officer_api):
    response = officer_api.post(
        "/api/v1/dublin-performance/",
        {"member_state": "IT", **JANUARY, "take_charge_received": 10, "take_charge_accepted": 11, "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert "cannot exceed" in first_error(response)["detail"]
    assert not DublinPerformance.objects.exists()


def test_a_share_above_100_percent_is_refused(officer_api):
    response = officer_api.post(
        "/api/v1/secondary-movements/",
        {"member_state": "BE", **Q1, "secondary_movement_share_percent": "101.00", "source": "X", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert not SecondaryMovementIndicator.objects.exists()


def test_period_records_filter_by_state_kind_year_and_period_range(be_official, compliance_officer, records):
    fourth_quarter = {"period_kind": "quarter", "period_start": "2025-10-01", "period_end": "2025-12-31"}
    for code, period in (("IT", FEBRUARY), ("EL", JANUARY), ("IT", fourth_quarter)):
        record(compliance_officer, DublinPerformance, member_state=state(code), **period)
    client = api_as(be_official)

    def periods(query):
        body = client.get(f"/api/v1/dublin-performance/?{query}").json()
        return [(row["member_state"], row["period_start"]) for row in body["results"]]

    assert periods("member_state=it") == [("IT", "2025-10-01"), ("IT", "2026-01-01"), ("IT", "2026-02-01")]
    assert periods("year=2025") == [("IT", "2025-10-01")]
    assert periods("period_kind=quarter") == [("IT", "2025-10-01")]
    # Overlap: the quarter ending 31 December touches a range that starts on 15 December. EL comes before IT
    # in protocol order.
    assert periods("period_from=2025-12-15&period_to=2026-01-15") == [
        ("EL", "2026-01-01"),
        ("IT", "2025-10-01"),
        ("IT", "2026-01-01"),
    ]
    assert periods("period_from=2026-02-01") == [("IT", "2026-02-01")]
    assert periods("ordering=-period_start&member_state=IT")[0] == ("IT", "2026-02-01")
    assert client.get("/api/v1/dublin-performance/?period_from=not-a-date").status_code == 400
