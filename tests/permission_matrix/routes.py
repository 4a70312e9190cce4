"""Every URL pattern of the project, walked from ``get_resolver()``, and its concrete URLs in the world.

A route's parameters are filled from the world's objects: ``pk`` (and ``object_id``) by an object of the
route's model (the viewset's model for the API, the ModelAdmin's for the admin, the collection named by the
path segment before it for pages), ``<x>_id`` / ``<x>_pk`` by an object of the model ``x`` names, ``year``
by a cycle, ``code`` by a Member State, ``model`` by an audited model's label. A parameter none of these
fill makes the route unbuildable, and the matrix fails naming it.
"""

import functools
import itertools
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.text import slugify

from solidarity.domain.models import MemberState, SolidarityCycle

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# A named group, or an unnamed one (the admin's history pages): unnamed ones are called _1, _2...
REGEX_PARAM = re.compile(r"\((?:\?P<(?P<name>\w+)>|(?!\?))(?P<body>(?:[^()]|\([^()]*\))*)\)")
MISSING_ID = 987654321

# Path words that do not name their model by its own name.
ALIASES = {
    "deductions": "pledges.deductionrequest",
    "offsets": "pledges.responsibilityoffset",
    "meetings": "pledges.forummeeting",
    "plan": "compliance.actionplan",
    "secondary-movements": "compliance.secondarymovementindicator",
    "accounts": "solidarity.user",
}

# Path words that say what a page does with its object (or its collection); other pages only show.
ACTION_WORDS = {
    "new": "create",
    "request": "create",
    "edit": "update",
    "transition": "transition",
    "answer": "transition",
    "decide": "transition",
    "fulfilment": "fulfil",
    "propose": "propose",
    "delete": "delete",
}


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, as ResolverMatch.route gives it
    name: str  # namespaced name, or the route when unnamed
    pattern_pieces: tuple  # (pattern string, is_regex, pattern object) from the root to the URLPattern
    callback: object
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/v1/")

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def viewset(self):
        return getattr(self.callback, "cls", None)

    @property
    def drf_actions(self) -> dict:
        return getattr(self.callback, "actions", None) or {}

    @property
    def model_admin(self):
        return getattr(self.callback, "model_admin", None)

    @property
    def id(self) -> str:
        return self.route


def _regex_params(piece: str):
    """(name, body) of the groups of a regex piece; unnamed ones are numbered _1, _2..."""
    numbered = itertools.count(1)
    return [(match.group("name") or f"_{next(numbered)}", match.group("body")) for match in REGEX_PARAM.finditer(piece)]


def _params(piece: str, is_regex: bool) -> list[str]:
    if is_regex:
        return [name for name, _ in _regex_params(piece)]
    return [match.group("name") for match in ROUTE_PARAM.finditer(piece)]


def all_routes(resolver=None) -> list[Route]:
    """Every URLPattern under ``resolver`` (the project's root one by default), with its full route."""
    routes = []

    def walk(resolver, pieces, namespaces):
        for entry in resolver.url_patterns:
            pattern = entry.pattern
            piece = (str(pattern), type(pattern).__name__ == "RegexPattern", pattern)
            if isinstance(entry, URLResolver):
                walk(entry, [*pieces, piece], [*namespaces, entry.namespace] if entry.namespace else namespaces)
            elif isinstance(entry, URLPattern):
                full = ""
                for text, _, _ in [*pieces, piece]:
                    full = URLResolver._join_route(full, text) if full else text
                name = ":".join([*namespaces, entry.name]) if entry.name else full
                params = tuple(p for text, is_regex, _ in [*pieces, piece] for p in _params(text, is_regex))
                routes.append(Route(full, name, (*pieces, piece), entry.callback, params))

    walk(resolver or get_resolver(), [], [])
    return routes


def _fill_regex(text: str, values: dict) -> str:
    numbered = itertools.count(1)
    text = REGEX_PARAM.sub(lambda m: str(values[m.group("name") or f"_{next(numbered)}"]), text)
    return text.removeprefix("^").removesuffix("$").replace(r"\.", ".").replace("/?", "/")


def _fill_route(text: str, pattern, values: dict) -> str:
    converters = getattr(pattern, "converters", {})

    def value(match):
        converter = converters.get(match.group("name"))
        raw = values[match.group("name")]
        return converter.to_url(str(raw)) if converter is not None else str(raw)

    return ROUTE_PARAM.sub(value, text)


def fill(route: Route, values: dict) -> str:
    """The concrete path of ``route`` with ``values`` for its parameters."""
    parts = [
        _fill_regex(text, values) if is_regex else _fill_route(text, pattern, values)
        for text, is_regex, pattern in route.pattern_pieces
    ]
    return "/" + "".join(parts)


