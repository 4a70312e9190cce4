"""The permission matrix's engine: every route x persona x verb x object sent, and what each answer may show
(see tests/test_permission_matrix.py)."""

import copy
import datetime
import json
import re
import traceback
from collections import Counter, defaultdict
from urllib.parse import urlencode

from django.apps import apps
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client
from django.utils import timezone

from tests.permission_matrix import expectations, probe
from tests.permission_matrix.routes import (
    Unbuildable,
    check_resolves,
    subject_and_kind,
    targets,
    viewset_model,
)
from tests.permission_matrix.samples import (
    ADMIN_PERSONAS,
    MARKERS,
    NONCE,
    PERSONA,
    PROBERS,
    PUBLIC,
    PUBLIC_PERSONAS,
    QUOTED_PATH,
    READERS_OF_VARIANTS,
    REASON,
    ROUTES,
    SUFFIX_PERSONAS,
    UNBUILDABLE_ALLOWED,
    Forbidden,
    Outcome,
    Samples,
    marker_audiences,
)
from tests.permission_matrix.world import MARKER_PATTERN, PERSONAS, STATES


class Matrix:
    def __init__(self, world):
        self.world = world
        self.samples = Samples(world)
        self.clients = {}
        self.tokens = {}
        for persona in PERSONAS:
            client = Client()
            user = world.users[persona.name]
            if user is not None:
                client.force_login(user)
            self.clients[persona.name] = client
            self.tokens[persona.name] = persona.tokens | ({f"user:{user.pk}"} if user is not None else set())
        self.marker_audience = marker_audiences()
        self.number_audience = {
            digits: expectations.audience("pledges.pledge", pledge) for digits, pledge in world.numbers.items()
        }
        self.object_audience = {
            (model._meta.label_lower, obj.pk): expectations.audience(model._meta.label_lower, obj)
            for model, objects in world.objects.items()
            for obj in objects
        }
        self.model_by_key = {model._meta.model_name: model._meta.label_lower for model in world.objects}
        self.today = timezone.localdate().isoformat()
        self.counts: Counter = Counter()
        self.seconds: Counter = Counter()
        self._forbidden: dict = {}
        self._links = None
        self._cache: dict = {}

    # What a persona may not read ------------------------------------------------------------------------

    def links(self) -> dict:
        """The URLs of the pages showing one object, by (label, pk): a link to one shows that it exists."""
        if self._links is None:
            self._links = defaultdict(set)
            for route in ROUTES:
                if route.is_api or route.is_admin or route.route.startswith("audit/"):
                    continue
                if subject_and_kind(route, "POST", None)[1] != "post":
                    continue
                try:
                    found = targets(route, self.samples)
                except Unbuildable:
                    continue
                for target in found:
                    if target.obj is not None and not target.missing and target.label:
                        self._links[(target.label, target.obj.pk)].add(target.url)
        return self._links

    def forbidden(self, persona) -> Forbidden:
        if persona.name not in self._forbidden:
            tokens = self.tokens[persona.name]
            objects = {key for key, audience in self.object_audience.items() if not audience & tokens}
            self._forbidden[persona.name] = Forbidden(
                markers={m for m, audience in self.marker_audience.items() if not audience & tokens},
                numbers=[n for n, audience in self.number_audience.items() if not audience & tokens],
                objects=objects,
                links={url for key in objects for url in self.links().get(key, ())},
            )
        return self._forbidden[persona.name]

    def leaks(self, persona, text: str, own_label: str | None, sent: str = "") -> list[str]:
        """What ``persona`` may not read in ``text`` (but what it sent itself, which a form shows back)."""
        forbidden = self.forbidden(persona)
        found = [f"marker {m}" for m in sorted(set(MARKERS.findall(text)) & forbidden.markers) if m not in sent]
        if forbidden.numbers:
            digits = probe.digits(text)
            found += [f"amount {n}" for n in forbidden.numbers if n in digits]
        paths = {prefix for path in QUOTED_PATH.findall(text) for prefix in _prefixes(path)}
        found += [f"link {path}" for path in sorted(paths & forbidden.links)]
        if text[:1] in "[{":
            for label, pk in probe.json_references(text, own_label, self.model_by_key):
                if (label, pk) in forbidden.objects:
                    found.append(f"{label} id {pk}")
        return found

    # Requests ---------------------------------------------------------------------------------------------

    def call(self, persona, method: str, url: str, *, body=None, json_body: bool = False, headers=None) -> Outcome:
        client = self.clients[persona.name]
        cookies = copy.deepcopy(client.cookies)
        if persona.anonymous:
            cache.clear()  # the anonymous throttle of the API counts per address, and the matrix is one address
        kwargs = {"headers": headers or {}}
        if body is not None:
            if json_body:
                kwargs.update(data=json.dumps(body), content_type="application/json")
            else:
                kwargs.update(data=_urlencode(body), content_type="application/x-www-form-urlencoded")
        reads = method in ("GET", "HEAD", "OPTIONS")
        before = {} if reads else probe.writes_so_far()
        try:
            with transaction.atomic():
                response = client.generic(method, url, **kwargs)
                outcome = Outcome(
                    response.status_code,
                    probe.body_text(response) if method != "HEAD" else "",
                    response.get("Location", ""),
                    response.get("Content-Type", ""),
                )
                if not reads:
                    outcome.written = probe.written(before, probe.writes_so_far())
                transaction.set_rollback(True)
        except Exception as error:
            outcome = Outcome(500, "", error="".join(traceback.format_exception_only(error)).strip())
        finally:
            client.cookies = cookies
        return outcome

    def get_as(self, persona_name: str, url: str) -> Outcome:
        key = ("get", persona_name, url)
        if key not in self._cache:
            self._cache[key] = self.call(PERSONA[persona_name], "GET", url)
        return self._cache[key]

    # What to send ---------------------------------------------------------------------------------------------

    def methods(self, route) -> list[str]:
        if route.drf_actions:
            return [method.upper() for method in route.drf_actions] + ["OPTIONS"]
        view_class = getattr(route.callback, "view_class", None) or getattr(route.callback, "cls", None)
        if view_class is not None:
            return [
                m.upper()
                for m in view_class.http_method_names
                if m not in ("head", "options", "trace") and hasattr(view_class, m)
            ]
        return ["GET", "POST"]

    def exports(self, route, target) -> list[str]:
        """The download formats the route answers (asked once, as the auditor)."""
        key = ("exports", route.route)
        if key not in self._cache:
            found = []
            for fmt, kind in (("csv", "csv"), ("xlsx", "spreadsheetml")):
                outcome = self.get_as("auditor", _with_query(target.url, f"format={fmt}"))
                if outcome.status == 200 and kind in outcome.content_type:
                    found.append(f"format={fmt}")
            self._cache[key] = found
        return self._cache[key]

    def required_query(self, route, target) -> list[str]:
        """The query a GET needs (``positions/matrix/?cycle=``): the parameters its 400 names, from the world."""
        if route.is_admin or "GET" not in self.methods(route):
            return []
        key = ("required", route.route)
        if target.missing:
            return self._cache.get(key, [])
        if key not in self._cache:
            chosen: dict[str, list[str]] = {}
            for _ in range(4):
                query = "&".join(f"{name}={values[0]}" for name, values in chosen.items())
                outcome = self.get_as("auditor", _with_query(target.url, query))
                if outcome.status != 400:
                    break
                try:
                    errors = json.loads(outcome.text).get("errors", [])
                except (ValueError, AttributeError):
                    break
                missing = [e.get("attr") for e in errors if e.get("attr") and e.get("attr") not in chosen]
                filled = {name: self.query_values(name) for name in missing}
                filled = {name: values for name, values in filled.items() if values}
                if not filled:
                    break
                chosen.update(filled)
            if not chosen:
                self._cache[key] = []
            else:
                (first, values), *rest = chosen.items()
                tail = "".join(f"&{name}={others[0]}" for name, others in rest)
                self._cache[key] = [f"{first}={value}{tail}" for value in values]
        return self._cache[key]

    def query_values(self, name: str) -> list[str]:
        """Values of a query parameter named ``name``: the world's cycles, delegations, objects, today."""
        if name in ("cycle", "year"):
            return [str(year) for year in sorted(self.world.cycles)]
        if name in ("member_state", "code", "contributing_state", "benefitting_state"):
            return list(STATES)
        if name == "at":
            return [self.today]
        pledge = self.world.objects[apps.get_model("pledges.pledge")][0]
        if name == "model":
            return [pledge._meta.label_lower]
        if name == "object_id":
            return [str(pledge.pk)]
        model = next((m for m in self.world.objects if m._meta.model_name == name), None)
        return [str(obj.pk) for obj in self.samples(model)] if model is not None else []

    def history_tab(self, route, target) -> list[str]:
        """``tab=history`` where a page shows more with it (asked once, as the auditor)."""
        if route.is_api or route.is_admin or target.obj is None:
            return []
        key = ("history", route.route)
        if key not in self._cache:
            base = self.get_as("auditor", target.url)
            tab = self.get_as("auditor", _with_query(target.url, "tab=history"))
            same = NONCE.sub("", tab.text) == NONCE.sub("", base.text)
            self._cache[key] = ["tab=history"] if tab.status == 200 and not same else []
        return self._cache[key]

    def filter_params(self, route, target) -> list[str]:
        """The names a list is filtered by: the API's FilterSet, or the fields of a page's GET forms."""
        key = ("filters", route.route)
        if key not in self._cache:
            names: list[str] = []
            if route.is_api:
                filterset = getattr(route.viewset, "filterset_class", None)
                if filterset is not None and route.drf_actions.get("get") == "list":
                    names = [n for n, f in filterset.base_filters.items() if "Range" not in type(f).__name__]
            elif not route.is_admin:
                outcome = self.get_as("auditor", target.url)
                if outcome.status == 200:
                    for form in probe.forms_of(outcome.text):
                        if form.method == "get":
                            names += [name for name, _ in form.fields if name not in names]
            self._cache[key] = [name for name in names if name not in ("format", "page", "cursor", "ordering", "sort")]
        return self._cache[key]

    def filter_probes(self, route, target, persona) -> list[str]:
        """Query strings asking a list for the rows ``persona`` may not read, by the values of those rows."""
        names = self.filter_params(route, target)
        if not names:
            return []
        hidden = self.forbidden(persona).objects
        model = viewset_model(route) if route.is_api else None
        label = model._meta.label_lower if model else None
        rows = [
            obj
            for model_, objects in self.world.objects.items()
            for obj in objects
            if (model_._meta.label_lower, obj.pk) in hidden and (label is None or model_._meta.label_lower == label)
        ]
        queries = []
        for name in names:
            values = []
            for row in rows:
                value = _probe_value(row, name)
                if value is not None and value not in values:
                    values.append(value)
            queries += [f"{name}={value}" for value in values[:3]]
        return queries[:4]

    def api_representation(self, url: str) -> dict | None:
        outcome = self.get_as("auditor", url)
        if outcome.status != 200:
            return None
        try:
            data = json.loads(outcome.text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def create_templates(self, route) -> list[tuple[object, dict]]:
        """Bodies for a create: objects of the world as the auditor reads them (one of each delegation)."""
        key = ("templates", route.route)
        if key not in self._cache:
            model = viewset_model(route)
            detail = next(
                (
                    other
                    for other in ROUTES
                    if other.viewset is route.viewset
                    and other.drf_actions.get("get") == "retrieve"
                    and "format" not in other.params
                ),
                None,
            )
            found = []
            if model is not None and detail is not None:
                label = model._meta.label_lower
                owned = [o for o in self.samples(model) if "state:NL" in self.object_audience.get((label, o.pk), ())]
                chosen = (owned or self.samples(model))[:1]
                for target in targets(detail, self.samples):
                    # One delegation's object: the other delegation must be refused, its own may create.
                    if target.obj in chosen and not target.missing:
                        body = self.api_representation(target.url)
                        if body is not None:
                            body.pop("id", None)
                            found.append((target.obj, {**body, "reason": REASON}))
            self._cache[key] = found or [(None, {"reason": REASON})]
        return self._cache[key]

    def page_form(self, route, target, label, kind, subject) -> dict:
        """The form a permitted user would post to the URL, filled in; else a reason alone."""
        key = ("form", target.url)
        if key not in self._cache:
            author = next(
                (p for p in PERSONAS if expectations.may_write(p, label, kind, subject)),
                PERSONA["auditor"],
            )
            path = target.url.split("?")[0]
            form = None
            for page in (path, path.rstrip("/").rsplit("/", 1)[0] + "/"):
                outcome = self.get_as(author.name, page)
                if outcome.status != 200:
                    continue
                form = next(
                    (
                        f
                        for f in probe.forms_of(outcome.text)
                        if f.method == "post" and (f.action in (path, target.url) or (page == path and not f.action))
                    ),
                    None,
                )
                if form is not None:
                    break
            self._cache[key] = (
                probe.filled(form, reason=REASON, today=self.today) if form is not None else {"reason": REASON}
            )
        return self._cache[key]

    def requests(self, route, target, method: str, persona):
        """(query, body, json?, headers, subject, kind) of each request of one route, target, verb, persona."""
        label, kind = None, "read"
        if method in ("GET", "OPTIONS", "HEAD"):
            required = self.required_query(route, target)
            queries = required or [""]
            if method == "GET" and not target.missing and persona.name in READERS_OF_VARIANTS:
                queries += [_joined(required[:1], extra) for extra in self.exports(route, target)]
                queries += self.history_tab(route, target)
                if persona.name in PROBERS:
                    if route.is_api and route.drf_actions.get("get") == "list":
                        queries.append(_joined(required[:1], "format=api"))
                    queries += [_joined(required[:1], probe) for probe in self.filter_probes(route, target, persona)]
            for query in queries:
                yield query, None, False, {}, None, None, "read"
            return
        if route.is_api:
            action = route.drf_actions.get(method.lower())
            label, kind = subject_and_kind(route, method, action)
            version = getattr(target.obj, "version", 1) if target.obj is not None else 1
            if_match = {"If-Match": f'"{version}"'}
            if action == "create":
                for template, body in self.create_templates(route):
                    yield "", body, True, {}, template, label, kind
            elif action in ("update", "partial_update"):
                body = self.api_representation(target.url) if not target.missing else None
                yield "", {**(body or {}), "reason": REASON}, True, if_match, target.obj, label, kind
            elif action == "destroy":
                yield f"reason={REASON.replace(' ', '+')}", None, True, if_match, target.obj, label, kind
            elif action == "transition":
                body = {"transition": _transition_for(target.obj), "reason": REASON, "version": version}
                yield "", body, True, if_match, target.obj, label, kind
            else:
                yield "", {"reason": REASON}, True, {}, target.obj, label, kind
            return
        label, kind = subject_and_kind(route, method, None)
        if label == "dynamic":
            label = target.label
        # The URL's object is the subject when the write is on it (its scope decides); else on a collection.
        subject = target.obj if target.obj is not None and target.obj._meta.label_lower == label else None
        yield "", self.page_form(route, target, label, kind, subject), False, {}, subject, label, kind

    # Judging ------------------------------------------------------------------------------------------------

    def run(self, route) -> list[str]:
        try:
            found = targets(route, self.samples)
            for target in found:
                check_resolves(route, target)
        except Unbuildable as error:
            if route.route in UNBUILDABLE_ALLOWED:
                return []
            return [f"no URL can be built: {error}"]
        public = route.name in PUBLIC
        own_label = viewset_model(route)._meta.label_lower if route.is_api and viewset_model(route) else None
        failures = []
        ordered = [t for t in found if t.missing] + [t for t in found if not t.missing]
        personas = PERSONAS
        if route.is_admin:
            personas = [PERSONA[name] for name in ADMIN_PERSONAS]
            ordered = [t for t in ordered if not t.missing][:1] or ordered[:1]
        elif public:
            personas = [PERSONA[name] for name in PUBLIC_PERSONAS]
        if "format" in route.params:
            # The view of the route without the suffix (tested in full), rendered in the format named.
            personas = [PERSONA[name] for name in SUFFIX_PERSONAS]
            ordered = [t for t in ordered if not t.missing][:1] or ordered[:1]
        first = next((t for t in ordered if not t.missing), None)
        asked = set()
        on_missing: dict = {}  # (persona's standing, method) -> status of an object that does not exist
        for persona in personas:
            hidden = self.forbidden(persona).objects
            for target in ordered:
                standing = self.standing(persona, target)
                if standing is not None:
                    # Personas that stand alike to an object of the route (same roles; it hidden from them, or
                    # theirs through the same attribute, or visible to them) get the same answer: one asks, once.
                    if target.label not in expectations.READERS:
                        standing = (*standing, target.url)  # a cycle, a state: each its own page
                    if standing in asked:
                        continue
                    asked.add(standing)
                for method in self.methods(route):
                    if method == "OPTIONS" and target is not first and not target.missing:
                        continue  # what may be done is described alike for every object of the route
                    if method == "PUT" and target is not first and not target.missing:
                        continue  # PUT and PATCH are one update; PATCH asks about every object
                    for query, body, json_body, headers, subject, label, kind in self.requests(
                        route, target, method, persona
                    ):
                        url = _with_query(target.url, query)
                        outcome = self.call(persona, method, url, body=body, json_body=json_body, headers=headers)
                        self.counts[route.route] += 1
                        where = f"{persona.name} {method} {url}"
                        problems = self.judge(route, persona, method, outcome, public, label, kind, subject)
                        sent = json.dumps(body) if body is not None else ""
                        problems += [f"leaks {leak}" for leak in self.leaks(persona, outcome.text, own_label, sent)]
                        # Outside one's scope an object answers as one that does not exist.
                        roles = (persona.roles, persona.anonymous, method)
                        base = query in (self.required_query(route, target) or [""])
                        if base and target.missing:
                            on_missing[roles] = outcome.status
                        elif (
                            base
                            and target.obj is not None
                            and (target.label, target.obj.pk) in hidden
                            and roles in on_missing
                            and outcome.status != on_missing[roles]
                            and not persona.anonymous
                        ):
                            problems.append(
                                f"answers {outcome.status} where a missing object answers {on_missing[roles]}"
                            )
                        failures += [f"{where}: {problem}" for problem in problems]
        return failures

    def standing(self, persona, target):
        """How ``persona`` stands to the object ``target`` names: its roles, and whether the object is hidden
        from it, or its own through which attributes (READERS' states, its author), or visible to it; None for a
        target naming no object (a list differs for each delegation)."""
        if target.missing:
            return (persona.roles, persona.anonymous, "missing")
        if target.obj is None or target.label is None:
            return None
        hidden = (target.label, target.obj.pk) in self.forbidden(persona).objects
        readers = expectations.READERS.get(target.label)
        through = ()
        if readers is not None and persona.state:
            through = tuple(p for p in readers.states if expectations.resolve(target.obj, p) == persona.state)
        user = self.world.users[persona.name]
        if readers is not None and user is not None:
            through += tuple(p for p in readers.users if expectations.resolve(target.obj, p) == user.pk)
        return (persona.roles, persona.anonymous, hidden, through)

    def judge(self, route, persona, method, outcome: Outcome, public, label, kind, subject) -> list[str]:
        problems = []
        if outcome.status >= 500:
            problems.append(f"{outcome.status} {outcome.error}")
            return problems
        write = method not in ("GET", "HEAD", "OPTIONS")
        if outcome.written and (not write or not expectations.may_write(persona, label, kind, subject)):
            problems.append(f"wrote {outcome.written} (status {outcome.status})")
        if public:
            return problems
        login_page = "/admin/login/" if route.is_admin else "/accounts/login/"
        if route.is_admin:
            # Nobody in the matrix is staff: the admin sends every one of them to its login page.
            if outcome.status != 302 or "/admin/" not in outcome.location:
                problems.append(f"the admin answered {outcome.status} to someone not staff")
            return problems
        if persona.anonymous:
            if not (outcome.status in (401, 403) or (outcome.status == 302 and login_page in outcome.location)):
                problems.append(f"answered {outcome.status} to nobody logged in")
            return problems
        refused = outcome.status in expectations.refused_statuses(kind)
        if write and not refused and not expectations.may_write(persona, label, kind, subject):
            problems.append(f"a {kind} of {label} not permitted answered {outcome.status}")
        return problems


def _prefixes(path: str):
    """``/pledges/12/edit/`` and the pages it lies under: ``/pledges/12/``, ``/pledges/``."""
    parts = path.split("/")
    for end in range(2, len(parts) + 1):
        yield "/".join(parts[:end]) + ("" if end == len(parts) else "/")


def _joined(base: list[str], extra: str) -> str:
    return "&".join([*base, extra]) if extra else "&".join(base)


def _urlencode(data: dict) -> str:
    return urlencode(data, doseq=True)


def _with_query(url: str, query: str) -> str:
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _transition_for(obj) -> str:
    """A transition the object could take now (permission aside), else the first it knows."""
    if obj is None:
        return "submit"
    names = getattr(obj, "USER_TRANSITIONS", None) or getattr(obj, "TRANSITIONS", None) or ()
    for model_field in obj._meta.concrete_fields:
        getter = getattr(obj, f"get_available_{model_field.name}_transitions", None)
        if getter is not None:
            available = [t.name for t in getter() if t.name in names]
            if available:
                return available[0]
    return names[0] if names else "submit"


def _probe_value(row, name: str):
    """The value of filter ``name`` that would pick ``row``, as a query string has it; None if none does."""
    if name in ("q", "search", "text", "query"):
        match = next(
            (
                found
                for f in row._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField)
                for found in re.findall(MARKER_PATTERN, getattr(row, f.attname, "") or "")
            ),
            None,
        )
        return match
    try:
        value = getattr(row, name)
    except Exception:
        return None
    if value is None:
        value = getattr(row, f"{name}_id", None)
    if isinstance(value, models.Model):
        value = value.year if hasattr(value, "year") and value._meta.model_name == "solidaritycycle" else value.pk
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | datetime.date) or type(value).__name__ == "Decimal":
        text = str(value)
        return text if text and len(text) < 60 else None
    return None
