"""The demo data, loaded once per module of API tests, and the OpenAPI schema as /api/schema/ serves it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from solidarity.accounts.models import User
from solidarity.accounts.tokens import issue_api_token

# The demo user of each role (solidarity.demo.DEMO_USERS).
ROLE_USERS = {
    "official": "be_official",
    "negotiator": "be_negotiator",
    "coordinator": "coordinator",
    "compliance_officer": "compliance",
    "auditor": "auditor",
}


def openapi_document() -> dict:
    """The schema as /api/schema/ serves it, as plain JSON."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


@pytest.fixture(scope="module")
def demo_api_tokens(django_db_setup, django_db_blocker):
    """The demo data (2026 in application, 2027 pledging) and an API token per role, for one module.

    Committed once rather than per test (loading it takes seconds); each test still runs in a transaction
    that is rolled back. After the module the database is emptied again (its seeded roles and Member States
    come back with the flush), so the other modules find it as they expect.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        call_command("loaddemo", "--force", stdout=StringIO())
        tokens = {
            role: issue_api_token(User.objects.get(username=username), name="API tests")[1]
            for role, username in ROLE_USERS.items()
        }
    yield tokens
    with django_db_blocker.unblock():
        call_command("flush", "--no-input", stdout=StringIO())
