"""Throttling: clients that do not authenticate are limited by address before any 401, in a cache all workers share."""

import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from solidarity.accounts import tokens

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
PROTECTED = "/api/v1/member-states/"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min"})


def statuses(client: APIClient, count: int, url: str = PROTECTED) -> list[int]:
    return [client.get(url).status_code for _ in range(count)]


def test_anonymous_requests_to_protected_endpoints_are_throttled_before_the_401(three_a_minute):
    client = APIClient()
    assert statuses(client, 4) == [401, 401, 401, 429]
    refused = client.get("/api/v1/pledges/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["errors"][0]["code"] == "throttled"
    # Per address: another client has its own allowance.
    assert APIClient(REMOTE_ADDR="192.0.2.7").get(PROTECTED).status_code == 401


def test_refused_tokens_are_throttled_by_address_and_a_valid_token_still_works(three_a_minute, be_official):
    _token, key = tokens.issue_api_token(be_official, name="Script")
    guesser = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert statuses(guesser, 4) == [401, 401, 401, 429]
    # An X-Forwarded-For header does not make a new client.
    assert guesser.get(PROTECTED, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # The user with a valid token from the same address counts against the user's own rate, not the address's.
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(PROTECTED).status_code == 200


def test_the_rates_come_from_the_settings_and_the_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])",
        ],
        cwd=ROOT,
        env={**os.environ, "API_THROTTLE_ANON": "7/min", "API_THROTTLE_USER": "9/hour"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "{'anon': '7/min', 'user': '9/hour'}", result.stderr


def test_the_cache_is_redis_with_redis_url_and_the_database_without():
    show = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    backends = []
    for extra in ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, {"REDIS_URL": ""}):
        env = {**os.environ, **extra}
        result = subprocess.run(
            [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        backends.append(result.stdout.strip())
    assert backends == [
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.db.DatabaseCache",
    ]


def test_the_database_cache_counts_in_its_table_made_by_migrate(three_a_minute, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "registry_cache"}
    }
    call_command("migrate", verbosity=0)  # the table comes with every migrate (none when Redis was set before)
    assert "registry_cache" in connection.introspection.table_names()
    assert statuses(APIClient(), 4) == [401, 401, 401, 429]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_cache WHERE cache_key LIKE %s", ["%throttle_anon_127.0.0.1"])
        assert cursor.fetchone() == (1,)


# --- Redis: the count is one for every process ----------------------------------------------------------------


def redis_settings(prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }


@pytest.fixture
def redis_cache(settings):
    """The Redis cache of production, under a key prefix of this test alone; CI must have Redis running."""
    prefix = f"registry-test-{uuid.uuid4().hex}"
    settings.CACHES = redis_settings(prefix)
    try:
        cache.get("ping")
    except Exception as error:  # Redis is not running here
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    yield prefix
    client = cache._cache.get_client(write=True)  # the keys of this test only: Redis may serve others too
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    caches["default"].close()


SUBPROCESS_REQUESTS = """
import django, json, sys
django.setup()
from django.test import Client
address = sys.argv[1]
print(json.dumps([Client(REMOTE_ADDR=address).get("/api/v1/member-states/").status_code for _ in range(2)]))
"""


@pytest.mark.usefixtures("three_a_minute")
def test_with_redis_two_processes_count_against_one_budget(redis_cache, settings):
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
    other_process = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_REQUESTS, address],
        cwd=ROOT,
        env={
            **os.environ,
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": redis_cache,
            "API_THROTTLE_ANON": "3/min",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(other_process.stdout.strip().splitlines()[-1]) == [401, 401], other_process.stderr
    # This process sees the two requests of the other: its third is the last one allowed.
    assert statuses(APIClient(REMOTE_ADDR=address), 2) == [401, 429]
    # And a second connection to Redis reads the same count the throttle keeps.
    second = caches.create_connection("default")
    try:
        assert len(second.get(f"throttle_anon_{address}")) == 3
    finally:
        second.close()
