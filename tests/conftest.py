"""Named personas and shared fixtures: an official of BE, an official of NL, negotiators, the coordinator..."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from solidarity.domain.models import ReferenceFigure
from tests.factories import CycleFactory, UserFactory, state

DATA = Path(__file__).resolve().parent.parent / "solidarity" / "domain" / "data"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """History tables refuse TRUNCATE; the test sessions, which empty the database between tests, may."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        database.setdefault("OPTIONS", {})["options"] = "-c registry.allow_history_truncate=on"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    for item in items:
        if marker := item.get_closest_marker("postgresql"):
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {marker.args[0]}"))


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Test requests come over plain HTTP, and hashing a persona's password slowly buys nothing here.
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages are rendered without a collectstatic run; the manifest storage of production needs one.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # One process runs the tests: the throttles count in memory, afresh for each test, so that no test is
    # throttled by the requests of the tests before it, and none pays the queries of the database cache. The
    # shared caches (Redis, the database's) have their own tests (tests/solidarity/accounts/test_throttling.py).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()


@pytest.fixture
def be_official(db):
    return UserFactory(username="be_official", member_state=state("BE"), roles=["official"])


@pytest.fixture
def nl_official(db):
    return UserFactory(username="nl_official", member_state=state("NL"), roles=["official"])


@pytest.fixture
def be_negotiator(db):
    return UserFactory(username="be_negotiator", member_state=state("BE"), roles=["negotiator"])


@pytest.fixture
def nl_negotiator(db):
    return UserFactory(username="nl_negotiator", member_state=state("NL"), roles=["negotiator"])


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coordinator", roles=["coordinator"])


@pytest.fixture
def compliance_officer(db):
    return UserFactory(username="compliance", roles=["compliance_officer"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["auditor"])


@pytest.fixture
def outsider(db):
    """Logged in, but with no role and no delegation."""
    return UserFactory(username="outsider")


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def cycle_2026_figures():
    """The shipped 2026 reference figures, keyed by state code."""
    with (DATA / "reference_data_2026.csv").open(newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def cycle_with_figures(db, cycle_2026_figures):
    """A 2026-like cycle (21 000 relocations / EUR 420 million) with the shipped figures."""
    cycle = CycleFactory(year=2026, reference_relocations=21000, reference_financial_eur=Decimal("420000000.00"))
    for code, row in cycle_2026_figures.items():
        ReferenceFigure.objects.create(
            cycle=cycle,
            member_state=state(code),
            population=int(row["population"]),
            gdp_eur_million=Decimal(row["gdp_eur_million"]),
        )
    return cycle
