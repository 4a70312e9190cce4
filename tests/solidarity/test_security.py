"""Deployment security: `check --deploy`, the login lockout, CSP and security headers, generic error pages."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import include, path
from rest_framework.views import APIView

from tests.factories import TEST_PASSWORD, UserFactory, state

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "Zq8#vN2!pL5@wR7$kT1%mB4^cX9&hJ3*dF6(gS0)yU8-eA2+iO5=uY7_rW1~tE4",
    "DATABASE_URL": "postgres://registry@db.internal:5432/registry",
    "ALLOWED_HOSTS": "registry.example.eu",
    "CSRF_TRUSTED_ORIGINS": "https://registry.example.eu",
    "EMAIL_HOST": "smtp.example.eu",
    "REQUIRE_2FA": "1",
}


# --- Views that fail on purpose, to see what a client is shown --------------------------------------------


def _failing_page(request):
    raise RuntimeError("secret-internal-detail: the database password is hunter2")


class _FailingApi(APIView):
    def get(self, request):
        raise RuntimeError("secret-internal-detail in the API")


urlpatterns = [
    path("boom/", _failing_page),
    path("api/v1/boom/", _FailingApi.as_view()),
    path("", include("solidarity.urls")),
]


# --- manage.py check --deploy -------------------------------------------------------------------------


def check_deploy(**env) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_environment_variables():
    result = check_deploy(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookie_and_hsts_settings():
    expected = {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "DEBUG": False,
        "REQUIRE_2FA": True,
    }
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(expected)!r}}}))"
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "solidarity.settings",
        **PRODUCTION_ENV,
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_check_deploy_does_find_a_weak_production_setting():
    """The check above can fail: a development mail backend or no HSTS is reported."""
    result = check_deploy(**PRODUCTION_ENV, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert result.returncode != 0
    assert "mail.E001" in result.stderr
    result = check_deploy(**PRODUCTION_ENV, SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr


# --- Login lockout (django-axes) ------------------------------------------------------------------------


@pytest.mark.django_db
def test_axes_locks_the_account_after_the_configured_number_of_failures(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice", member_state=state("BE"), roles=["official"])
    for attempt in range(1, 3):
        response = client.post("/accounts/login/", {"username": "alice", "password": f"wrong-{attempt}"})
        assert response.status_code == 200, attempt
        assert "Please enter a correct username and password" in response.content.decode()
    locked = client.post("/accounts/login/", {"username": "alice", "password": "wrong-3"})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed log-in attempts" in html
    assert "<strong>alice</strong> is locked after 3 failed log-in attempts" in html
    assert "Try again in 60 minutes" in html
    assert "Content-Security-Policy" in locked.headers
    # The right password no longer opens it, from this client or a fresh one (same address).
    for other in (client, Client()):
        response = other.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
        assert response.status_code == 429
        assert "_auth_user_id" not in other.session
    # Another account from the same address is not locked.
    UserFactory(username="bob")
    assert Client().post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}).status_code == 302

    # The administrator's command unlocks it.
    call_command("axes_reset_username", "alice", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not AccessAttempt.objects.filter(username="alice").exists()
    response = client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert client.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200


@pytest.mark.django_db
def test_failures_count_through_the_admin_login_too(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(2):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": TEST_PASSWORD})
    assert response.status_code == 429


# --- CSP and security headers ---------------------------------------------------------------------------


def assert_security_headers(response) -> None:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    directives = dict([*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def production_settings(settings):
    """The production values of the settings the browser tests relax for their plain-HTTP live server (the
    values themselves are read from a fresh production start in test_production_cookie_and_hsts_settings)."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    return settings


@pytest.fixture
def https_client(production_settings):
    """A client behind the TLS-terminating proxy of production (which sets X-Forwarded-Proto)."""
    return Client(raise_request_exception=False, HTTP_X_FORWARDED_PROTO="https")