# --- Which model a parameter names ------------------------------------------------------------------------


@functools.cache
def _model_words() -> dict[str, type]:
    words = {}
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        meta = model._meta
        for word in (
            meta.model_name,
            f"{meta.model_name}s",
            slugify(str(meta.verbose_name)),
            slugify(str(meta.verbose_name_plural)),
        ):
            words.setdefault(word, model)
    for word, label in ALIASES.items():
        words[word] = apps.get_model(label)
    return words


def _name_groups(text: str) -> str:
    numbered = itertools.count(1)
    return REGEX_PARAM.sub(lambda m: "<" + (m.group("name") or f"_{next(numbered)}") + ">", text)


def literal_words(route: Route) -> list[tuple[str, bool]]:
    """The path split in segments: (word, is_parameter), for the page route grammar."""
    segments = []
    for text, is_regex, _ in route.pattern_pieces:
        cleaned = _name_groups(text) if is_regex else text
        cleaned = ROUTE_PARAM.sub(lambda m: "<" + m.group("name") + ">", cleaned)
        for word in cleaned.strip("^$/").replace(r"\.", "/").replace("/?", "").split("/"):
            if word:
                segments.append((word.strip("<>"), word.startswith("<")))
    return segments


def viewset_model(route: Route):
    viewset = route.viewset
    if viewset is None:
        return None
    queryset = getattr(viewset, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(viewset, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def param_model(route: Route, name: str):
    """The model whose object fills parameter ``name`` of ``route``; None when it names no object."""
    words = _model_words()
    if name in OBJECT_PARAMS:
        if route.is_api:
            return viewset_model(route)
        if route.model_admin is not None:
            return route.model_admin.model
        segments = literal_words(route)
        index = [word for word, _ in segments].index(name)
        for word, is_param in reversed(segments[:index]):
            if not is_param:
                return words.get(word)
        return None
    for suffix in ("_id", "_pk"):
        if name.endswith(suffix) and name != "content_type_id":
            return words.get(name.removesuffix(suffix).replace("_", "-"))
    return None


def subject_and_kind(route: Route, method: str, drf_action: str | None) -> tuple[str | None, str]:
    """The model label a write acts on and its kind (see expectations.WRITERS)."""
    if route.is_api:
        model = viewset_model(route)
        label = model._meta.label_lower if model else None
        kind = {
            "create": "create",
            "update": "update",
            "partial_update": "update",
            "destroy": "delete",
            "transition": "transition",
        }.get(drf_action, drf_action or "post")
        return label, kind
    if route.model_admin is not None:
        return route.model_admin.model._meta.label_lower, "admin"
    segments = literal_words(route)
    words = _model_words()
    # The kind: the last action word of the path ("post" without one). The subject: the object a parameter
    # after the action word names (propose/<pledge_id>); else, going back from the action word (or the
    # end), the first parameter naming an object or word naming a collection.
    actions = [i for i, (word, is_param) in enumerate(segments) if not is_param and word in ACTION_WORDS]
    action_at = actions[-1] if actions else len(segments)
    kind = ACTION_WORDS[segments[action_at][0]] if actions else "post"

    def named(word, is_param):
        if is_param:
            return {"year": SolidarityCycle, "code": MemberState}.get(word) or param_model(route, word)
        return words.get(word)

    subject = None
    for word, is_param in reversed(segments[action_at + 1 :]):
        if is_param and (subject := named(word, is_param)) is not None:
            break
    if subject is None:
        for word, is_param in reversed(segments[:action_at]):
            if (subject := named(word, is_param)) is not None:
                break
    if "model" in route.params:
        subject = "dynamic"
    return (subject._meta.label_lower if subject not in (None, "dynamic") else subject), kind


# --- Concrete URLs --------------------------------------------------------------------------------------


@dataclass
class Target:
    """One concrete URL of a route, with the object it names (if any)."""

    url: str
    obj: object = None
    label: str | None = None  # the named object's model
    missing: bool = False  # names an object that does not exist
    values: dict = field(default_factory=dict)


class Unbuildable(Exception):
    pass


OBJECT_PARAMS = ("pk", "object_id", "id", "_1")


def _is_object_param(name: str) -> bool:
    if name in OBJECT_PARAMS:
        return True
    return name.endswith(("_id", "_pk")) and name != "content_type_id"


def _free_text_params(route: Route) -> set[str]:
    """Parameters matching anything (the admin's catch-all ``.*``): any text fills them."""
    free = set()
    for text, is_regex, _ in route.pattern_pieces:
        if is_regex:
            free.update(name for name, body in _regex_params(text) if body in (".*", ".+"))
    return free


def _values_for_object(route: Route, obj, param: str) -> dict:
    values = {param: obj.pk}
    for other in route.params:
        if other == param:
            continue
        if other == "year":
            cycle = obj if isinstance(obj, SolidarityCycle) else getattr(obj, "cycle", None)
            if cycle is None:
                raise Unbuildable(f"{route.route}: no cycle year for a {type(obj).__name__}")
            values["year"] = cycle.year
        elif other == "format":
            values["format"] = "json"
        elif other == "model":
            values["model"] = obj._meta.label_lower
        elif other == "_2" and param == "_1":
            # The admin's page of one history row of the object.
            record = obj.history.order_by("-history_id").first() if hasattr(obj, "history") else None
            values["_2"] = record.history_id if record else MISSING_ID
        else:
            raise Unbuildable(f"{route.route}: cannot fill {other!r} beside {param!r}")
    return values


def targets(route: Route, samples) -> list[Target]:
    """The URLs that exercise ``route``: one per sample object it may name, plus one naming none that exists.

    ``samples(model)`` gives the world's objects of a model worth a URL. Raises Unbuildable.
    """
    params = [p for p in route.params if p not in _free_text_params(route)]
    free = {name: "matrix-probe/" for name in _free_text_params(route)}
    object_params = [p for p in params if _is_object_param(p)]
    if "content_type_id" in params:
        found = []
        for model in samples.models():
            for obj in samples(model)[:1]:
                content_type = ContentType.objects.get_for_model(model)
                values = {"content_type_id": content_type.pk, "object_id": obj.pk}
                found.append(Target(fill(route, values), obj, model._meta.label_lower, values=values))
        return found
    if "app_label" in params:
        text = "".join(text for text, _, _ in route.pattern_pieces)
        match = re.search(r"\(\?P<app_label>([\w|]+)\)", text)
        labels = match.group(1).split("|") if match else []
        if not labels:
            raise Unbuildable(f"{route.route}: no app label to fill")
        return [Target(fill(route, {"app_label": labels[0]}))]
    if "model" in params:
        # The audit page of one object of any audited model.
        found = []
        param = next(p for p in params if p != "model")
        for model in samples.models():
            if getattr(model._meta, "simple_history_manager_attribute", None) is None:
                continue
            for obj in samples(model)[:1]:
                values = _values_for_object(route, obj, param)
                found.append(Target(fill(route, values), obj, model._meta.label_lower, values=values))
        model = samples.models()[0]
        found.append(
            Target(fill(route, {"model": model._meta.label_lower, param: MISSING_ID}), None, None, missing=True)
        )
        return found
    if len(object_params) > 1:
        raise Unbuildable(f"{route.route}: several object parameters {object_params}")
    if object_params:
        param = object_params[0]
        model = param_model(route, param)
        if model is None:
            raise Unbuildable(f"{route.route}: parameter {param!r} names no model the matrix knows")
        found = []
        for obj in samples(model):
            values = {**free, **_values_for_object(route, obj, param)}
            found.append(Target(fill(route, values), obj, model._meta.label_lower, values=values))
        if found:
            missing = {**found[0].values, param: MISSING_ID}
        elif route.is_admin:
            # Models of other apps (login records, devices) the world has none of: the admin answers a
            # user who is not staff before it looks for the object, so a missing one exercises the route.
            missing = {param: MISSING_ID, **free, **({"_2": MISSING_ID} if "_2" in params else {})}
        else:
            raise Unbuildable(f"{route.route}: the world has no {model.__name__} to name")
        found.append(Target(fill(route, missing), None, model._meta.label_lower, missing=True))
        return found
    # No object: cycles by year, states by code, formats.
    choices = [{}]
    for param in params:
        if param == "year":
            options = [(cycle.year, cycle) for cycle in samples(SolidarityCycle)]
        elif param == "code":
            options = [(state.code, state) for state in samples(MemberState)]
        elif param == "format":
            options = [("json", None)]
        else:
            raise Unbuildable(f"{route.route}: cannot fill parameter {param!r}")
        choices = [{**chosen, param: value} for chosen in choices for value in options]
    found = []
    for chosen in choices:
        values = {**free, **{name: value for name, (value, _) in chosen.items()}}
        objects = [obj for _, obj in chosen.values() if obj is not None]
        obj = objects[0] if len(objects) == 1 else None
        found.append(
            Target(fill(route, values), obj, obj._meta.label_lower if obj is not None else None, values=values)
        )
    for param in ("year", "code"):
        if param in params:
            values = {**found[0].values, param: 2099 if param == "year" else "ZZ"}
            found.append(Target(fill(route, values), None, None, missing=True, values=values))
    return found


def check_resolves(route: Route, target: Target) -> None:
    match = resolve(target.url.split("?")[0])
    if match.route != route.route:
        raise Unbuildable(f"{route.route}: built {target.url}, which resolves to {match.route!r}")
