"""The permission matrix's vocabulary: routes, personas, the outcome of one request and the objects a
route's URL is built from (see tests/test_permission_matrix.py)."""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

from tests.permission_matrix import expectations
from tests.permission_matrix.routes import (
    all_routes,
)
from tests.permission_matrix.world import MARKER_PATTERN, PERSONAS

ROUTES = all_routes()
PERSONA = {persona.name: persona for persona in PERSONAS}
REASON = "Permission matrix probe"

# Routes anyone may call, logged in or not (by URL name), and why.
PUBLIC = {
    "health": "the load balancer's health check",
    "login": "the login page",
    "logout": "logging out",
    "admin:login": "the admin's login page",
    "schema": "the OpenAPI description of the API: no data",
    "api-docs": "the API documentation page: no data",
}
# Routes the generator may leave unbuilt, by route, and why. Keep it short: every entry is a route untested.
UNBUILDABLE_ALLOWED: dict[str, str] = {}

MARKERS = re.compile(MARKER_PATTERN)
QUOTED_PATH = re.compile(r'"(/[^"\s?#]*)')
NONCE = re.compile(r'nonce="[^"]*"|data-request-id="[^"]*"')

# The admin lets staff in and nobody else, before any of its views runs; no persona is staff. It is asked by
# nobody logged in, a delegation's official and the coordinator.
ADMIN_PERSONAS = ("anonymous", "be_official", "coordinator")
# A route with a format suffix (``pledges.json``) serves the view of the route without it.
SUFFIX_PERSONAS = ("anonymous", "be_official", "nl_official", "coordinator")
# A public route answers everyone alike: asked logged in and not.
PUBLIC_PERSONAS = ("anonymous", "be_official")
# Who reads the other renderings of a page or endpoint (CSV, XLSX, the history tab): one persona of each
# set the selectors show alike (a delegation, the other one, a member who reads no delegation's own, an
# EU-level reader of everything); every persona reads the page itself.
READERS_OF_VARIANTS = ("be_official", "nl_official", "compliance_officer", "coordinator")
# Who asks lists for what they may not see (filters by the hidden rows' values, the browsable API): one
# persona of each scope the selectors tell apart (a delegation, the other one, an EU-level role that does
# not read everything).
PROBERS = ("be_official", "nl_official", "compliance_officer")


# --- The matrix -------------------------------------------------------------------------------------------


@dataclass
class Forbidden:
    """What one persona may not read: markers, counted amounts, objects (and the links to their pages)."""

    markers: set
    numbers: list
    objects: set
    links: set = field(default_factory=set)


@dataclass
class Outcome:
    status: int
    text: str
    location: str = ""
    content_type: str = ""
    written: dict = field(default_factory=dict)
    error: str = ""


class Samples:
    """The objects a route is exercised with. ``every``: all of the world's. Else, for a model whose rows
    some may not read, one per audience (the first row of each set of readers: BE's own, NL's own, the two
    states concerned, every member...), which is what the checks tell apart; every cycle and Member State
    (a page of the pledging cycle shows what one of the adopted cycle does not); one row of any other model
    (every member reads them all alike). That keeps the matrix to minutes."""

    CONTEXT = ("solidarity.solidaritycycle", "solidarity.memberstate")

    def __init__(self, world, *, every: bool = False):
        self.world = world
        self.every = every
        self._chosen = {}

    def __call__(self, model):
        if model not in self._chosen:
            label = model._meta.label_lower
            found = self.world.objects.get(model)
            if found is None:
                found = list(model._default_manager.order_by("pk")[:1])
            elif self.every or label in self.CONTEXT:
                pass
            elif label in expectations.READERS:
                by_audience = {}
                for obj in found:
                    by_audience.setdefault(expectations.audience(label, obj), obj)
                found = list(by_audience.values())
            else:
                found = found[:1]
            self._chosen[model] = found
        return self._chosen[model]

    def models(self):
        """The models a route naming any model (the audit page of an object) is asked about: all of them, or
        those whose rows some readers may not see, and one whose rows every member reads."""
        found = list(self.world.objects)
        if self.every:
            return found
        hidden = [model for model in found if model._meta.label_lower in expectations.READERS]
        return hidden + [model for model in found if model not in hidden][:1]


def marker_audiences() -> dict[str, frozenset]:
    """Every marker in a text of a row or of one of its history rows, and who may read some row holding it."""
    pattern = re.compile(MARKER_PATTERN)
    found: dict[str, set] = defaultdict(set)
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None:
            continue
        label = model._meta.label_lower
        text_fields = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        if not text_fields:
            continue
        history = getattr(model, manager).model
        for queryset in (model._default_manager.all(), history.objects.all()):
            for row in queryset:
                for name in text_fields:
                    for marker in pattern.findall(getattr(row, name, "") or ""):
                        found[marker] |= expectations.audience(label, row)
    return {marker: frozenset(tokens) for marker, tokens in found.items()}