@pytest.mark.django_db
def test_pages_carry_csp_and_security_headers(https_client):
    user = UserFactory(username="alice", member_state=state("BE"), roles=["official"])
    assert_security_headers(https_client.get("/accounts/login/"))
    https_client.force_login(user)
    for url in ("/", "/pledges/", "/accounts/api-tokens/", "/accounts/two-factor/", "/no-such-page/"):
        response = https_client.get(url)
        assert response.status_code in (200, 404), url
        assert_security_headers(response)


@pytest.mark.django_db
def test_api_responses_carry_csp_and_security_headers(https_client):
    user = UserFactory(username="alice", member_state=state("BE"), roles=["official"])
    refused = https_client.get("/api/v1/member-states/")
    assert refused.status_code in (401, 403)
    assert_security_headers(refused)
    https_client.force_login(user)
    for url in ("/api/v1/member-states/", "/api/v1/pledges/", "/api/schema/", "/api/v1/no-such-thing/"):
        response = https_client.get(url)
        assert response.status_code in (200, 404), url
        assert_security_headers(response)


@pytest.mark.django_db
def test_cookies_are_secure_http_only_and_host_bound(https_client, settings):
    UserFactory(username="alice")
    page = https_client.get("/accounts/login/")
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True
    assert csrf["path"] == "/"
    assert not csrf["domain"]
    response = https_client.post(
        "/accounts/login/", {"username": "alice", "password": TEST_PASSWORD, "csrfmiddlewaretoken": csrf.value}
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["path"] == "/"
    assert not session["domain"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


# --- Generic error pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_shows_a_generic_page_without_details(https_client):
    response = https_client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    for leak in ("secret-internal-detail", "hunter2", "Traceback", "RuntimeError", "test_security"):
        assert leak not in html
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_api_server_error_is_generic_json(https_client):
    https_client.force_login(UserFactory(username="alice"))
    response = https_client.get("/api/v1/boom/")
    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "server_error"
    text = response.content.decode()
    for leak in ("secret-internal-detail", "Traceback", "RuntimeError"):
        assert leak not in text
    assert_security_headers(response)


@pytest.mark.django_db
def test_not_found_is_a_generic_page(https_client):
    response = https_client.get("/definitely-not-a-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Using the URLconf" not in response.content.decode()  # Django's technical 404 of DEBUG


# --- Swagger UI under the CSP -----------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.style_attributes, self.inline_handlers = [], [], [], []
        self._in_script = False
        self.inline_script_text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = "src" not in attributes
        if tag == "style":
            self.styles.append(attributes)
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.inline_handlers += [name for name in attributes if name.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_script_text += data


@pytest.mark.django_db
def test_the_api_docs_page_loads_under_the_csp_without_inline_script_or_style(https_client):
    https_client.force_login(UserFactory(username="alice"))
    response = https_client.get("/api/docs/")
    assert response.status_code == 200
    assert_security_headers(response)
    tags = _Tags()
    tags.feed(response.content.decode())
    assert tags.scripts, "Swagger UI's scripts are on the page"
    assert all(script.get("src") for script in tags.scripts)
    assert tags.inline_script_text.strip() == ""
    assert tags.styles == []
    assert tags.style_attributes == []
    assert tags.inline_handlers == []
    sources = [script["src"] for script in tags.scripts]
    assert any(src.endswith("swagger-ui-bundle.js") for src in sources)
    init = next(src for src in sources if "script" in src)
    assert init.startswith("/api/docs/?")
    script = https_client.get(init)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert '<link rel="stylesheet" href="/static/css/api-docs.css">' in response.content.decode()
    assert finders.find("css/api-docs.css")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_no_template_of_ours_has_inline_script_or_style():
    """Every template of the product is CSP-clean: no <style>, no inline <script>, no style= or on*= attributes."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", template.read_text())
        if re.search(r"<style[\s>]", text) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{template}: inline <style> or <script>")
        if re.search(r"\sstyle=\"", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{template}: style or event-handler attribute")
    assert offenders == []
