"""The settings fail loudly at start-up on a missing secret or a bad value, each in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "s" * 64
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, 'ENGINE': s.DATABASES['default']['ENGINE'], "
    "'NAME': s.DATABASES['default']['NAME'], 'CONN_MAX_AGE': s.DATABASES['default'].get('CONN_MAX_AGE'), "
    "'ALLOWED_HOSTS': s.ALLOWED_HOSTS, 'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE}))"
)


def start(**env) -> subprocess.CompletedProcess:
    """Import the settings with only ``env`` set (nothing inherited that the settings read)."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "solidarity.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def settings_of(**env) -> dict:
    result = start(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refuses(*messages: str, **env) -> None:
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for message in messages:
        assert message in result.stderr


def test_without_debug_a_secret_key_is_required():
    refuses("SECRET_KEY must be set when DEBUG is off")


@pytest.mark.parametrize("debug", ["0", "false", "off", ""])
def test_debug_off_in_any_spelling_still_requires_the_secret_key(debug):
    refuses("SECRET_KEY must be set when DEBUG is off", DEBUG=debug)


def test_a_short_secret_key_is_refused_in_production():
    refuses("SECRET_KEY must be at least 50 characters long", SECRET_KEY="too-short")


@pytest.mark.parametrize("debug", ["maybe", "2", "enabled"])
def test_a_bad_debug_value_is_refused(debug):
    refuses("DEBUG must be one of", repr(debug), DEBUG=debug, SECRET_KEY=GOOD_SECRET)


@pytest.mark.parametrize("url", ["not-a-url", "mongodb://localhost/registry", "postgres://user@host:port/db"])
def test_a_bad_database_url_is_refused(url):
    refuses("DATABASE_URL is not a valid database URL", DATABASE_URL=url, SECRET_KEY=GOOD_SECRET)


def test_a_bad_connection_age_is_refused():
    refuses(
        "CONN_MAX_AGE must be a whole number",
        CONN_MAX_AGE="a minute",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/registry",
        SECRET_KEY=GOOD_SECRET,
    )


def test_production_settings_take_every_value_from_the_environment():
    values = settings_of(
        SECRET_KEY=GOOD_SECRET,
        DATABASE_URL="postgres://registry@db.internal:5432/registry",
        ALLOWED_HOSTS="registry.example.eu, api.registry.example.eu",
        CONN_MAX_AGE="120",
    )
    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == GOOD_SECRET
    assert (values["ENGINE"], values["NAME"], values["CONN_MAX_AGE"]) == (
        "django.db.backends.postgresql",
        "registry",
        120,
    )
    assert values["ALLOWED_HOSTS"] == ["registry.example.eu", "api.registry.example.eu"]
    assert values["SESSION_COOKIE_SECURE"] is True


def test_production_serves_no_host_unless_told():
    assert settings_of(SECRET_KEY=GOOD_SECRET)["ALLOWED_HOSTS"] == []


def test_development_runs_on_sqlite_with_a_throwaway_key(tmp_path):
    values = settings_of(DEBUG="1", SQLITE_PATH=str(tmp_path / "dev.sqlite3"))
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(tmp_path / "dev.sqlite3")
    assert "insecure" in values["SECRET_KEY"]
    assert values["SESSION_COOKIE_SECURE"] is False
