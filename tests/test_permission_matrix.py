"""The permission matrix: every route of the URL conf, for every persona and every verb it routes, generated.

Routes are walked from ``get_resolver()`` (the API, the pages, the admin), their URLs built from the objects
of one fixture world (``tests/permission_matrix/world.py``): a new endpoint is exercised the day it is
routed, and one the generator cannot build a URL for fails ``test_every_route_is_built`` by name. What each
persona may read and write is stated once in ``tests/permission_matrix/expectations.py``, from DESIGN.md and
the predicates of ``rules.py`` (``test_expectations_agree_with_rules`` holds the two together).

For every route x persona x verb x object: never a 500; nobody logged in is refused (401/403 or the login
page); a write a persona may not make is refused and writes nothing (PostgreSQL's own counters of the
transaction); a row a persona may not read never shows, through its marker, its amount, a link to it or its
id, in what the persona gets back: lists, details, CSV and XLSX exports, the browsable API, history tabs,
the audit pages, and lists filtered by the values of the hidden rows; and an object outside one's scope
answers as one that does not exist (no existence leak).
"""

import os
import time
from collections import Counter, defaultdict

import pytest
import rules
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.test import override_settings
from django.urls import URLResolver, path
from django.urls.resolvers import RegexPattern

from tests.permission_matrix import expectations, probe
from tests.permission_matrix.matrix import Matrix, _with_query
from tests.permission_matrix.routes import (
    Unbuildable,
    all_routes,
    check_resolves,
    literal_words,
    targets,
)
from tests.permission_matrix.samples import ROUTES, UNBUILDABLE_ALLOWED, Samples
from tests.permission_matrix.world import PERSONAS, build_world

# Marked, so that pytest-django sets the test database up; the world itself is the module's (see ``matrix``).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql("writes are detected by PostgreSQL's per-transaction row counters"),
]


# --- Fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """One world for the module, in a transaction rolled back at its end; every request in a savepoint."""
    started = time.monotonic()
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        built = Matrix(build_world())
        yield built
        transaction.set_rollback(True)
    total = sum(built.counts.values())
    if total:
        elapsed = time.monotonic() - started
        print(f"\npermission matrix: {total} requests over {len(built.counts)} routes in {elapsed:.0f} s")
        if os.environ.get("PERMISSION_MATRIX_PROFILE"):
            kinds: Counter = Counter()
            spent: Counter = Counter()
            for route, count in built.counts.items():
                kind = "admin" if route.startswith("admin/") else "api" if route.startswith("api/") else "page"
                kind += " (format suffix)" if "(?P<format>" in route or "<drf_format_suffix" in route else ""
                kinds[kind] += count
                spent[kind] += built.seconds[route]
            for kind, count in kinds.most_common():
                print(f"{spent[kind]:6.1f} s {count:5d} requests  {kind}")
            for route, seconds in built.seconds.most_common(40):
                print(f"{seconds:6.1f} s {built.counts[route]:5d} requests  {route}")


# --- Tests -------------------------------------------------------------------------------------------------------


def test_every_route_is_built(matrix):
    """A route the generator cannot instantiate is a route nobody tests: name it, or teach the generator."""
    unbuilt = []
    for route in ROUTES:
        try:
            for target in targets(route, matrix.samples):
                check_resolves(route, target)
        except Unbuildable as error:
            if route.route not in UNBUILDABLE_ALLOWED:
                unbuilt.append(str(error))
    assert not unbuilt, "Routes the permission matrix cannot build a URL for:\n" + "\n".join(unbuilt)


def _route_id(route) -> str:
    # Node ids are typed on command lines: the path's words and <parameters>, joined by dots.
    return ".".join(f"<{word}>" if is_param else word for word, is_param in literal_words(route)) or "root"


def test_a_new_route_is_exercised_or_named(matrix):
    """What makes the matrix generated: a route added tomorrow is built from the world when its parameters
    name what the world holds, and named by the failure when they do not."""

    def view(request, **kwargs):
        raise AssertionError("never called")

    urlconf = URLResolver(
        RegexPattern(r"^/"), [path("pledges/<int:pk>/", view), path("gadgets/<int:gadget_id>/", view)]
    )
    known, unknown = all_routes(urlconf)
    built = targets(known, matrix.samples)
    assert [t.obj for t in built if not t.missing] == matrix.samples(apps.get_model("pledges.pledge"))
    assert [t.missing for t in built].count(True) == 1
    with pytest.raises(Unbuildable, match="gadget_id"):
        targets(unknown, matrix.samples)


def test_expectations_name_real_models():
    labels = {model._meta.label_lower for model in apps.get_models()}
    named = set(expectations.READERS) | {label for label, _ in expectations.WRITERS}
    assert named <= labels, named - labels


