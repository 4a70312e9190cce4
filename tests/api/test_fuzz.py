"""Fuzzing the whole API against its own OpenAPI schema, as each role and anonymously.

Schemathesis generates requests from ``/api/schema/`` (valid ones and invalid ones) for every operation and
sends them in process to the WSGI application over the demo data (the 2026 cycle in application, 2027 in
its pledging exercise). Every response must be: no server error, a documented status code, a body that
matches the documented schema (the one error shape included) and a documented content type.

All of schemathesis' phases run, as the coordinator, an official, a negotiator and a compliance officer:
the schema's own examples, the coverage phase (boundary values and every way of breaking each constraint),
fuzzing (random valid and invalid data) and the stateful phase (sequences of calls chained through the
links schemathesis infers: a created object read, changed and moved on). The checks: no server error, every
status code documented, the body and content type as documented, schema-valid requests accepted (or refused
only for a reason a schema cannot tell: 401 / 403 / 404 / 409, and 412 / 428 for the version) and
schema-invalid requests refused.

The budget keeps the suite within a few minutes: ``FUZZ_MAX_EXAMPLES`` (default 4 per operation and role
in the fuzzing phase), ``FUZZ_STATEFUL_STEPS`` (scenarios per role), ``FUZZ_PHASES`` and ``FUZZ_SEED``
(fixed by default, so that CI is reproducible) widen it locally; ``FUZZ_OPERATIONS`` (a regex of labels)
narrows a run to some operations:

    FUZZ_MAX_EXAMPLES=100 FUZZ_SEED=random pytest tests/api/test_fuzz.py
"""

import os

import hypothesis
import jsonschema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement, SecondaryMovementIndicator
from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging.models import DeductionRequest, Pledge
from solidarity.domain.models import Designation, ReferenceFigure, Scenario, SolidarityCycle
from tests.api.conftest import openapi_document

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "20"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful").split(",")
SEED = os.environ.get("FUZZ_SEED", "20260101")
# The roles that write through the API; the auditor and anonymous clients read, and are fuzzed below too.
FUZZ_ROLES = ("coordinator", "official", "negotiator", "compliance_officer")

# A request the schema allows may still be refused for what no schema can say: who you are (401, 403), an id
# that names nothing (404), the object's state (409), a version another writer has moved on (412), or none
# sent (428).
ACCEPTED_REFUSALS = ["2xx", "3xx", "401", "403", "404", "409", "412", "428"]
NEGATIVE_REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429"]
# The 400s of rules OpenAPI 3.0 cannot state, by code: one field's value given another's, a field fixed once
# the object exists (a create and a PUT share one body schema). Each is a known gap of the schema, named here
# so that no other 400 of a schema-valid request goes unseen; the issue tracker lists what is left to state.
RULES_THE_SCHEMA_CANNOT_STATE = {
    "read_only",  # cycle, state, period: given on creation, fixed after (POST and PUT share the component)
    "offset_self",  # the contributing and the benefitting state of an offset differ
    "required",  # a field required by another's value (an amount for a financial pledge, a percent for a
    # partial grant) or by the role (the coordinator names the state it acts for)
    "measured_automatically",  # a benchmark with an indicator is measured by the registry, not by hand
    "reason_required",  # a change to a submitted or binding object needs its reason; a draft's may omit it
    "restricted_needs_delegation",  # a restricted position is a delegation's: the role decides
    "fields_disagree",  # two fields of one object under a CHECK constraint: a period's end and start, a
    # designation's kind and ground, a benchmark's baseline, target and dates
    "not_allowed_for_kind",  # persons for a relocation pledge only, euros for the others
    "not_whole",  # an amount in persons where the pledge named is a relocation pledge
    "wrong_cycle",  # a reference to an object of another cycle (a topic of another cycle's forum)
    "key_weights_invalid",  # the key's two weights add up to 1 (Annex I)
    "decline_explanation_required",  # a refusal on the `other` ground needs an explanation (Art. 60(3))
    "benefitting_self",  # a pledge is not activated towards the state that pledged it
    "in_future",  # a fulfilment is recorded once carried out: a date against today
    "does_not_exist",  # a reference (a cycle's year, a pledge's id) that names nothing, as a 404 for a path
    "unknown_user",  # a username, in a filter, that names nobody
    "unknown_member_state",  # a code, in a filter, that names no Member State
    "invalid_cursor",  # an opaque page cursor not written by the registry: only its links carry valid ones
}


def _error_codes(response) -> set[str]:
    try:
        return {error["code"] for error in response.json().get("errors", [])}
    except (ValueError, AttributeError, TypeError):
        return set()


