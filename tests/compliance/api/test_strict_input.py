"""The compliance API reads figures, booleans and periods as its schema states them, and names the rule a
refusal is for: a rule between two fields has its own code (``fields_disagree``), whoever finds it."""

import pytest

from compliance.models import DublinPerformance, Finding, SecondaryMovementIndicator
from solidarity.platform.errors import FIELDS_DISAGREE
from tests.compliance.api.helpers import Q1, first_error, new_payload

pytestmark = pytest.mark.django_db


def test_a_period_that_ends_before_it_starts_is_refused_as_two_fields_that_disagree(officer_api, records):
    body = {**new_payload("secondary-movements", records), "period_start": "2026-03-31", "period_end": "2026-01-01"}
    before = SecondaryMovementIndicator.objects.count()

    response = officer_api.post("/api/v1/secondary-movements/", body, format="json")

    assert response.status_code == 400
    assert first_error(response)["code"] == FIELDS_DISAGREE
    assert first_error(response)["detail"] == "The period must end after it starts."
    assert SecondaryMovementIndicator.objects.count() == before


def test_an_edit_that_reverses_a_period_is_refused_with_the_same_code(officer_api, records):
    dublin = records.dublin
    response = officer_api.patch(
        f"/api/v1/dublin-performance/{dublin.pk}/",
        {"period_end": "2000-01-01", "reason": "Corrected period"},
        format="json",
        headers={"If-Match": f'"{dublin.version}"'},
    )

    assert response.status_code == 400, response.json()
    assert first_error(response)["code"] == FIELDS_DISAGREE
    dublin.refresh_from_db()
    assert dublin.period_end != dublin.period_start.replace(year=2000)


def test_a_target_that_does_not_improve_on_the_baseline_is_refused_as_fields_that_disagree(officer_api, records):
    body = {**new_payload("benchmarks", records), "direction": "lower", "baseline": "30.00", "target": "60.00"}
    response = officer_api.post("/api/v1/benchmarks/", body, format="json")
    assert response.status_code == 400
    assert first_error(response)["code"] == FIELDS_DISAGREE


@pytest.mark.parametrize("illustrative", [0, 1, "true", "yes", "on"])
def test_a_boolean_is_a_json_boolean(officer_api, records, illustrative):
    body = {**new_payload("findings", records), "illustrative": illustrative}
    before = Finding.objects.count()

    response = officer_api.post("/api/v1/findings/", body, format="json")

    assert response.status_code == 400
    assert (first_error(response)["attr"], first_error(response)["code"]) == ("illustrative", "invalid")
    assert Finding.objects.count() == before


def test_a_json_boolean_is_taken(officer_api, records):
    body = {**new_payload("findings", records), "illustrative": True}
    response = officer_api.post("/api/v1/findings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["illustrative"] is True


@pytest.mark.parametrize("days", ["1e1", "5.", ".5", "+5", "1_0", "\u0665", " 5", "-0", ""])
def test_a_figure_of_a_column_is_in_plain_decimal_notation(officer_api, records, days):
    body = {**new_payload("dublin-performance", records), "average_reply_days": days}
    before = DublinPerformance.objects.count()

    response = officer_api.post("/api/v1/dublin-performance/", body, format="json")

    assert response.status_code == 400
    assert first_error(response)["attr"] == "average_reply_days"
    assert first_error(response)["code"] in {"not_a_number", "invalid"}
    assert DublinPerformance.objects.count() == before


def test_a_figure_in_plain_notation_is_taken(officer_api, records):
    body = {**new_payload("secondary-movements", records), **Q1, "reception_occupancy_percent": "0097.50"}
    response = officer_api.post("/api/v1/secondary-movements/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reception_occupancy_percent"] == "97.50"
