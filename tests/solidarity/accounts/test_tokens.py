"""API tokens: hashed at rest, several per user, each named, expiring and revocable, refused during a lockout."""

import hashlib
import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient, APIRequestFactory

from solidarity.accounts import tokens
from solidarity.accounts.models import ApiToken
from tests.factories import TEST_PASSWORD, UserFactory, state

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/api-tokens/"
PROTECTED = "/api/v1/member-states/"


@pytest.fixture
def official(db):
    return UserFactory(username="alice", member_state=state("BE"), roles=["official"])


def api_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["code"]


def test_a_user_makes_several_named_tokens_sees_each_key_once_and_revokes_one(client, official):
    _bobs, bobs_key = tokens.issue_api_token(UserFactory(username="bob"), name="Bob's")
    client.force_login(official)
    assert "You have no API token." in client.get(TOKENS).content.decode()

    made = client.post(TOKENS, {"action": "create", "name": "Nightly export", "days": "90"})
    assert made.status_code == 200 and "no-store" in made["Cache-Control"]
    html = made.content.decode()
    first = ApiToken.objects.get(user=official)
    key = html.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]
    assert len(key) == 64 and "it is not shown again" in html and "Nightly export" in html
    client.post(TOKENS, {"action": "create", "name": "Spreadsheet", "days": "7"})
    second = ApiToken.objects.get(user=official, name="Spreadsheet")
    assert timedelta(days=6) < second.expiry - timezone.now() <= timedelta(days=7)

    listing = client.get(TOKENS).content.decode()
    assert key not in listing and "Nightly export" in listing and "Spreadsheet" in listing
    assert api_with(key).get(PROTECTED).status_code == 200

    # Revoking names a token of one's own: another user's digest does nothing.
    client.post(TOKENS, {"action": "revoke", "token": _bobs.digest})
    revoked = client.post(TOKENS, {"action": "revoke", "token": first.digest}, follow=True)
    assert "The API token was revoked" in revoked.content.decode()
    assert refusal(api_with(key).get(PROTECTED)) == (401, "authentication_failed")
    assert list(ApiToken.objects.filter(user=official)) == [second]
    assert api_with(bobs_key).get(PROTECTED).status_code == 200

    client.post(TOKENS, {"action": "revoke-all"})
    assert not ApiToken.objects.filter(user=official).exists()
    assert api_with(bobs_key).get(PROTECTED).status_code == 200


def test_the_page_refuses_a_nameless_token_and_a_lifetime_beyond_the_longest(client, official, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    client.force_login(official)
    for form in ({"name": "", "days": "30"}, {"name": "Tool", "days": "90"}, {"name": "x" * 101, "days": "30"}):
        response = client.post(TOKENS, {"action": "create", **form})
        assert response.status_code == 200 and 'id="new-token"' not in response.content.decode(), form
    assert not ApiToken.objects.exists()


def test_a_token_is_stored_as_a_digest_only(official):
    token, key = tokens.issue_api_token(official, name="Script")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(value) for value in row.values()}
    assert row["digest"] == hashlib.sha512(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM solidarity_apitoken WHERE digest = %s OR token_key = %s", [key, key])
        assert cursor.fetchone() == (0,)


def test_a_token_expires_after_the_configured_lifetime(official, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    token, key = tokens.issue_api_token(official, name="Script", days=365)  # capped at the longest
    assert timedelta(days=89) < token.expiry - timezone.now() <= timedelta(days=90)
    assert api_with(key).get(PROTECTED).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    status, code = refusal(api_with(key).get(PROTECTED))
    assert (status, code) == (401, "token_expired")
    # The next token the user makes clears the expired ones away.
    tokens.issue_api_token(official, name="Script again")
    assert list(ApiToken.objects.filter(user=official).values_list("name", flat=True)) == ["Script again"]


def test_a_user_holds_a_limited_number_of_tokens(official, settings):
    settings.API_TOKENS_PER_USER = 2
    tokens.issue_api_token(official, name="one")
    tokens.issue_api_token(official, name="two")
    with pytest.raises(tokens.TokenLimitReached, match="revoke one first"):
        tokens.issue_api_token(official, name="three")


def test_a_token_reads_its_user_and_roles_in_one_query_and_asks_for_a_lockout_in_one(
    be_official, django_assert_num_queries
):
    be_official.groups.add(Group.objects.get_or_create(name="negotiator")[0])
    token, key = tokens.issue_api_token(be_official, name="Script")
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    with django_assert_num_queries(2):
        user, authenticated = tokens.TokenAuthentication().authenticate(request)
        assert user.role_names == {"official", "negotiator"}
    assert (user.pk, authenticated.pk) == (be_official.pk, token.pk)


@pytest.mark.parametrize(
    "header",
    ["Token " + "0" * 64, "Token " + "0" * 40, "Token abc\x00def", "Token " + "é" * 64, "Token", "Token a b"],
    ids=["unknown", "unknown-legacy", "nul", "not-hex", "no-key", "spaces"],
)
def test_a_bad_token_is_a_401_never_a_500(db, header):
    response = APIClient().get(PROTECTED, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_token_of_an_inactive_user_is_refused(official):
    _token, key = tokens.issue_api_token(official, name="Script")
    official.is_active = False
    official.save()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    with pytest.raises(AuthenticationFailed):
        tokens.TokenAuthentication().authenticate(request)
    assert api_with(key).get(PROTECTED).status_code == 401


def test_a_locked_out_users_tokens_are_refused_on_every_request_until_the_lock_ends(client, official, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _token, key = tokens.issue_api_token(official, name="Script")
    other_key = tokens.issue_api_token(UserFactory(username="bob"), name="Bob's")[1]
    api = api_with(key)
    assert api.get(PROTECTED).status_code == 200
    for attempt in range(3):
        client.post("/accounts/login/", {"username": "alice", "password": f"wrong-{attempt}"})
    for method, url in [("get", PROTECTED), ("get", "/api/v1/pledges/"), ("post", "/api/v1/pledges/")]:
        response = getattr(api, method)(url, {}, format="json")
        assert refusal(response) == (403, "account_locked"), url
        assert "locked" in response.json()["errors"][0]["detail"]
    assert api_with(other_key).get(PROTECTED).status_code == 200  # only the locked-out user
    call_command("axes_reset_username", "alice", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert api.get(PROTECTED).status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD}).status_code == 302


@pytest.mark.postgresql("the migration's SQL is run on the production database")
def test_the_tokens_kept_in_clear_before_are_hashed_by_the_migration_and_keep_working(official, settings):
    legacy = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, user_id bigint)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, now() - interval '400 days', %s)", [legacy, official.pk]
        )
    path = next(Path(__file__).resolve().parents[3].glob("solidarity/migrations/*_api_tokens.py"))
    migration = importlib.import_module(f"solidarity.migrations.{path.stem}")
    with connection.schema_editor() as editor:
        migration.hash_legacy_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=official)
    assert token.digest != legacy and token.created < timezone.now() - timedelta(days=399)
    assert token.expiry > timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS - 1)
    assert api_with(legacy).get(PROTECTED).status_code == 200