@schemathesis.check
def schema_valid_requests_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance, but for the 400s of ``RULES_THE_SCHEMA_CANNOT_STATE``."""
    if response.status_code == 400 and (codes := _error_codes(response)) and codes <= RULES_THE_SCHEMA_CANNOT_STATE:
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    schema_valid_requests_accepted,
    negative_data_rejection,
]


def _config() -> schemathesis.Config:
    seed = None if SEED == "random" else int(SEED)
    return schemathesis.Config.from_dict(
        {
            **({"seed": seed} if seed is not None else {}),
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {
                phase: {"enabled": phase in PHASES} for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED_REFUSALS},
                # A refusal is a refusal: a stale version (412) among them.
                "negative_data_rejection": {"expected-statuses": [*NEGATIVE_REFUSALS, "412"]},
            },
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
        }
    )


schema = schemathesis.openapi.from_dict(openapi_document(), config=_config())
# FUZZ_OPERATIONS narrows a local run to the operations whose label ("POST /api/v1/pledges/") matches a regex.
if os.environ.get("FUZZ_OPERATIONS"):
    schema = schema.include(name_regex=os.environ["FUZZ_OPERATIONS"])

# --- Values that exist in the demo data, so that requests reach past "not found" -------------------------------

# Filled once the demo data is loaded: path template -> ids, and body / query field -> known values.
KNOWN_PATH_IDS: dict[str, list] = {}
KNOWN_VALUES: dict[str, list] = {}
STATES = ["BE", "NL", "DE", "EL", "IT", "FR", "AT", "PL", "NO"]
DETAIL_MODELS = {
    "/api/v1/cycles/{year}/": None,
    "/api/v1/designations/{id}/": Designation,
    "/api/v1/reference-figures/{id}/": ReferenceFigure,
    "/api/v1/scenarios/{id}/": Scenario,
    "/api/v1/pledges/{id}/": Pledge,
    "/api/v1/activations/{id}/": Activation,
    "/api/v1/fulfilments/{id}/": Fulfilment,
    "/api/v1/deduction-requests/{id}/": DeductionRequest,
    "/api/v1/offsets/{id}/": ResponsibilityOffset,
    "/api/v1/forum-meetings/{id}/": ForumMeeting,
    "/api/v1/topics/{id}/": Topic,
    "/api/v1/positions/{id}/": Position,
    "/api/v1/dublin-performance/{id}/": DublinPerformance,
    "/api/v1/secondary-movements/{id}/": SecondaryMovementIndicator,
    "/api/v1/action-plans/{id}/": ActionPlan,
    "/api/v1/benchmarks/{id}/": Benchmark,
    "/api/v1/measurements/{id}/": Measurement,
    "/api/v1/findings/{id}/": Finding,
}
REFERENCES = {
    "pledge": Pledge,
    "activation": Activation,
    "topic": Topic,
    "meeting": ForumMeeting,
    "benchmark": Benchmark,
    "action_plan": ActionPlan,
}


def _remember_demo_ids() -> None:
    years = list(SolidarityCycle.objects.values_list("year", flat=True))
    for template, model in DETAIL_MODELS.items():
        prefix = template.rsplit("{", 1)[0]
        ids = years if model is None else list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])
        for path in schema.raw_schema["paths"]:
            if path.startswith(prefix):
                KNOWN_PATH_IDS[path] = ids
    KNOWN_PATH_IDS["/api/v1/member-states/{code}/"] = STATES
    KNOWN_VALUES.clear()
    KNOWN_VALUES.update(
        {name: list(model.objects.values_list("pk", flat=True)[:20]) for name, model in REFERENCES.items()}
    )
    KNOWN_VALUES["cycle"] = years
    for name in ("member_state", "benefitting_state", "contributing_state", "earmark", "author_state"):
        KNOWN_VALUES[name] = STATES
    KNOWN_VALUES["version"] = [1, 2, 3]
    KNOWN_VALUES["model"] = ["pledges.pledge", "pledges.position", "compliance.finding", "solidarity.solidaritycycle"]
    KNOWN_VALUES["object_id"] = [str(pk) for pk in KNOWN_VALUES["pledge"][:5]] + ["2026", "BE"]


def _parameter_schemas(operation, location: str) -> dict[str, dict]:
    """Each parameter's (or JSON body property's) schema, by name."""
    if location == "body":
        bodies = [body for body in operation.body if body.media_type == "application/json"] or list(operation.body)
        # The body with its component's reference resolved (nested references stay: such a value is not swapped).
        return bodies[0].resolved_schema.get("properties", {}) if bodies else {}
    parameters = {"path": operation.path_parameters, "query": operation.query, "header": operation.headers}[location]
    return {parameter.name: parameter.definition.get("schema", {}) for parameter in parameters}


def _is_valid(value, parameter_schema: dict) -> bool:
    try:
        jsonschema.validate(value, parameter_schema)
    except (jsonschema.ValidationError, jsonschema.SchemaError, jsonschema.exceptions.RefResolutionError):
        return False
    return True


def _sometimes_known(values: dict, operation, location: str) -> st.SearchStrategy:
    """The generated values, or the same with known ids and codes put in where the names match.

    Only a value the schema allows is replaced: a value generated to break the schema must reach the server
    as generated, or the check that schema-invalid requests are refused would judge a request made valid here.
    """
    schemas = _parameter_schemas(operation, location)
    names = [name for name in values if KNOWN_VALUES.get(name) and _is_valid(values[name], schemas.get(name, {}))]
    if not names:
        return st.just(values)
    known = st.fixed_dictionaries({name: st.sampled_from(KNOWN_VALUES[name]) for name in names})
    return st.one_of(st.just(values), known.map(lambda chosen: {**values, **chosen}))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    ids = KNOWN_PATH_IDS.get(context.operation.path)
    if not ids or not path_parameters:
        return st.just(path_parameters)
    name = next(iter(path_parameters))
    if not _is_valid(path_parameters[name], _parameter_schemas(context.operation, "path").get(name, {})):
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(ids).map(lambda pk: {**path_parameters, name: pk}))


@schema.hook
def flatmap_body(context, body):
    return _sometimes_known(body, context.operation, "body") if isinstance(body, dict) else st.just(body)


@schema.hook
def flatmap_query(context, query):
    return _sometimes_known(query, context.operation, "query") if isinstance(query, dict) else st.just(query)


@schema.hook
def flatmap_headers(context, headers):
    if not isinstance(headers, dict) or "If-Match" not in headers:
        return st.just(headers)
    if not _is_valid(headers["If-Match"], _parameter_schemas(context.operation, "header").get("If-Match", {})):
        return st.just(headers)
    return st.one_of(st.just(headers), st.sampled_from(['"1"', '"2"', '"3"']).map(lambda v: {**headers, "If-Match": v}))


# --- Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_tokens(demo_api_tokens, django_db_blocker):
    with django_db_blocker.unblock():
        _remember_demo_ids()
    return demo_api_tokens


@pytest.fixture(scope="module")
def wsgi_app():
    """The WSGI application as deployed, called in process (werkzeug's client) by schemathesis."""
    # Middleware reads its settings once, when the application is built: plain HTTP, as in the other tests.
    with (
        override_settings(ALLOWED_HOSTS=["localhost"], SECURE_SSL_REDIRECT=False),
        pytest.MonkeyPatch.context() as patch,
    ):
        # The anonymous rate (60 a minute) would answer the fuzzer 429 long before it is done; throttling has
        # its own test in test_schema_complete.py.
        patch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
        # As Django's test client: requests share the test's transaction, so they must not close its connection.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            yield get_wsgi_application()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


SHARED_FIXTURES = hypothesis.settings(
    deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)


@schema.parametrize()
@pytest.mark.parametrize("role", FUZZ_ROLES)
@SHARED_FIXTURES
def test_api_answers_as_documented(case, role, demo_tokens, wsgi_app, db):
    """Each example runs in the test's transaction, rolled back after the operation and role."""
    headers = {"Authorization": f"Token {demo_tokens[role]}"}
    case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)