@pytest.mark.parametrize("route", ROUTES, ids=[_route_id(route) for route in ROUTES])
def test_route(matrix, route):
    started = time.monotonic()
    failures = matrix.run(route)
    matrix.seconds[route.route] += time.monotonic() - started
    shown = "\n".join(failures[:40])
    more = f"\n... and {len(failures) - 40} more" if len(failures) > 40 else ""
    assert not failures, f"{route.route} ({route.name}):\n{shown}{more}"


def test_markers_reach_their_readers(matrix):
    """The other side of every leak check: each hidden text is seen by a reader it is meant for, so that
    its absence elsewhere means something. The auditor reads every one in the audit log, and a delegation
    it belongs to reads it on a page or endpoint naming its object."""
    every = Samples(matrix.world, every=True)
    pages = defaultdict(list)  # (label, pk) -> the URLs that show the object
    for route in ROUTES:
        if route.is_admin or "GET" not in matrix.methods(route) or "format" in route.params:
            continue
        try:
            found = targets(route, every)
        except Unbuildable:
            continue
        for target in found:
            if target.obj is not None and not target.missing:
                pages[(target.label, target.obj.pk)].append(target.url)
    unseen = []
    for marker, audience in matrix.marker_audience.items():
        labels = _labels_holding(marker)
        texts = [matrix.get_as("auditor", f"/api/v1/history/?page_size=200&model={label}").text for label in labels]
        if not any(marker in text for text in texts):
            unseen.append(f"{marker}: not in the audit log")
        reader = next((p for p in PERSONAS if p.state and audience & matrix.tokens[p.name]), None)
        holders = [key for key in matrix.object_audience if marker in _texts_of(key)]
        if reader is None or not holders:
            continue
        urls = [url for key in holders for url in pages[key]]
        if not any(
            marker in matrix.get_as(reader.name, _with_query(url, query)).text
            for url in urls
            for query in ("", "tab=history")
        ):
            unseen.append(f"{marker}: {reader.name} never reads it, at {urls}")
    assert not unseen, "\n".join(unseen)


def test_counted_amounts_reach_their_state(matrix):
    """The submitted amounts searched for in every response are readable where they should be."""
    for digits, pledge in matrix.world.numbers.items():
        official = f"{pledge.member_state_id.lower()}_official"
        text = matrix.get_as(official, f"/api/v1/pledges/{pledge.pk}/").text
        assert digits in probe.digits(text)
        table = matrix.get_as(official, f"/api/v1/cycles/{pledge.cycle.year}/fair-shares/").text
        assert digits in probe.digits(table)


SELECTORS = {
    "pledges.pledge": "pledges.pledging.models.Pledge",  # its manager's visible_to (PledgeQuerySet)
    "pledges.activation": "pledges.implementation.selectors.activations_visible_to",
    "pledges.deductionrequest": "pledges.pledging.selectors.deductions_visible_to",
    "pledges.responsibilityoffset": "pledges.implementation.selectors.offsets_visible_to",
    "pledges.position": "pledges.negotiation.selectors.positions_visible_to",
    "solidarity.scenario": "solidarity.domain.scenarios.scenarios_visible_to",
}


def test_expectations_agree_with_rules(matrix):
    """The READERS table says what rules.py's ``view_*`` permissions and the selectors' querysets do."""
    from django.utils.module_loading import import_string

    disagreements = []
    for (label, pk), audience in matrix.object_audience.items():
        if label not in expectations.READERS:
            continue
        model = apps.get_model(label)
        obj = model._default_manager.get(pk=pk)
        permission = f"{model._meta.app_label}.view_{model._meta.model_name}"
        selector = import_string(SELECTORS[label]) if label in SELECTORS else None
        if isinstance(selector, type) and issubclass(selector, models.Model):
            selector = selector.objects.visible_to
        for persona in PERSONAS:
            user = matrix.world.users[persona.name] or AnonymousUser()
            expected = bool(audience & matrix.tokens[persona.name])
            if rules.perm_exists(permission) and user.has_perm(permission, obj) != expected:
                disagreements.append(f"{permission} of {label} {pk} for {persona.name}: rules say {not expected}")
            if selector is not None and not persona.anonymous:
                visible = selector(user).filter(pk=pk).exists()
                if visible != expected:
                    disagreements.append(f"{SELECTORS[label]} of {label} {pk} for {persona.name}: {visible}")
    assert not disagreements, "\n".join(disagreements)


def _labels_holding(marker: str) -> list[str]:
    labels = []
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None:
            continue
        history = getattr(model, manager).model
        fields = [
            f.attname for f in history._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        query = models.Q()
        for name in fields:
            query |= models.Q(**{f"{name}__contains": marker})
        if fields and history.objects.filter(query).exists():
            labels.append(model._meta.label_lower)
    return labels


def _texts_of(key) -> str:
    """Every text of an object and of its history rows."""
    label, pk = key
    model = apps.get_model(label)
    fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
    rows = list(model._default_manager.filter(pk=pk))
    if hasattr(model, "history"):
        rows += list(model.history.filter(**{model._meta.pk.attname: pk}))
    return " ".join(str(getattr(row, name, "") or "") for row in rows for name in fields)
