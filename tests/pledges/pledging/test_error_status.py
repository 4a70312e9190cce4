"""Which status a refused write gets: 400 for bad input, 404 / 409 when its only faults depend on stored data.

A request can be well formed by the schema and still name a cycle that does not exist or a year another
cycle holds: no schema can say that, so such a request is not "bad input" (400) but a reference to nothing
(404) or a clash with what is stored (409), in the one error shape with the field named.
"""

import pytest
from rest_framework import exceptions

from pledges.pledging.models import Pledge
from solidarity.platform.error_kinds import as_stored_data_refusal
from tests.pledges.pledging.api_helpers import FINANCIAL


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"cycle": [exceptions.ErrorDetail("No such cycle.", code="does_not_exist")]}, 404),
        ({"year": [exceptions.ErrorDetail("Taken.", code="unique")]}, 409),
        ({"amount_eur": [exceptions.ErrorDetail("Not a number.", code="invalid")]}, 400),
        (
            {
                "cycle": [exceptions.ErrorDetail("No such cycle.", code="does_not_exist")],
                "amount_eur": [exceptions.ErrorDetail("Not a number.", code="invalid")],
            },
            400,
        ),
        (
            {
                "cycle": [exceptions.ErrorDetail("No such cycle.", code="does_not_exist")],
                "year": [exceptions.ErrorDetail("Taken.", code="unique")],
            },
            400,
        ),
        ({"rows": [{"state": [exceptions.ErrorDetail("No such state.", code="does_not_exist")]}]}, 404),
    ],
)
def test_the_status_follows_the_kind_of_every_fault(detail, expected):
    refusal = as_stored_data_refusal(exceptions.ValidationError(detail))
    assert (refusal.status_code if refusal else 400) == expected


def test_a_reference_to_nothing_is_a_404_but_with_bad_input_a_400(pledging_cycle, be_api):
    dangling = be_api.post("/api/v1/pledges/", {**FINANCIAL, "cycle": 1999}, format="json")
    assert (dangling.status_code, dangling.json()["type"]) == (404, "client_error")
    assert [(e["attr"], e["code"]) for e in dangling.json()["errors"]] == [("cycle", "does_not_exist")]

    both = be_api.post("/api/v1/pledges/", {**FINANCIAL, "cycle": 1999, "kind": "gift"}, format="json")
    assert both.status_code == 400
    assert {(e["attr"], e["code"]) for e in both.json()["errors"]} == {
        ("cycle", "does_not_exist"),
        ("kind", "invalid_choice"),
    }
    assert not Pledge.objects.exists()
