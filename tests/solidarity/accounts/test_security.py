"""Accounts over HTTP: the log-in with a second factor, its set-up, idle sessions and passwords."""

import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from solidarity.accounts import security as accounts
from solidarity.accounts import tokens
from tests.factories import TEST_PASSWORD, UserFactory, state

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
TWO_FACTOR = "/accounts/two-factor/"
TOKENS = "/accounts/api-tokens/"
NEW_PASSWORD = "lantern-quiet-ribbon-77"


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (or the next one, when this one was already used)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    counter = max(now_t, device.last_t + 1)
    return str(hotp(device.bin_key, counter, digits=device.digits)).zfill(device.digits)


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    return "000000" if right != "000000" else "111111"


def with_device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


def log_in(client, username: str, password: str = TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def official(db):
    return UserFactory(username="alice", member_state=state("BE"), roles=["official"])


@pytest.fixture
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# --- Log-in without and with a second factor ------------------------------------------------------------


def test_a_user_without_second_factor_logs_in_with_the_password(client, official):
    response = log_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert logged_in(client)


def test_a_user_with_a_second_factor_is_not_logged_in_before_the_code(client, official):
    with_device(official)
    response = log_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert client.get("/").url.startswith(LOGIN)
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "Enter the code from your authenticator app" in page.content.decode()


def test_the_right_code_completes_the_log_in_and_verifies_the_session(client, official, no_throttle):
    device = with_device(official)
    log_in(client, "alice", next="/fair-shares/")
    refused = client.post(VERIFY, {"code": wrong_code(device)})
    assert refused.status_code == 200
    assert "This code is not right" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/fair-shares/"
    assert client.session["_auth_user_id"] == str(official.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert logged_in(client)


def test_a_code_cannot_be_used_twice(client, official):
    device = with_device(official)
    code = code_for(device)
    log_in(client, "alice")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = type(client)()
    log_in(other, "alice")
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


def test_wrong_codes_are_throttled(client, official):
    device = with_device(official)
    log_in(client, "alice")
    client.post(VERIFY, {"code": wrong_code(device)})
    response = client.post(VERIFY, {"code": code_for(device)})  # right, but within the delay
    assert "Too many wrong codes in a row" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_codes_send_the_user_back_to_the_password(client, official, no_throttle):
    device = with_device(official)
    log_in(client, "alice")
    for _ in range(accounts.PENDING_MAX_FAILURES - 1):
        assert client.post(VERIFY, {"code": wrong_code(device)}).status_code == 200
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert accounts.PENDING_LOGIN not in client.session
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302  # to the log-in again
    assert "_auth_user_id" not in client.session


def test_the_step_between_password_and_code_expires(client, official):
    device = with_device(official)
    log_in(client, "alice")
    session = client.session
    session[accounts.PENDING_LOGIN] = {
        **session[accounts.PENDING_LOGIN],
        "since": int(time.time()) - accounts.PENDING_LIFETIME_SECONDS - 1,
    }
    session.save()
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_first_sends_to_the_log_in(client, official):
    with_device(official)
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_an_unconfirmed_device_does_not_ask_for_a_code(client, official):
    with_device(official, confirmed=False)
    log_in(client, "alice")
    assert logged_in(client)


def test_a_session_opened_with_the_password_alone_is_held_on_the_code_page(client, official):
    """E.g. through the admin's log-in form: the middleware asks for the code before anything else."""
    device = with_device(official)
    client.force_login(official)
    response = client.get("/pledges/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=/pledges/"
    api = client.get("/api/v1/member-states/")
    assert api.status_code == 403
    assert api.json()["errors"][0]["code"] == "second_factor_required"
    # The set-up page may not be used to replace the device with the password alone.
    assert client.post(TWO_FACTOR, {"action": "start"})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=official).count() == 1
    response = client.post(VERIFY, {"code": code_for(device), "next": "/pledges/"})
    assert response["Location"] == "/pledges/"
    assert client.get("/pledges/").status_code == 200


def test_an_api_token_is_not_held_for_a_second_factor(official):
    with_device(official)
    _token, key = tokens.issue_api_token(official, name="Script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/member-states/").status_code == 200


# --- REQUIRE_2FA: coordinators and admins -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["coordinator", "staff"])
def test_with_require_2fa_coordinators_and_admins_must_set_it_up(client, settings, kind):
    settings.REQUIRE_2FA = True
    user = (
        UserFactory(username="chief", roles=["coordinator"])
        if kind == "coordinator"
        else UserFactory(username="chief", is_staff=True)
    )
    log_in(client, "chief")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=/"
    assert client.get("/api/v1/member-states/").status_code == 403
    page = client.get(TWO_FACTOR)
    assert "Your role requires two-factor authentication" in page.content.decode()
    client.post(TWO_FACTOR, {"action": "start", "next": "/"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": code_for(device), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    # ... and may not turn it off.
    response = client.post(TWO_FACTOR, {"action": "remove", "code": code_for(device)})
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_with_require_2fa_officials_still_choose(client, settings, official):
    settings.REQUIRE_2FA = True
    log_in(client, "alice")
    assert logged_in(client)


def test_without_require_2fa_a_coordinator_logs_in_with_the_password(client, settings):
    settings.REQUIRE_2FA = False
    UserFactory(username="chief", roles=["coordinator"])
    log_in(client, "chief")
    assert logged_in(client)


# --- Setting up and removing the second factor -----------------------------------------------------------


def test_a_user_sets_up_a_second_factor_with_a_qr_code(client, official, no_throttle):
    client.force_login(official)
    page = client.get(TWO_FACTOR).content.decode()
    assert "Two-factor authentication is <strong>off</strong>" in page
    assert client.post(TWO_FACTOR, {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=official)
    assert device.confirmed is False
    page = client.get(TWO_FACTOR)
    html = page.content.decode()
    assert '<svg role="img" aria-label="QR code' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    assert len(secret) == 32
    assert "no-store" in page["Cache-Control"]
    refused = client.post(TWO_FACTOR, {"action": "confirm", "code": wrong_code(device)})
    assert "This code is not right" in refused.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "Two-factor authentication is <strong>on</strong>" in client.get(TWO_FACTOR).content.decode()
    # The next log-in asks for the code.
    client.post("/accounts/logout/")
    assert log_in(client, "alice")["Location"] == VERIFY


def test_cancelling_a_set_up_leaves_nothing(client, official):
    client.force_login(official)
    client.post(TWO_FACTOR, {"action": "start"})
    client.post(TWO_FACTOR, {"action": "cancel"})
    assert not TOTPDevice.objects.filter(user=official).exists()


def test_removing_the_second_factor_takes_a_valid_code(client, official, no_throttle):
    device = with_device(official)
    log_in(client, "alice")
    client.post(VERIFY, {"code": code_for(device)})
    refused = client.post(TWO_FACTOR, {"action": "remove", "code": wrong_code(device)})
    assert "This code is not right" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=official).exists()
    response = client.post(TWO_FACTOR, {"action": "remove", "code": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=official).exists()
    assert logged_in(client)
    client.post("/accounts/logout/")
    log_in(client, "alice")
    assert logged_in(client)


def test_the_account_pages_need_a_log_in(client):
    for url in (TWO_FACTOR, TOKENS, "/accounts/password/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


# --- Sessions -----------------------------------------------------------------------------------------


def test_an_idle_session_ends(client, settings, official):
    settings.SESSION_IDLE_TIMEOUT = 600
    log_in(client, "alice")
    session = client.session
    session[accounts.LAST_SEEN] = int(time.time()) - 500
    session.save()
    assert logged_in(client)  # 500 s idle: still in, and the clock starts again
    assert client.session[accounts.LAST_SEEN] >= int(time.time()) - 5
    session = client.session
    session[accounts.LAST_SEEN] = int(time.time()) - 601
    session.save()
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "logged out after 10 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_log_in_lasts_eight_hours_at_most_and_ends_with_the_browser(client, settings, official):
    log_in(client, "alice")
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert client.session.get_expire_at_browser_close() is True
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_a_page_view_does_not_write_the_session_every_time(client, official, django_assert_max_num_queries):
    log_in(client, "alice")
    client.get("/")
    with django_assert_max_num_queries(50) as captured:
        client.get("/")
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE") and "session" in q["sql"]]


# --- Passwords ----------------------------------------------------------------------------------------


def test_password_change_applies_the_validators(client, official):
    client.force_login(official)
    refused = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in html
    assert "This password is too common." in html
    refused = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "12345678901234", "new_password2": "12345678901234"},
    )
    assert "This password is entirely numeric." in refused.content.decode()
    refused = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "alice@example.eu1", "new_password2": "alice@example.eu1"},
    )
    assert "The password is too similar to the" in refused.content.decode()
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "lantern-quiet-ribbon-77",
            "new_password2": "lantern-quiet-ribbon-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    assert logged_in(client)  # the session survives its own password change
    client.post("/accounts/logout/")
    assert log_in(client, "alice", NEW_PASSWORD)["Location"] == reverse("dashboard")


def test_the_account_links_are_in_the_header(client, official):
    client.force_login(official)
    html = client.get("/").content.decode()
    for url in (TOKENS, TWO_FACTOR, "/accounts/password/"):
        assert f'href="{url}"' in html


def test_permissions_come_from_the_rules_alone(client, be_official):
    """A row in Django's permission tables (granted through the admin, say) gives nothing: the rules decide."""

    be_official.user_permissions.add(Permission.objects.get(codename="change_solidaritycycle"))
    be_official.groups.first().permissions.add(Permission.objects.get(codename="add_position"))
    be_official = type(be_official).objects.get(pk=be_official.pk)

    assert not be_official.has_perm("solidarity.change_solidaritycycle")
    assert not be_official.has_perm("pledges.add_position")
    assert be_official.has_perm("pledges.add_pledge")  # an official's rule
    assert client.post(LOGIN, {"username": be_official.username, "password": TEST_PASSWORD}).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_session_reads_its_user_and_the_roles_in_one_query(db, django_assert_num_queries):
    nobody = UserFactory(username="no-role")
    with django_assert_num_queries(1):
        assert accounts.PasswordBackend().get_user(nobody.pk).role_names == frozenset()