@schema.parametrize()
@hypothesis.settings(SHARED_FIXTURES, max_examples=2)
def test_api_answers_the_auditor_as_documented(case, demo_tokens, wsgi_app, db):
    """The auditor reads everything and writes nothing: every write is refused before its body is read."""
    headers = {"Authorization": f"Token {demo_tokens['auditor']}"}
    case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)


@pytest.mark.skipif("stateful" not in PHASES, reason="FUZZ_PHASES leaves out the stateful phase")
@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_api_sequences_answer_as_documented(role, demo_tokens, wsgi_app, db):
    """Chains of calls (create, read, change, move on) through the links schemathesis infers from the schema."""
    headers = {"Authorization": f"Token {demo_tokens[role]}"}

    class Sequences(schema.as_state_machine()):
        # Each scenario starts from the same data: what one created is rolled back before the next, so that
        # hypothesis, replaying a scenario, meets the same answers (else it reports its data generation flaky).
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def get_call_kwargs(self, case):
            return {"app": wsgi_app, "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Sequences.run(
        settings=hypothesis.settings(
            SHARED_FIXTURES, max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, database=None
        )
    )


@schema.parametrize()
@hypothesis.settings(SHARED_FIXTURES, max_examples=2)
def test_api_refuses_anonymous_clients_as_documented(case, wsgi_app, db):
    """Without credentials: 401 in the one error shape (404 only for a URL or `format` no route knows, 414 for a
    URL too long to read, answered before anyone is asked who they are)."""
    response = case.call_and_validate(app=wsgi_app, checks=CHECKS)
    assert response.status_code in (401, 404, 414), response.status_code
