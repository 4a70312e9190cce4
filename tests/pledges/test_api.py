"""The /api/v1/ endpoints of the pledges app as a whole (pledges, activations, fulfilments, deductions and
offsets together): Belgium changes nothing of the Netherlands, every list runs a constant number of queries,
and the schema of the endpoints is complete. Each endpoint's own tests are beside its package, in
``tests/pledges/pledging/`` and ``tests/pledges/implementation/``."""

import datetime
import re
from decimal import Decimal

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from pledges.implementation import services
from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.pledging.models import DeductionRequest, Pledge
from tests.factories import PledgeFactory, UserFactory, state
from tests.pledges.pledging.api_helpers import REASON, as_persona, error, transition

pytestmark = pytest.mark.django_db


def history_rows() -> int:
    return sum(
        model.history.count() for model in (Pledge, Activation, Fulfilment, DeductionRequest, ResponsibilityOffset)
    )


# --- Belgium changes nothing of the Netherlands -----------------------------------------------------------------


def test_belgium_cannot_change_any_dutch_object(
    be_api, be_official, nl_official, coordinator, nl_pledges, applied_cycle
):
    nl_recorded = PledgeFactory(
        cycle=applied_cycle, member_state=state("NL"), kind="relocation", quantity=200, status="recorded"
    )
    towards_italy = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("IT"), amount=50, actor=coordinator, reason=REASON
    )
    towards_belgium = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("BE"), amount=50, actor=coordinator, reason=REASON
    )
    accepted = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("EL"), amount=50, actor=coordinator, reason=REASON
    )
    services.activation_transition(activation=accepted, transition="accept", actor=nl_official, reason=REASON)
    towards_belgium_accepted = services.activation_propose(
        pledge=nl_recorded, benefitting_state=state("BE"), amount=50, actor=coordinator, reason=REASON
    )
    services.activation_transition(
        activation=towards_belgium_accepted, transition="accept", actor=nl_official, reason=REASON
    )
    before = history_rows()

    # Unrecorded Dutch pledges are out of Belgium's sight: 404 whatever is tried.
    for pledge in nl_pledges.values():
        url = f"/api/v1/pledges/{pledge.pk}/"
        assert (
            be_api.patch(url, {"amount_eur": "1", "reason": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
        )
        assert (
            be_api.put(url, {"cycle": 2026, "kind": "financial", "reason": "x"}, HTTP_IF_MATCH='"1"').status_code == 404
        )
        for name in ("submit", "withdraw", "reopen"):
            assert transition(be_api, pledge.pk, name).status_code == 404
    # A recorded Dutch pledge is public: Belgium sees it, and is refused any change of it.
    url = f"/api/v1/pledges/{nl_recorded.pk}/"
    assert be_api.get(url).status_code == 200
    refused = be_api.patch(url, {"quantity": 1, "reason": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    assert transition(be_api, nl_recorded.pk, "withdraw").status_code == 403
    # Activations of the Dutch pledge: towards Italy unseen (404); towards Belgium seen, answered only by NL (403).
    for name in ("accept", "decline"):
        body = {"transition": name, "reason": "x", "decline_ground": "other"}
        unseen = be_api.post(f"/api/v1/activations/{towards_italy.pk}/transition/", body, format="json")
        assert unseen.status_code == 404
        seen = be_api.post(f"/api/v1/activations/{towards_belgium.pk}/transition/", body, format="json")
        assert (seen.status_code, error(seen)["code"]) == (403, "permission_denied")
    # Fulfilment is recorded by the contributing state only.
    fulfilment = {"date": str(datetime.date.today()), "amount": 5, "evidence_reference": "T-1", "reason": "x"}
    unseen = be_api.post("/api/v1/fulfilments/", {**fulfilment, "activation": accepted.pk}, format="json")
    assert (unseen.status_code, error(unseen)["attr"], error(unseen)["code"]) == (404, "activation", "does_not_exist")
    seen = be_api.post("/api/v1/fulfilments/", {**fulfilment, "activation": towards_belgium_accepted.pk}, format="json")
    assert (seen.status_code, error(seen)["code"]) == (403, "permission_denied")

    assert history_rows() == before
    assert not Fulfilment.objects.exists()
    assert {(p.pk, p.status, p.version) for p in Pledge.objects.filter(member_state="NL")} == {
        (nl_pledges["draft"].pk, "draft", 1),
        (nl_pledges["submitted"].pk, "submitted", 1),
        (nl_recorded.pk, "recorded", Pledge.objects.get(pk=nl_recorded.pk).version),
    }
    assert Pledge.objects.get(pk=nl_recorded.pk).quantity == 200
    assert dict(Activation.objects.values_list("pk", "status")) == {
        towards_italy.pk: "proposed",
        towards_belgium.pk: "proposed",
        accepted.pk: "accepted",
        towards_belgium_accepted.pk: "accepted",
    }


# --- Constant number of queries per list -----------------------------------------------------------------------------


def populate(size: int, cycle, applied, coordinator, officials) -> None:
    """``size`` states' worth of pledges, activations, fulfilments, deductions and offsets."""
    codes = ["BE", "NL", "DE", "FR", "IT", "ES", "PL", "AT", "SE", "PT", "EL", "CZ"][:size]
    for index, code in enumerate(codes):
        PledgeFactory(cycle=cycle, member_state=state(code), status="submitted", earmark=state("EL"))
        recorded = PledgeFactory(
            cycle=applied, member_state=state(code), kind="relocation", quantity=100, status="recorded"
        )
        # Towards Belgium, so that a Belgian official sees more rows as the data grows.
        benefitting = state("BE" if code != "BE" else "IT")
        activation = services.activation_propose(
            pledge=recorded, benefitting_state=benefitting, amount=20, actor=coordinator, reason=REASON
        )
        official = officials.get(code) or UserFactory(member_state=state(code), roles=["official"])
        services.activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
        services.fulfilment_record(
            activation=activation,
            date=datetime.date.today() - datetime.timedelta(days=index),
            amount=5,
            evidence_reference=f"T-{index}",
            actor=official,
            reason=REASON,
        )
        DeductionRequest.objects.create(
            cycle=cycle,
            member_state=state(code),
            article="62",
            scope="full",
            requested_percent=Decimal(100),
            granted_percent=Decimal(100),
            grounds="Pressure",
            status="granted_full",  # public with its Council act
        )
        ResponsibilityOffset.objects.create(
            cycle=applied,
            benefitting_state=benefitting,
            contributing_state=state(code),
            applications_requested=10,
            requested_on=datetime.date(2027, 1, 1),
            answer_deadline=datetime.date(2027, 1, 31),
        )


LISTS = ["pledges", "activations", "fulfilments", "deduction-requests", "offsets"]


@pytest.mark.parametrize("persona", ["coordinator", "be_official"])
@pytest.mark.parametrize("resource", LISTS)
def test_every_list_runs_a_constant_number_of_queries(
    request, persona, resource, pledging_cycle, applied_cycle, coordinator, be_official, django_assert_max_num_queries
):
    client = as_persona(request, persona)
    url = f"/api/v1/{resource}/"
    officials = {"BE": be_official}
    populate(2, pledging_cycle, applied_cycle, coordinator, officials)
    small = client.get(url)  # also warms the user's cached roles
    assert small.status_code == 200 and small.json()["count"] >= 1
    # The page's count and its rows: everything a row shows is joined in.
    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200
    DeductionRequest.objects.all().delete()
    ResponsibilityOffset.objects.all().delete()
    Fulfilment.objects.all().delete()
    Activation.objects.all().delete()
    Pledge.objects.all().delete()
    populate(12, pledging_cycle, applied_cycle, coordinator, officials)
    with django_assert_max_num_queries(2):
        large = client.get(url)
    assert large.status_code == 200
    assert large.json()["count"] > small.json()["count"]


# --- OpenAPI schema ---------------------------------------------------------------------------------------------------

PLEDGE_PATHS = [
    "/api/v1/pledges/",
    "/api/v1/pledges/{id}/",
    "/api/v1/pledges/{id}/transition/",
    "/api/v1/activations/",
    "/api/v1/activations/{id}/",
    "/api/v1/activations/{id}/transition/",
    "/api/v1/fulfilments/",
    "/api/v1/fulfilments/{id}/",
    "/api/v1/deduction-requests/",
    "/api/v1/deduction-requests/{id}/",
    "/api/v1/deduction-requests/{id}/transition/",
    "/api/v1/offsets/",
    "/api/v1/offsets/{id}/",
    "/api/v1/offsets/{id}/transition/",
    "/api/v1/offsets/eligibility/",
]


@pytest.fixture
def generated_schema():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, complaints


def test_the_schema_of_the_pledge_endpoints_is_complete_and_without_warnings(generated_schema):
    schema, complaints = generated_schema
    ours = [
        message
        for message in complaints
        if re.search(r"pledges[/.]api|Pledge|Activation|Fulfilment|Deduction|Offset", message)
    ]
    assert ours == []
    validate_schema(schema)
    for path in PLEDGE_PATHS:
        assert path in schema["paths"], path

    patch = schema["paths"]["/api/v1/pledges/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert {"200", "400", "403", "404", "409", "412", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    pledge = schema["components"]["schemas"]["Pledge"]["properties"]
    for name in ("id", "cycle", "member_state", "kind", "quantity", "amount_eur", "description", "earmark"):
        assert name in pledge
    for name in ("status", "version", "relocation_equivalent"):
        assert name in pledge
    assert (pledge["amount_eur"]["type"], pledge["amount_eur"]["format"]) == ("string", "decimal")
    assert pledge["quantity"]["type"] == "integer"
    listing = {p["name"] for p in schema["paths"]["/api/v1/pledges/"]["get"]["parameters"]}
    assert {"cycle", "member_state", "kind", "status", "earmark", "ordering", "page", "page_size"} <= listing

    for path, extra in [
        ("/api/v1/pledges/{id}/transition/", set()),
        ("/api/v1/activations/{id}/transition/", {"decline_ground", "explanation"}),
        ("/api/v1/deduction-requests/{id}/transition/", {"granted_percent", "council_act_reference"}),
        ("/api/v1/offsets/{id}/transition/", {"applications_accepted", "explanation"}),
    ]:
        post = schema["paths"][path]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(post["responses"])
        body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert {"transition", "reason", *extra} <= set(schema["components"]["schemas"][body]["properties"])

    eligibility_get = schema["paths"]["/api/v1/offsets/eligibility/"]["get"]
    assert {p["name"] for p in eligibility_get["parameters"]} == {"cycle", "contributing_state"}
