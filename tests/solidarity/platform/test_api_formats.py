"""Outside DEBUG the API reads JSON only and answers JSON (or the CSV of a list): no HTML, no forms."""

import pytest
from django.urls import reverse

from solidarity.domain.models import Designation
from tests.conftest import api_as
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db

BODY = {"cycle": 2027, "member_state": "IT", "kind": "under_pressure", "ground": "sar", "reason": "Pressure decision"}


@pytest.fixture
def cycle():
    return CycleFactory(year=2027)


def _codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.mark.parametrize("format_", ["multipart", None])
def test_a_form_body_is_a_415_in_the_one_shape_and_nothing_is_written(coordinator, cycle, format_):
    client = api_as(coordinator)
    if format_:
        response = client.post("/api/v1/designations/", BODY, format=format_)
    else:
        body = "cycle=2027&member_state=IT&kind=under_pressure&ground=sar&reason=r"
        response = client.post("/api/v1/designations/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert _codes(response) == ["unsupported_media_type"]
    assert not Designation.objects.exists()


def test_a_json_body_is_read(coordinator, cycle):
    response = api_as(coordinator).post("/api/v1/designations/", BODY)
    assert response.status_code == 201, response.json()


def test_there_is_no_browsable_api(coordinator):
    response = api_as(coordinator).get("/api/v1/member-states/", headers={"accept": "text/html"})
    assert response["Content-Type"].startswith("application/json") or response.status_code == 406
    assert api_as(coordinator).get("/api/v1/member-states/?format=api").status_code == 404


def test_a_list_is_still_exported_as_csv(coordinator):
    response = api_as(coordinator).get("/api/v1/member-states/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_the_schema_takes_json_bodies_only_and_documents_415(coordinator):
    schema = api_as(coordinator).get(reverse("schema"), {"format": "json"}).json()
    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    bodies = [op for op in operations if "requestBody" in op]
    assert bodies
    assert {media for op in bodies for media in op["requestBody"]["content"]} == {"application/json"}
    assert all({"413", "415"} <= set(op["responses"]) for op in bodies)
