"""What the API tests of pledges and of what hangs on them share: the payloads, and helpers that send a
request or read its answer. Their fixtures are in ``tests/pledges/conftest.py``."""

import threading

from django.db import connection

from solidarity.domain.models import SolidarityCycle
from tests.conftest import api_as

REASON = "Agreed in the delegation"
ADOPT = {"council_act_reference": "Council Implementing Decision (EU) 2025/2642", "council_act_date": "2025-12-19"}
FINANCIAL = {"cycle": 2026, "kind": "financial", "amount_eur": "12967500.00", "reason": REASON}
RELOCATION = {"cycle": 2026, "kind": "relocation", "quantity": 300, "reason": REASON}


def error(response) -> dict:
    return response.json()["errors"][0]


def set_stage(cycle, status: str, **values):
    # Tests start cycles in any stage; production code moves them only by transitions.
    SolidarityCycle.objects.filter(pk=cycle.pk).update(status=status, **values)
    cycle.refresh_from_db()
    return cycle


def as_persona(request, name: str):
    return api_as(request.getfixturevalue(name))


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def transition(client, pledge_id: int, name: str, **extra):
    return client.post(
        f"/api/v1/pledges/{pledge_id}/transition/", {"transition": name, "reason": REASON, **extra}, format="json"
    )


def race(user, requests: list) -> list:
    """Send each ``(method, url, body, headers)`` from its own thread at the same moment; the responses, in order."""
    start = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index, method, url, body, headers):
        client = api_as(user)
        try:
            start.wait(timeout=10)
            responses[index] = getattr(client, method)(url, body, format="json", **headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
