"""The OpenAPI schema of /api/v1/: drf-spectacular's, with what every endpoint shares documented on each.

Named by ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``; a module of its own because drf-spectacular's generator
imports DRF's generic views, which the helpers in ``solidarity.api_support`` are imported by.
"""

from decimal import Decimal

from django.db import connection, models
from django.db.models import Q
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_parameter_type, force_instance
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from solidarity.platform.api import CHANGE_REASON, CHANGE_REASON_NOT_READ, TransitionNameField, error_response
from solidarity.platform.numbers import MAX_WHOLE, plain_decimal_pattern
from solidarity.platform.pagination import LINK_HEADER_SCHEMA
from solidarity.platform.renderers import CSVRenderer

# Answers every operation may give, whatever it does: documented on each by ``RegistryAutoSchema``.
GENERIC_ERRORS = {
    400: "Invalid input, e.g. a NUL character (U+0000) in the path or the query string (`null_character`).",
    401: "Not logged in: send a session cookie or `Authorization: Token <key>`.",
    403: "Not permitted for your role or delegation; nothing was written.",
    404: "No such object within your scope (or an unknown `page` or `format`).",
    414: "The address is longer than the registry reads (`uri_too_long`): send fewer or shorter parameters.",
    429: "Too many requests: wait the seconds of the `Retry-After` header.",
}
# And every write: a value another object holds already, or a state the object is not in.
WRITE_ERRORS = {
    400: "Invalid input: the fields named in `attr`, in the one error shape.",
    409: "Not allowed from the object's current state, or a value another object holds already (code `unique`).",
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Answers of every operation that reads a body (POST, PUT, PATCH).
BODY_ERRORS = {
    413: "The body is larger than the registry reads (`too_large`).",
    415: "The body is not JSON (`unsupported_media_type`): send `Content-Type: application/json`.",
}
BODY_METHODS = ("POST", "PUT", "PATCH")
LOCATION_HEADER = {
    "schema": {"type": "string", "format": "uri"},
    "required": True,
    "description": "Where the new object is read: its detail URL (for several objects, the list that reads them).",
}
ETAG_HEADER = {"schema": {"type": "string"}, "description": 'The object\'s version, e.g. `"3"`.'}
IF_NONE_MATCH_DESCRIPTION = (
    'The ETag you hold, e.g. `"3"` (or several, comma-separated, or `*`; `W/` is ignored): if it is still the '
    "object's, the answer is 304 without a body."
)
NOT_MODIFIED = "Not modified: your `If-None-Match` names the current ETag. No body."
PAGE_PARAMETERS = "Invalid input, or a `page` / `page_size` outside its range (`invalid_page`, `invalid_page_size`)."
CONFLICT = "A duplicate of a stored object (`unique`), or not allowed from the object's current state."
PAGE_PARAMETERS_TOO = "Also a `page` / `page_size` outside its range (`invalid_page`, `invalid_page_size`)."
CSV_SCHEMA = {
    "type": "string",
    "description": (
        "With `?format=csv`: a header row of the field names (nested ones as `parent.child`), then one row per "
        "object; a list is exported whole, not paged. Errors stay JSON."
    ),
}


# What a field means where its serializer says nothing: by field name, or by (component, field) where the
# same name means something narrower. Components are named without their `Patched` / `Request` variants.
FIELD_GLOSSARY = {
    "id": "The object's id.",
    "version": "Incremented on every change; send it back (or the ETag) to change the object.",
    "created_at": "When it was recorded.",
    "updated_at": "When it was last changed.",
    "illustrative": "Demonstration data rather than a real record.",
    "reason": "The reason given with the change.",
    "name": "The state's name in English.",
    "code": "Eurostat code (`EL` for Greece).",
    "protocol_order": "Position in the protocol order of the Member States (EU-27, then the associated states).",
    "eu_member": "One of the 27 Member States of the EU.",
    "dublin_associated": "Iceland, Liechtenstein, Norway or Switzerland: applies the Dublin rules by agreement.",
    "note": "Remarks on the state's position under the Pact (opt-outs, association).",
    "year": "The cycle's year, e.g. 2026.",
    "reference_relocations": "Relocations of the Annual Solidarity Pool the fair shares are computed from (Art. 12).",
    "reference_financial_eur": "Financial contributions of the pool, in euros, the fair shares are computed from.",
    "proposal_relocations": "Relocations of the Commission's proposal for the pool.",
    "proposal_financial_eur": "Financial contributions of the Commission's proposal, in euros.",
    "eur_per_relocation": "Euro value of one relocation when pledges are compared (Art. 56(2)).",
    "weight_population": "Weight of population in the key (Annex I: 0.5).",
    "weight_gdp": "Weight of GDP in the key (Annex I: 0.5); the two weights add up to 1.",
    "legal_basis": "The legal act the cycle rests on.",
    "report_reference": "Reference of the European Annual Asylum and Migration Report.",
    "report_date": "Date of that report.",
    "pressure_decision_reference": "Reference of the decision designating states under pressure (Art. 11).",
    "pressure_decision_date": "Date of that decision.",
    "proposal_date": "Date of the Commission's proposal for the pool.",
    "political_agreement_date": "Date of the political agreement in the Council.",
    "council_act_reference": "Reference of the Council implementing act (Art. 57).",
    "council_act_date": "Date of the Council implementing act.",
    "applies_from": "First day the pool applies (the Council implementing act).",
    "regulation_applies_from": "The day Regulation (EU) 2024/1351 applies from (Art. 85), apart from the pool's.",
    "regulation_applies_from_source": "Where that date was read, and whether it was verified.",
    "implementation_deadline": "Last day to implement the pledges.",
    "notes": "Free remarks.",
    "population_reference_date": "The day the population was counted (usually 1 January).",
    "population_source": "Where the population comes from, e.g. Eurostat `demo_pjan`.",
    "gdp_reference_year": "The year the GDP is of.",
    "gdp_source": "Where the GDP comes from, e.g. Eurostat `nama_10_gdp`.",
    "ground": "For `under_pressure`: arrivals, or arrivals after search-and-rescue disembarkations.",
    "grounds": "Why the state asks for the deduction, in words.",
    "contributing_state": "Eurostat code of the state whose pledge it is.",
    "benefitting_state": "Eurostat code of the state it goes to.",
    "evidence_reference": "Reference of the proof (payment order, transfer record...).",
    "decline_explanation": "Why it was declined, in words; empty otherwise.",
    "applications_accepted": "How many applications the contributing state took over.",
    "answered_on": "When the contributing state answered.",
    "explanation": "The answer, in words.",
    "period_start": "First day of the period.",
    "period_end": "Last day of the period.",
    "take_charge_sent": "Take-charge requests sent to other states.",
    "take_charge_received": "Take-charge requests received from other states.",
    "take_charge_accepted": "Take-charge requests received and accepted.",
    "take_charge_refused": "Take-charge requests received and refused.",
    "take_back_sent": "Take-back requests sent to other states.",
    "take_back_received": "Take-back requests received from other states.",
    "take_back_accepted": "Take-back requests received and accepted.",
    "take_back_refused": "Take-back requests received and refused.",
    "transfers_carried_out": "Dublin transfers carried out to the state.",
    "average_reply_days": "Average days to answer a request.",
    "average_transfer_days": "Average days from acceptance to transfer.",
    "applications_lodged": "Applications for international protection lodged in the period.",
    "secondary_movement_share_percent": "Share of those applications that followed an onward movement, percent.",
    "reception_occupancy_percent": "Occupancy of the reception system, percent of its capacity.",
    "source": "Where the figures or the statement come from.",
    "title": "A short title.",
    "summary": "What the plan commits to, in a few sentences.",
    "indicator": "What is measured, in words.",
    "linked_indicator": "A Dublin-performance figure that measures it automatically, or empty (measured by hand).",
    "unit": "Unit of the values, e.g. `%` or `days`.",
    "baseline": "The value at the start.",
    "baseline_date": "The day of the baseline.",
    "target": "The value to reach.",
    "due_date": "The day the target is due.",
    "value": "The value measured.",
    "scope": "What the shortcoming concerns.",
    "description": "The details, in words.",
    "evidence_references": "References of the evidence (reports, visits).",
    "legal_reference": "The provision the finding rests on.",
    "confirmed_on": "When it was confirmed; null before.",
    "lifted_on": "When it was lifted; null before.",
    "location": "Where the meeting takes place.",
    "order": "Position in the agenda.",
    "conditions": "Conditions the delegation attaches to its stance.",
    "statement": "What the delegation said, in words.",
    "proposed_value": "A number in the topic's unit, e.g. the pool size proposed; null without one.",
    "meeting": "The forum meeting's id, or null.",
    "topic": "The topic's id.",
    "member_state": "Eurostat code.",
    "history_id": "The history row's id.",
    "previous_date": "Date of the position before it, or null.",
    "in_key": "Counted in this key (Art. 66); false for states outside it.",
    "topics": "The cycle's topics, in agenda order (the columns of `rows`).",
    "positions": "The positions, one per row.",
    "results": "The objects of this page.",
    "errors": "One entry per problem.",
    "model": "The object type as `app.model`.",
    "object_id": "The object's id.",
    "period_kind": "`month` or `quarter`.",
    "status": "The stage of its workflow; it changes only through `transition/`.",
    "direction": "Whether the target lies above (`higher`) or below (`lower`) the baseline.",
    "level": "The High-Level (Art. 13) or the Technical-Level (Art. 14) Solidarity Forum.",
    "article": "The article the deduction is asked under: 61 (under pressure) or 62 (significant situation).",
    "relocation_rounding": "How fair shares in relocations are rounded to whole persons.",
    "kind": "The kind, one of the values listed.",
    ("Designation", "kind"): "Under migratory pressure, at risk of it, or facing a significant migratory situation.",
    ("DeductionRequest", "scope"): "`full` (100 %) or `partial` (`requested_percent`).",
    ("HistoryEntry", "type"): "Whether the object was created, changed or deleted.",
    "stance": "On the scale red_line < oppose < reserve < neutral < support < strong_support.",
    "visibility": "`shared` (every delegation) or `restricted` (the recording delegation only).",
    ("Designation", "source"): "The act that made the designation.",
    ("Fulfilment", "date"): "When it was carried out (not in the future).",
    ("Measurement", "date"): "The day the value stands for.",
    ("Measurement", "source"): "Where the value comes from.",
    ("ForumMeeting", "date"): "The day of the meeting.",
    ("ForumMeeting", "title"): "The meeting's title.",
    ("Topic", "title"): "The question, in a few words; unique within the cycle.",
    ("Topic", "description"): "The question in full.",
    ("MatrixTopic", "title"): "The topic's title.",
    ("MatrixTopic", "id"): "The topic's id.",
    ("MatrixTopic", "order"): "Position in the agenda.",
    ("MatrixCell", "date"): "When the position was stated.",
    ("MatrixCell", "meeting"): "The forum meeting's id, or null.",
    ("Scenario", "title"): "The scenario's name.",
    ("Scenario", "description"): "What it varies, in words.",
    ("Finding", "description"): "The shortcoming, as established.",
    ("ActionPlan", "title"): "The plan's title.",
    ("BulkPositionsResult", "meeting"): "The meeting's id.",
    ("PositionHistory", "date"): "When the position was stated.",
    ("PositionHistory", "reason"): "The reason given with this version.",
    ("PositionHistory", "version"): "The position's version this row holds.",
    ("SeriesPoint", "value"): "The value on that day.",
    ("SeriesPoint", "source"): "Where the value comes from.",
    ("SeriesPoint", "period_start"): "For Dublin figures, the first day of the period; else null.",
    ("OffsetEligibility", "explanation"): "Why offsets may or may not be requested, in words.",
}


def _component_name(serializer) -> str:
    name = type(serializer).__name__.removesuffix("Serializer")
    return {"Offset": "Offset"}.get(name, name)


def describe_fields(component: str, schema: dict) -> dict:
    """Give each property without a description the glossary's, where it has one."""
    for name, prop in schema.get("properties", {}).items():
        described = prop.get("description", "")
        # drf-spectacular describes a choice field by its choices ("* `draft` - Draft"), then moves that
        # text to the enum's own component: such a field keeps nothing of its own unless it says more.
        if (described and not described.startswith("* `")) or "$ref" in prop:
            continue
        text = FIELD_GLOSSARY.get((component, name)) or FIELD_GLOSSARY.get(name)
        if text:
            prop["description"] = f"{text}\n\n{described}" if described else text
    return schema


def bound_schema(field, schema: dict) -> None:
    """State the bounds a field enforces where drf-spectacular cannot read them from the field itself.

    * a field the service reads (``bounds``, e.g. the persons of a pledge): the bounds it declares;
    * a reference by primary key: an id is a whole number of the key's column range (a larger one names no
      object, 400 ``does_not_exist``), a code at most the key's length.
    """
    if getattr(field, "read_only", False):
        return
    if isinstance(getattr(field, "bounds", None), dict):
        schema.update(field.bounds)
        return
    target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
    if not isinstance(target, serializers.PrimaryKeyRelatedField) or target.queryset is None:
        return
    items = schema.get("items", schema) if schema.get("type") == "array" else schema
    key = target.queryset.model._meta.pk
    if items.get("type") == "integer" and "maximum" not in items:
        _low, high = connection.ops.integer_field_range(key.get_internal_type())
        items.update({"minimum": 1, "maximum": high if high is not None else MAX_WHOLE})
    elif items.get("type") == "string" and "maxLength" not in items and key.max_length:
        items["maxLength"] = key.max_length


BOUND_LOOKUPS = {"gte": ("minimum", False), "gt": ("minimum", True), "lte": ("maximum", False), "lt": ("maximum", True)}


def _bounds_in(condition, name: str) -> dict:
    """The constant bounds a CHECK condition sets on the column ``name``: ``{"minimum": (value, exclusive)}``.

    Read: conjunctions of ``name__gte`` / ``__gt`` / ``__lte`` / ``__lt`` with a number, and a disjunction of such a
    conjunction with ``name__isnull=True`` (a bound on a figure that may be left out). Anything else (another
    column, an F() expression, a negation) bounds nothing here.
    """
    if not isinstance(condition, Q) or condition.negated:
        return {}
    children = [child for child in condition.children if child != (f"{name}__isnull", True)]
    if condition.connector == Q.OR:
        if len(children) != 1:
            return {}
        return _bounds_in(children[0] if isinstance(children[0], Q) else Q(children[0]), name)
    bounds = {}
    for child in children:
        if isinstance(child, Q):
            bounds.update(_bounds_in(child, name))
            continue
        lookup, value = child
        column, _, kind = lookup.partition("__")
        if (
            column == name
            and kind in BOUND_LOOKUPS
            and isinstance(value, int | Decimal)
            and not isinstance(value, bool)
        ):
            bound, exclusive = BOUND_LOOKUPS[kind]
            bounds[bound] = (value, exclusive)
    return bounds


def constraint_bounds(model, name: str) -> dict:
    """The bounds the model's CHECK constraints set on one decimal column, where the database keeps the rule."""
    bounds = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            bounds.update(_bounds_in(constraint.condition, name))
    return bounds


def state_decimal_bounds(field, schema: dict) -> None:
    """Give a decimal a client sends as text the pattern of its notation and bounds (``plain_decimal_pattern``).

    drf-spectacular's pattern for a ``DecimalField`` takes "", "." and "5." and any sign; the field's own
    ``min_value`` / ``max_value`` or, for a model's column, its CHECK constraints give the bounds.
    """
    if getattr(field, "read_only", False) or schema.get("format") != "decimal" or schema.get("type") != "string":
        return
    if not isinstance(field, serializers.DecimalField) or field.max_whole_digits is None:
        return
    bounds = {}
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is not None and isinstance(field.source, str):
        bounds = constraint_bounds(model, field.source)
    if field.min_value is not None:
        bounds["minimum"] = (field.min_value, False)
    if field.max_value is not None:
        bounds["maximum"] = (field.max_value, False)
    minimum, above_minimum = bounds.get("minimum", (None, False))
    maximum, below_maximum = bounds.get("maximum", (None, False))
    schema["pattern"] = plain_decimal_pattern(
        whole_digits=field.max_whole_digits,
        places=field.decimal_places,
        minimum=minimum,
        maximum=maximum,
        above_minimum=above_minimum,
        below_maximum=below_maximum,
    )


def state_list_length(field, schema: dict) -> None:
    """A nested list of objects states its length (drf-spectacular reads it from a ``ListField`` only)."""
    if not isinstance(field, serializers.ListSerializer) or schema.get("type") != "array":
        return
    if field.min_length is not None or not field.allow_empty:
        schema["minItems"] = max(field.min_length or 0, 0 if field.allow_empty else 1)
    if field.max_length is not None:
        schema["maxItems"] = field.max_length


# Text without the NUL character (U+0000), which the parsers refuse (400 `null_character`) and PostgreSQL cannot store.
# One character or more: drf-spectacular offers an empty text as the other branch of a oneOf, which must not match both.
WITHOUT_NULL_CHARACTER = "^[^\\u0000]+$"


# In a query string an empty value is allowed (it asks for no filter): zero characters or more.
QUERY_TEXT_WITHOUT_NULL_CHARACTER = "^[^\\u0000]*$"


def refuse_null_characters(field, schema: dict) -> None:
    """Say, on a free text a client sends, that it may not hold the NUL character."""
    if getattr(field, "read_only", False) or schema.get("type") != "string":
        return
    if any(keyword in schema for keyword in ("pattern", "format", "enum", "allOf", "$ref")):
        return
    schema["pattern"] = WITHOUT_NULL_CHARACTER


class RegistryAutoSchema(AutoSchema):
    """drf-spectacular's schema, with what every endpoint of this API shares documented on each operation.

    * every operation documents 400, 401, 403, 404 and 429 in the one error shape, every write 409 too, those
      that read a body 413 and 415 (where its own decorators say nothing narrower), and errors are JSON only;
    * a field its serializer leaves undescribed takes the description of ``FIELD_GLOSSARY``;
    * a 201 names the new object's URL in ``Location``; a paged list sends a ``Link`` header and documents
      400 for its page parameters; a GET that sends an ``ETag`` takes ``If-None-Match`` and documents 304;
    * every write documents 409: a duplicate (``unique``) is one wherever it is found;
    * a list may be asked as CSV (``?format=csv``, documented as a string): every GET that answers a list,
      and the actions a viewset names in ``csv_actions`` (a table that is not a list of objects, such as
      the negotiation matrix). Everything else is documented as JSON only.
    """

    def get_override_parameters(self):
        """Every write that takes a reason documents the X-Change-Reason header that may carry it."""
        parameters = super().get_override_parameters()
        if self.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return parameters
        body = force_instance(self.get_request_serializer())
        reason = body.fields.get("reason") if isinstance(body, serializers.Serializer) else None
        if self.method == "DELETE" or (reason is not None and not reason.required):
            return [*parameters, CHANGE_REASON]
        if reason is not None:
            return [*parameters, CHANGE_REASON_NOT_READ]
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(schema, dict):
            bound_schema(field, schema)
            if isinstance(field, TransitionNameField):
                schema["enum"] = list(field.names)
            if getattr(field, "schema_example", None) is not None:
                schema["example"] = field.schema_example
            if direction == "request" and isinstance(getattr(field, "request_schema", None), dict):
                # A field that reads more than one JSON type when sent states each (the answer has one).
                kept = {key: schema[key] for key in ("description", "nullable") if key in schema}
                schema.clear()
                schema.update({**field.request_schema, **kept})
            if direction == "request":
                state_list_length(field, schema)
                state_decimal_bounds(field, schema)
                refuse_null_characters(field, schema)
        return schema

    def _map_basic_serializer(self, serializer, direction):
        return describe_fields(_component_name(serializer), super()._map_basic_serializer(serializer, direction))

    def is_csv_export(self) -> bool:
        if self.method != "GET":
            return False
        return self._is_list_view() or getattr(self.view, "action", None) in getattr(self.view, "csv_actions", ())

    def _get_format_parameters(self):
        if not self.is_csv_export():
            return []
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = (
                "`json` (the default) or `csv`: the same data as CSV, a list whole rather than by pages; "
                "empty: the default."
            )
            # DRF reads an empty `format` as none given: the schema says so rather than refuse it.
            parameter["schema"]["enum"] = ["", *parameter["schema"]["enum"]]
        return parameters

    def sends_etag(self) -> bool:
        return any(
            getattr(p, "name", None) == "ETag" and getattr(p, "response", False) for p in self.get_override_parameters()
        )

    def is_conditional_get(self) -> bool:
        return self.method == "GET" and self.sends_etag()

    def is_paged_list(self) -> bool:
        return self.method == "GET" and self._get_paginator() is not None and self._is_list_view()

    def _process_override_parameters(self, direction="request"):
        parameters = super()._process_override_parameters(direction)
        if self.is_conditional_get():
            parameters["If-None-Match", "header"] = build_parameter_type(
                name="If-None-Match",
                schema={"type": "string"},
                location="header",
                description=IF_NONE_MATCH_DESCRIPTION,
            )
        return parameters

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if not status_code.startswith("2"):
            headers.pop("ETag", None)  # an error is not the object: it carries no version
        if status_code == "201":
            headers["Location"] = LOCATION_HEADER
        elif status_code == "200" and self.is_paged_list():
            headers["Link"] = LINK_HEADER_SCHEMA
        return headers

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.is_conditional_get():
            responses["304"] = {"description": NOT_MODIFIED, "headers": {"ETag": ETAG_HEADER}}
        if self.method in ("POST", "PUT", "PATCH") and "409" not in responses:
            responses["409"] = self._get_response_for_code(
                error_response(409, CONFLICT), "409", media_types=[JSONRenderer.media_type], direction=direction
            )
        if self.is_paged_list():
            if "400" in responses:
                responses["400"]["description"] += " " + PAGE_PARAMETERS_TOO
            else:
                responses["400"] = self._get_response_for_code(
                    error_response(400, PAGE_PARAMETERS),
                    "400",
                    media_types=[JSONRenderer.media_type],
                    direction=direction,
                )
        for status_code, response in responses.items():
            content = response.get("content") or {}
            if CSVRenderer.media_type not in content:
                continue
            if status_code.startswith("2") and self.is_csv_export():
                content[CSVRenderer.media_type] = {"schema": CSV_SCHEMA}
            else:
                del content[CSVRenderer.media_type]
        generic = {
            **GENERIC_ERRORS,
            **(WRITE_ERRORS if self.method in WRITE_METHODS else {}),
            **(BODY_ERRORS if self.method in BODY_METHODS else {}),
        }
        for status_code, meaning in generic.items():
            if str(status_code) not in responses:
                responses[str(status_code)] = self._get_response_for_code(
                    error_response(status_code, meaning),
                    str(status_code),
                    media_types=[JSONRenderer.media_type],
                    direction=direction,
                )
        return dict(sorted(responses.items()))


def _referenced_components(schema, components: dict, found: set) -> set:
    """The names of the components ``schema`` refers to, and those they refer to in turn."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        name = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None
        if name and name not in found:
            found.add(name)
            _referenced_components(components.get(name), components, found)
        for value in schema.values():
            _referenced_components(value, components, found)
    elif isinstance(schema, list):
        for value in schema:
            _referenced_components(value, components, found)
    return found


def forbid_unknown_fields(result, generator, request, public):
    """drf-spectacular postprocessing hook: every request body says ``additionalProperties: false``.

    The API refuses a key that is not a field of the resource (400 ``unknown_field``, ``body_fields``); a
    schema that allowed any key would promise what the server refuses, and a client built from it would send
    keys the server answers 400 to. Only the objects of request bodies: answers may gain fields.
    """
    components = result.get("components", {}).get("schemas", {})
    bodies = [
        operation["requestBody"]
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    for name in _referenced_components(bodies, components, set()):
        component = components.get(name, {})
        if component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    for body in bodies:
        for content in body.get("content", {}).values():
            inline = content.get("schema", {})
            if inline.get("type") == "object" and "properties" in inline:
                inline.setdefault("additionalProperties", False)
    return result


def refuse_null_characters_in_parameters(result, generator, request, public):
    """drf-spectacular postprocessing hook: every free-text parameter says it may not hold the NUL character.

    The API refuses one anywhere in a path or query string (400 `null_character`, ``hostile_input``), so each text
    parameter without a pattern, format or list of values of its own is given the pattern that says so.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") not in ("query", "path"):
                    continue
                schema = parameter.get("schema", {})
                for text in (schema, schema.get("items", {})):
                    if text.get("type") == "string" and not {"pattern", "format", "enum"} & text.keys():
                        text["pattern"] = QUERY_TEXT_WITHOUT_NULL_CHARACTER
    return result
