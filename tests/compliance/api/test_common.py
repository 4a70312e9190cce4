"""What every /api/v1/ compliance endpoint shares (compliance.api.common): who reads and writes, reasons,
versions, the fields that never change, transitions, and constant query counts."""

import datetime

import pytest

from compliance.models import ActionPlan, DublinPerformance, Finding, SecondaryMovementIndicator
from tests.compliance.api.helpers import (
    EVERYONE,
    MODELS,
    PATCHES,
    Q1,
    READERS,
    REASON,
    TODAY,
    VERSIONED,
    as_persona,
    first_error,
    line_benchmark,
    measure,
    month_before,
    new_payload,
    record,
    transition,
)
from tests.conftest import api_as
from tests.factories import CycleFactory, state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("endpoint", list(MODELS))
@pytest.mark.parametrize("persona", EVERYONE)
def test_every_logged_in_user_reads_every_compliance_endpoint(request, persona, endpoint, records):
    client = as_persona(request, persona)
    listing = client.get(f"/api/v1/{endpoint}/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    obj = records.of(endpoint)
    assert listing.json()["results"][0]["id"] == obj.pk
    detail = client.get(f"/api/v1/{endpoint}/{obj.pk}/")
    assert detail.status_code == 200
    assert "reason" not in detail.json()
    if endpoint in VERSIONED:
        assert detail["ETag"] == '"1"'
        assert detail.json()["version"] == 1


@pytest.mark.parametrize("endpoint", list(MODELS))
def test_anonymous_users_read_nothing(api, endpoint, records):
    response = api.get(f"/api/v1/{endpoint}/")
    assert response.status_code in (401, 403)
    assert first_error(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("endpoint", list(MODELS))
def test_compliance_officer_creates_every_record_with_its_reason(officer_api, compliance_officer, endpoint, records):
    model = MODELS[endpoint]
    before = model.objects.count()
    response = officer_api.post(
        f"/api/v1/{endpoint}/", {**new_payload(endpoint, records), "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert model.objects.count() == before + 1
    created = model.objects.get(pk=response.json()["id"])
    last = created.history.first()
    assert (last.history_user, last.history_change_reason) == (compliance_officer, REASON)
    if endpoint in VERSIONED:
        assert response["ETag"] == '"1"'
    if endpoint == "measurements":
        assert response.json()["recorded_by"] == "compliance"


@pytest.mark.parametrize("endpoint", list(MODELS))
@pytest.mark.parametrize("persona", READERS)
def test_other_roles_cannot_create_and_nothing_is_written(request, persona, endpoint, records):
    model = MODELS[endpoint]
    before = model.objects.count()
    response = as_persona(request, persona).post(
        f"/api/v1/{endpoint}/", {**new_payload(endpoint, records), "reason": REASON}, format="json"
    )
    assert response.status_code == 403
    assert first_error(response)["code"] == "permission_denied"
    assert model.objects.count() == before


@pytest.mark.parametrize("endpoint", VERSIONED)
@pytest.mark.parametrize("persona", READERS)
def test_other_roles_cannot_change_and_nothing_is_written(request, persona, endpoint, records):
    obj = records.of(endpoint)
    history_before = obj.history.count()
    response = as_persona(request, persona).patch(
        f"/api/v1/{endpoint}/{obj.pk}/",
        {**PATCHES[endpoint], "reason": REASON},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.version == 1
    assert obj.history.count() == history_before


@pytest.mark.parametrize("endpoint", VERSIONED)
def test_no_compliance_record_is_deleted_over_the_api(officer_api, endpoint, records):
    assert officer_api.delete(f"/api/v1/{endpoint}/{records.of(endpoint).pk}/").status_code == 405
    assert MODELS[endpoint].objects.filter(pk=records.of(endpoint).pk).exists()


def test_a_record_may_be_created_without_a_reason(officer_api, records):
    response = officer_api.post("/api/v1/findings/", new_payload("findings", records), format="json")
    assert response.status_code == 201, response.json()
    assert Finding.objects.get(pk=response.json()["id"]).history.get().history_change_reason == "created"


@pytest.mark.parametrize("endpoint", VERSIONED)
def test_an_edit_needs_a_reason_unless_the_record_is_a_draft(officer_api, endpoint, records):
    """Action plans and findings start as drafts; Dublin figures, indicators and benchmarks have none."""
    obj = records.of(endpoint)
    response = officer_api.patch(
        f"/api/v1/{endpoint}/{obj.pk}/", PATCHES[endpoint], format="json", HTTP_IF_MATCH=f'"{obj.version}"'
    )
    latest = type(obj).history.filter(id=obj.pk).order_by("-history_id").first()
    if getattr(obj, "status", None) == "draft":
        assert response.status_code == 200, response.json()
        assert latest.history_change_reason == "draft edited"
    else:
        assert (response.status_code, first_error(response)["code"]) == (400, "reason_required")
        assert latest.version == obj.version


@pytest.mark.parametrize("endpoint", VERSIONED)
def test_updates_need_the_version_last_read(officer_api, endpoint, records):
    obj = records.of(endpoint)
    url = f"/api/v1/{endpoint}/{obj.pk}/"
    body = {**PATCHES[endpoint], "reason": REASON}

    missing = officer_api.patch(url, body, format="json")
    assert missing.status_code == 428
    assert first_error(missing)["code"] == "version_required"

    done = officer_api.patch(url, body, format="json", headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.json()
    assert done["ETag"] == '"2"'
    field, value = next(iter(PATCHES[endpoint].items()))
    assert str(done.json()[field]) == str(value)

    stale = officer_api.patch(url, {**body, "version": 1}, format="json")
    assert stale.status_code == 412
    assert first_error(stale)["code"] == "stale_version"
    assert stale.json()["current"]["current_version"] == 2
    stale_header = officer_api.patch(url, body, format="json", headers={"If-Match": '"1"'})
    assert stale_header.status_code == 412

    obj.refresh_from_db()
    assert obj.version == 2
    assert obj.history.count() == 2


def test_the_version_field_stands_in_for_if_match(officer_api, records):
    response = officer_api.patch(
        f"/api/v1/findings/{records.finding.pk}/", {"scope": "Take-back", "version": 1, "reason": REASON}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("dublin-performance", "member_state", "EL"),
        ("dublin-performance", "period_start", "2026-02-01"),
        ("secondary-movements", "member_state", "NL"),
        ("action-plans", "cycle", 2027),
        ("action-plans", "status", "completed"),
        ("findings", "status", "confirmed"),
        ("findings", "member_state", "IT"),
    ],
)
def test_what_a_record_is_about_and_its_status_cannot_be_patched(officer_api, records, endpoint, field, value):
    CycleFactory(year=2027)
    obj = records.of(endpoint)
    response = officer_api.patch(
        f"/api/v1/{endpoint}/{obj.pk}/", {field: value, "reason": REASON}, format="json", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 400
    assert (first_error(response)["code"], first_error(response)["attr"]) == ("read_only", field)
    obj.refresh_from_db()
    assert obj.version == 1


def test_unknown_transition_or_missing_reason_is_a_bad_request(officer_api, records):
    unknown = transition(officer_api, "findings", records.finding.pk, "publish")
    assert (unknown.status_code, first_error(unknown)["code"]) == (400, "transition_unknown")
    no_reason = transition(officer_api, "findings", records.finding.pk, "assess", reason="")
    assert (no_reason.status_code, first_error(no_reason)["code"]) == (400, "reason_required")
    records.finding.refresh_from_db()
    assert records.finding.status == "draft"


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize(("endpoint", "name"), [("action-plans", "agree"), ("findings", "assess")])
def test_other_roles_cannot_move_plans_or_findings(request, persona, endpoint, name, records):
    obj = records.of(endpoint)
    response = transition(as_persona(request, persona), endpoint, obj.pk, name)
    assert response.status_code == 403
    obj.refresh_from_db()
    assert (obj.status, obj.version, obj.history.count()) == ("draft", 1, 1)


def populate(officer, cycle, states):
    """For each state: Dublin months, a secondary-movement quarter, a plan with a linked and a hand benchmark
    (with measurements), and a finding."""
    today = TODAY()
    for code in states:
        member_state = state(code)
        for months_ago in (1, 2, 3):
            start, end = month_before(today, months_ago)
            record(
                officer,
                DublinPerformance,
                member_state=member_state,
                period_kind="month",
                period_start=start,
                period_end=end,
                take_charge_received=100,
                take_charge_accepted=50,
                transfers_carried_out=10 * months_ago,
            )
        record(officer, SecondaryMovementIndicator, member_state=member_state, **Q1, source="Illustrative")
        plan = record(officer, ActionPlan, member_state=member_state, cycle=cycle, title=f"Plan {code}")
        for linked_indicator in ("transfer_rate", ""):
            benchmark = line_benchmark(
                officer,
                plan,
                indicator=f"{code} {linked_indicator or 'by hand'}",
                linked=linked_indicator,
                baseline_date=today - datetime.timedelta(days=200),
                due_date=today + datetime.timedelta(days=100),
            )
            if not linked_indicator:
                for days in (10, 20):
                    measure(officer, benchmark, today - datetime.timedelta(days=days), 30)
        record(officer, Finding, member_state=member_state, cycle=cycle, scope="Transfers", description="Few")


# Count and page; benchmarks add their measurements and the Dublin rows of linked ones; filtering by the
# derived status measures the candidates once more.
LIST_URLS = [
    ("/api/v1/dublin-performance/", 2),
    ("/api/v1/dublin-performance/?period_kind=month&period_from=2026-01-01&ordering=-period_start", 2),
    ("/api/v1/secondary-movements/", 2),
    ("/api/v1/action-plans/", 2),
    ("/api/v1/benchmarks/", 4),
    ("/api/v1/benchmarks/?status=at_risk&status=on_track&status=met", 7),
    ("/api/v1/measurements/", 2),
    ("/api/v1/findings/", 2),
    ("/api/v1/findings/?status=draft&cycle=2026&ordering=member_state", 2),
]


@pytest.mark.parametrize(("url", "queries"), LIST_URLS)
def test_lists_run_a_constant_number_of_queries(
    url, queries, be_official, compliance_officer, django_assert_max_num_queries
):
    cycle = CycleFactory(year=2026)
    client = api_as(be_official)
    populate(compliance_officer, cycle, ["IT", "EL"])
    client.get(url)  # warm the user's cached roles
    with django_assert_max_num_queries(queries) as small_queries:
        small = client.get(url)
    populate(compliance_officer, cycle, ["MT", "CY", "ES", "BG", "LV", "PT"])  # four times the data
    with django_assert_max_num_queries(queries) as large_queries:
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert large.json()["count"] == 4 * small.json()["count"] > 0
    assert len(large_queries) == len(small_queries)
