"""What the tests of the cycle domain's API share: the personas, the reason, and moving a cycle along."""

from rest_framework.test import APIClient

from tests.conftest import api_as

NON_WRITERS = ["be_official", "nl_negotiator", "compliance_officer", "auditor", "outsider"]
EVERY_ROLE = ["coordinator", *NON_WRITERS]
REASON = "Entered from the Commission's decision"


def first_code(response) -> str:
    return response.json()["errors"][0]["code"]


def as_persona(request, name: str) -> APIClient:
    return api_as(request.getfixturevalue(name))


def move(client, year: int, *transitions: str, **extra):
    for name in transitions:
        response = client.post(
            f"/api/v1/cycles/{year}/transition/",
            {"transition": name, "reason": f"Stage {name}", **extra},
            format="json",
        )
        assert response.status_code == 200, response.json()
    return response


ADOPT = {"council_act_reference": "Council Implementing Decision (EU) 2025/2642", "council_act_date": "2025-12-19"}
