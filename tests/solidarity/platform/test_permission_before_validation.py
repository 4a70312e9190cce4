"""Permission is decided before validation, on every write route of the API: a role that may not make a write
is told so (403) whatever its body, before any 400 about the body or 404 about an object the body names.

Every API route and write method routed is walked (from ``get_resolver()``, as the permission matrix does,
with its fixture world), as an auditor and as every other persona whose roles do not hold the write, with
an empty body, then with an incomplete one. A detail route naming an object the persona may not read
answers 404 (its existence is not told); every other answer is 403.
"""

import pytest
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from tests.permission_matrix import expectations
from tests.permission_matrix.routes import Unbuildable, all_routes, subject_and_kind, targets
from tests.permission_matrix.samples import Samples
from tests.permission_matrix.world import PERSONAS, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql("the permission matrix's world")]

WRITE_METHODS = ("post", "put", "patch", "delete")
BODIES = ({}, {"reason": "Probe"})


def _write_routes():
    routes = []
    for route in all_routes():
        if not route.is_api or "<drf_format_suffix" in route.route or "(?P<format>" in route.route:
            continue
        for method, drf_action in route.drf_actions.items():
            if method in WRITE_METHODS:
                routes.append((route, method, drf_action))
    return routes


WRITE_ROUTES = _write_routes()


def _holds_role(persona, label, kind) -> bool:
    """Whether any of the persona's roles may make this kind of write on some object of the model."""
    return any(role == "member" or role in persona.roles for role, _ in expectations.writers(label, kind))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


def test_the_walk_covers_the_writes_of_the_issue():
    paths = {route.route for route, method, _ in WRITE_ROUTES if method == "post"}
    for collection in ("fulfilments", "deduction-requests", "offsets", "activations", "pledges", "positions"):
        assert any(path.startswith(f"api/v1/{collection}/") or path == f"api/v1/{collection}/" for path in paths), (
            collection
        )


@pytest.mark.parametrize(("route", "method", "drf_action"), WRITE_ROUTES, ids=lambda v: getattr(v, "route", v))
def test_a_role_without_the_write_is_refused_before_its_body_is_read(world, route, method, drf_action):
    label, kind = subject_and_kind(route, method, drf_action)
    try:
        found = [target for target in targets(route, Samples(world)) if not target.missing]
    except Unbuildable as error:
        pytest.fail(str(error))
    failures = []
    for persona in PERSONAS:
        if persona.anonymous or _holds_role(persona, label, kind):
            continue
        client = APIClient()
        client.force_authenticate(world.users[persona.name])
        for target in found:
            readable = target.obj is None or bool(persona.tokens & expectations.audience(target.label, target.obj))
            allowed = {403} if readable else {403, 404}
            for body in BODIES:
                with transaction.atomic():
                    response = getattr(client, method)(target.url, body, format="json")
                    transaction.set_rollback(True)
                if response.status_code not in allowed:
                    failures.append(f"{persona.name} {method.upper()} {target.url} {body}: {response.status_code}")
                elif response.status_code == 403:
                    assert response.json()["type"] == "client_error", response.content
    assert not failures, "\n".join(failures)
