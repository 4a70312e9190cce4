"""The Django admin: every model is there with its history; changes need a reason and go through the services
(whose rules refuse a bad change with a message, writing nothing); models no service writes are read-only."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement, SecondaryMovementIndicator
from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging.models import DeductionRequest, Pledge, PledgeStatus
from solidarity.accounts.models import ApiToken, User
from solidarity.accounts.tokens import issue_api_token
from solidarity.domain.models import (
    Designation,
    DesignationKind,
    IndicativeAdjustment,
    OfficialShare,
    ReferenceFigure,
    Scenario,
    SolidarityCycle,
)
from solidarity.platform.audited_admin import ReadOnlyAdmin, ServiceAdmin
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

WRITABLE_MODELS = [
    "solidarity/user",
    "solidarity/solidaritycycle",
    "solidarity/referencefigure",
    "solidarity/designation",
    "solidarity/scenario",
    "pledges/pledge",
    "pledges/deductionrequest",
    "pledges/forummeeting",
    "pledges/topic",
    "pledges/position",
    "compliance/dublinperformance",
    "compliance/secondarymovementindicator",
    "compliance/actionplan",
    "compliance/benchmark",
    "compliance/measurement",
    "compliance/finding",
]
# No service writes these, or only the workflow's steps on the pages and the API do.
READ_ONLY_MODELS = [
    "solidarity/memberstate",
    "solidarity/officialshare",
    "solidarity/indicativeadjustment",
    "pledges/activation",
    "pledges/fulfilment",
    "pledges/responsibilityoffset",
]
ADMIN_MODELS = WRITABLE_MODELS + READ_ONLY_MODELS
APPS = ("solidarity", "pledges", "compliance")


def registry_models():
    """Every model of the registry's apps, without the history tables django-simple-history adds, and without the
    API tokens: credentials rather than records (no history; their admin lists and revokes them, below)."""
    return [
        model
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if not issubclass(model, HistoricalChanges) and model is not ApiToken
    ]


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def registry_data(cycle_with_figures, be_official):
    """One object of each model, so that each changelist has a row to show."""
    Designation.objects.create(
        cycle=cycle_with_figures, member_state=state("IT"), kind=DesignationKind.UNDER_PRESSURE, ground="sar"
    )
    OfficialShare.objects.create(cycle=cycle_with_figures, member_state=state("DE"), share_percent=Decimal("21.6890"))
    IndicativeAdjustment.objects.create(
        cycle=cycle_with_figures,
        member_state=state("AT"),
        figure="relocations",
        source="council_act",
        value=Decimal(0),
        source_text="Reported as zero in the act's annex",
    )
    pledge = PledgeFactory(cycle=cycle_with_figures, member_state=state("BE"), status=PledgeStatus.SUBMITTED)
    DeductionRequest.objects.create(
        cycle=cycle_with_figures,
        member_state=state("AT"),
        article="62",
        scope="full",
        requested_percent=Decimal(100),
        grounds="Significant migratory situation",
    )
    return {"cycle": cycle_with_figures, "pledge": pledge}


@pytest.fixture
def every_model(registry_data, superuser):
    """Besides ``registry_data``, one object of each model the admin only shows or the workflows make."""
    cycle = registry_data["cycle"]
    Scenario.objects.create(
        cycle=cycle,
        title="Smaller pool",
        author=superuser,
        reference_relocations=20000,
        reference_financial_eur=Decimal("400000000.00"),
        eur_per_relocation=cycle.eur_per_relocation,
        weight_population=Decimal("0.5"),
        weight_gdp=Decimal("0.5"),
        relocation_rounding=cycle.relocation_rounding,
    )
    recorded = PledgeFactory(cycle=cycle, member_state=state("DE"), status=PledgeStatus.RECORDED)
    activation = Activation.objects.create(pledge=recorded, benefitting_state=state("IT"), amount=Decimal("1000.00"))
    Fulfilment.objects.create(
        activation=activation, date=datetime.date(2026, 3, 1), amount=Decimal("500.00"), evidence_reference="PO 1"
    )
    ResponsibilityOffset.objects.create(
        cycle=cycle,
        benefitting_state=state("IT"),
        contributing_state=state("DE"),
        applications_requested=10,
        requested_on=datetime.date(2026, 3, 1),
        answer_deadline=datetime.date(2026, 3, 31),
    )
    meeting = ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF 1")
    topic = Topic.objects.create(cycle=cycle, title="Pool size", unit="relocations in the pool")
    Position.objects.create(
        cycle=cycle, topic=topic, member_state=state("BE"), meeting=meeting, date=meeting.date, stance="support"
    )
    period = {
        "period_kind": "quarter",
        "period_start": datetime.date(2025, 1, 1),
        "period_end": datetime.date(2025, 3, 31),
    }
    DublinPerformance.objects.create(member_state=state("IT"), **period)
    SecondaryMovementIndicator.objects.create(member_state=state("IT"), source="Eurostat", **period)
    plan = ActionPlan.objects.create(member_state=state("IT"), cycle=cycle, title="Dublin unit staffing")
    benchmark = Benchmark.objects.create(
        action_plan=plan,
        indicator="Dublin unit staff",
        baseline=Decimal(40),
        baseline_date=datetime.date(2025, 1, 1),
        target=Decimal(60),
        due_date=datetime.date(2026, 12, 31),
        direction="higher",
    )
    Measurement.objects.create(benchmark=benchmark, date=datetime.date(2025, 6, 30), value=Decimal(45), source="List")
    Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays")
    return {**registry_data, "meeting": meeting, "topic": topic}


def cycle_form_data(cycle, **overrides):
    data = {
        "year": cycle.year,
        "legal_basis": cycle.legal_basis,
        "reference_relocations": cycle.reference_relocations,
        "reference_financial_eur": cycle.reference_financial_eur,
        "proposal_relocations": cycle.proposal_relocations or "",
        "proposal_financial_eur": cycle.proposal_financial_eur or "",
        "eur_per_relocation": cycle.eur_per_relocation,
        "sar_share_percent": "",
        "weight_population": cycle.weight_population,
        "weight_gdp": cycle.weight_gdp,
        "relocation_rounding": cycle.relocation_rounding,
        "forum_dates": "[]",
        "notes": "",
        "seen_version": cycle.version,
        "change_reason": "Council act published",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_every_model_of_the_registry_has_an_admin_with_its_history():
    models = registry_models()
    assert {model._meta.label_lower.replace(".", "/") for model in models} == set(ADMIN_MODELS)
    for model in models:
        model_admin = admin.site._registry.get(model)
        assert model_admin is not None, f"{model._meta.label} has no admin"
        assert isinstance(model_admin, SimpleHistoryAdmin), f"{model._meta.label} has no history in the admin"
        # The accounts are the administrators' own; every domain model is written by its services or not at all.
        assert model is User or isinstance(model_admin, ServiceAdmin | ReadOnlyAdmin), model._meta.label


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_changelist_and_add_form_of_each_model_load_for_a_superuser(admin_client, every_model, model):
    changelist = admin_client.get(f"/admin/{model}/")
    assert changelist.status_code == 200
    assert "0 results" not in changelist.content.decode()
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_a_model_no_service_writes_is_read_only_in_the_admin(admin_client, every_model, model):
    changelist = admin_client.get(f"/admin/{model}/")
    assert changelist.status_code == 200
    assert "0 results" not in changelist.content.decode()
    first = changelist.context["cl"].result_list[0]
    rows = first.history.count()
    assert admin_client.get(f"/admin/{model}/add/").status_code == 403
    page = admin_client.get(f"/admin/{model}/{first.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode() and 'name="change_reason"' not in page.content.decode()
    assert admin_client.post(f"/admin/{model}/{first.pk}/change/", {"change_reason": "r"}).status_code == 403
    assert admin_client.post(f"/admin/{model}/{first.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(first).objects.get(pk=first.pk).history.count() == rows


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_change_and_history_pages_load(admin_client, every_model, model):
    changelist = admin_client.get(f"/admin/{model}/")
    first = changelist.context["cl"].result_list[0]
    assert admin_client.get(f"/admin/{model}/{first.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/{model}/{first.pk}/history/").status_code == 200


def test_admin_is_closed_to_people_without_staff_status(client, be_official):
    client.force_login(be_official)
    response = client.get("/admin/solidarity/solidaritycycle/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_workflow_status_is_read_only_in_the_admin(admin_client, registry_data):
    cycle, pledge = registry_data["cycle"], registry_data["pledge"]
    for url in (f"/admin/solidarity/solidaritycycle/{cycle.pk}/change/", f"/admin/pledges/pledge/{pledge.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert 'name="status"' not in page and 'name="version"' not in page
    # Posting a status anyway changes nothing.
    response = admin_client.post(
        f"/admin/solidarity/solidaritycycle/{cycle.pk}/change/", cycle_form_data(cycle, status="closed")
    )
    assert response.status_code == 302
    assert SolidarityCycle.objects.get(pk=cycle.pk).status == "preparation"


def test_admin_change_needs_a_reason_and_leaves_it_in_the_history(admin_client, registry_data, superuser):
    cycle = registry_data["cycle"]
    url = f"/admin/solidarity/solidaritycycle/{cycle.pk}/change/"
    refused = admin_client.post(url, cycle_form_data(cycle, notes="typo fixed", change_reason=""))
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert SolidarityCycle.objects.get(pk=cycle.pk).notes == ""

    response = admin_client.post(url, cycle_form_data(cycle, notes="typo fixed"))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.notes == "typo fixed" and cycle.version == 2
    last = cycle.history.first()
    assert (last.history_change_reason, last.history_user) == ("Council act published", superuser)


def test_admin_refuses_a_form_opened_on_an_older_version(admin_client, registry_data):
    cycle = registry_data["cycle"]
    url = f"/admin/solidarity/solidaritycycle/{cycle.pk}/change/"
    assert admin_client.post(url, cycle_form_data(cycle, notes="first")).status_code == 302
    stale = admin_client.post(url, cycle_form_data(cycle, notes="second"))  # still says version 1
    assert stale.status_code == 200
    assert "Someone else saved this solidarity cycle" in stale.content.decode()
    assert SolidarityCycle.objects.get(pk=cycle.pk).notes == "first"


def test_history_cannot_be_reverted_from_the_admin(admin_client, registry_data):
    cycle = registry_data["cycle"]
    record = cycle.history.first()
    url = f"/admin/solidarity/solidaritycycle/{cycle.pk}/history/{record.history_id}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, cycle_form_data(cycle, notes="from the past")).status_code == 403
    assert SolidarityCycle.objects.get(pk=cycle.pk).notes == ""


def test_a_recorded_pledge_is_not_edited_in_the_admin(admin_client, cycle_with_figures):
    pledge = PledgeFactory(cycle=cycle_with_figures, status=PledgeStatus.RECORDED)
    page = admin_client.get(f"/admin/pledges/pledge/{pledge.pk}/change/").content.decode()
    assert 'name="amount_eur"' not in page


def test_user_admin_shows_delegation_and_roles(admin_client, be_official):
    page = admin_client.get("/admin/solidarity/user/").content.decode()
    assert "Belgium (BE)" in page and "official" in page
    change = admin_client.get(f"/admin/solidarity/user/{be_official.pk}/change/").content.decode()
    assert 'name="member_state"' in change and 'name="groups"' in change and 'name="change_reason"' in change


# --- Writes go through the services ----------------------------------------------------------------------


def pledge_form_data(pledge, **overrides):
    data = {
        "quantity": pledge.quantity or "",
        "amount_eur": pledge.amount_eur or "",
        "description": pledge.description,
        "earmark": pledge.earmark_id or "",
        "seen_version": pledge.version,
        "change_reason": "Corrected in the admin",
    }
    data.update(overrides)
    return data


def test_a_pledge_changed_after_the_pledging_exercise_is_refused_by_its_service(admin_client, registry_data):
    pledge = registry_data["pledge"]  # submitted, in a cycle whose pledging exercise is not open
    rows = pledge.history.count()
    response = admin_client.post(
        f"/admin/pledges/pledge/{pledge.pk}/change/", pledge_form_data(pledge, amount_eur="2000000.00")
    )
    assert response.status_code == 200
    assert "The pledging exercise of 2026 is not open" in response.content.decode()
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.version, pledge.history.count()) == (Decimal("1000000.00"), 1, rows)


def test_a_pledge_corrected_in_the_admin_is_revised_by_its_service(admin_client, superuser):
    pledge = PledgeFactory(cycle=CycleFactory(year=2027, status="pledging"), status=PledgeStatus.SUBMITTED)
    url = f"/admin/pledges/pledge/{pledge.pk}/change/"
    assert 'name="illustrative"' not in admin_client.get(url).content.decode()  # fixed at creation
    assert admin_client.post(url, pledge_form_data(pledge, amount_eur="2000000.00")).status_code == 302
    pledge.refresh_from_db()
    assert (pledge.amount_eur, pledge.version) == (Decimal("2000000.00"), 2)
    last = pledge.history.first()
    assert (last.history_change_reason, last.history_user) == ("Corrected in the admin", superuser)

    refused = admin_client.post(url, pledge_form_data(pledge, earmark="BE"))
    assert refused.status_code == 200
    assert "A state cannot earmark its pledge to itself." in refused.content.decode()
    assert Pledge.objects.get(pk=pledge.pk).earmark_id is None


def test_a_deduction_requested_in_the_admin_needs_the_designation_its_article_rests_on(
    admin_client, registry_data, superuser
):
    data = {
        "cycle": registry_data["cycle"].pk,
        "member_state": "FR",
        "article": "62",
        "scope": "full",
        "requested_percent": "100",
        "grounds": "Significant migratory situation",
        "change_reason": "Request received by letter",
    }
    refused = admin_client.post("/admin/pledges/deductionrequest/add/", data)
    assert refused.status_code == 200
    assert "FR is not designated as facing a significant migratory situation in 2026" in refused.content.decode()
    assert not DeductionRequest.objects.filter(member_state="FR").exists()

    under_pressure = {**data, "member_state": "IT", "article": "61"}
    accepted = admin_client.post("/admin/pledges/deductionrequest/add/", under_pressure)
    assert accepted.status_code == 302
    requested = DeductionRequest.objects.get(member_state="IT")
    last = requested.history.first()
    assert (last.history_change_reason, last.history_user) == ("Request received by letter", superuser)
    # The decisions on it are transitions: the request itself is not changed here.
    page = admin_client.get(f"/admin/pledges/deductionrequest/{requested.pk}/change/").content.decode()
    assert 'name="grounds"' not in page and 'name="_save"' not in page


def test_a_position_recorded_in_the_admin_is_checked_by_its_service(admin_client, every_model, superuser):
    foreign = Topic.objects.create(cycle=CycleFactory(year=2027), title="Next year")
    data = {
        "cycle": every_model["cycle"].pk,
        "topic": foreign.pk,
        "member_state": "NL",
        "meeting": "",
        "date": "2025-11-18",
        "stance": "oppose",
        "proposed_value": "",
        "conditions": "",
        "statement": "",
        "source": "",
        "visibility": "shared",
        "change_reason": "From the minutes",
    }
    url = "/admin/pledges/position/add/"
    wrong_cycle = admin_client.post(url, data)
    assert wrong_cycle.status_code == 200 and "The topic belongs to another cycle." in wrong_cycle.content.decode()
    restricted = admin_client.post(url, {**data, "topic": every_model["topic"].pk, "visibility": "restricted"})
    assert "A restricted position belongs to a delegation: your account has none." in restricted.content.decode()
    assert not Position.objects.filter(member_state="NL").exists()

    assert admin_client.post(url, {**data, "topic": every_model["topic"].pk}).status_code == 302
    position = Position.objects.get(member_state="NL")
    assert (position.recorded_by, position.stance_rank) == (superuser, 1)


def test_a_meeting_moved_in_the_admin_takes_its_positions_along(admin_client, every_model):
    """``forum_meeting_update`` moves the positions taken at the meeting: the admin runs that rule too."""
    meeting = every_model["meeting"]
    position = Position.objects.get(meeting=meeting)
    data = {
        "level": "high",
        "date": "2025-11-20",
        "title": meeting.title,
        "location": "",
        "documents": "",
        "seen_version": meeting.version,
        "change_reason": "Date corrected",
    }
    assert admin_client.post(f"/admin/pledges/forummeeting/{meeting.pk}/change/", data).status_code == 302
    position.refresh_from_db()
    assert (position.date, position.version) == (datetime.date(2025, 11, 20), 2)
    assert position.history.first().history_change_reason == "Date corrected"


def test_a_reference_figure_corrected_in_the_admin_goes_through_its_service(admin_client, registry_data, superuser):
    figure = ReferenceFigure.objects.get(cycle=registry_data["cycle"], member_state="BE")
    url = f"/admin/solidarity/referencefigure/{figure.pk}/change/"
    assert 'name="member_state"' not in admin_client.get(url).content.decode()  # whose figure it is is fixed
    data = {
        "population": figure.population + 1,
        "population_reference_date": "",
        "population_source": "National statistics office",
        "gdp_eur_million": figure.gdp_eur_million,
        "gdp_reference_year": "",
        "gdp_source": "",
        "seen_version": figure.version,
        "change_reason": "Census revision",
    }
    assert admin_client.post(url, data).status_code == 302
    figure.refresh_from_db()
    assert (figure.population_source, figure.version) == ("National statistics office", 2)
    last = figure.history.first()
    assert (last.history_change_reason, last.history_user) == ("Census revision", superuser)


def test_only_a_model_with_a_delete_service_is_deleted_in_the_admin(admin_client, every_model):
    pledge = every_model["pledge"]
    assert admin_client.post(f"/admin/pledges/pledge/{pledge.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Pledge.objects.filter(pk=pledge.pk).exists()

    scenario = Scenario.objects.get()
    assert admin_client.post(f"/admin/solidarity/scenario/{scenario.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Scenario.objects.exists()
    last = Scenario.history.filter(id=scenario.pk).first()
    assert (last.history_type, last.history_change_reason) == ("-", "Deleted in the admin")


def test_the_api_tokens_admin_lists_and_revokes_but_neither_makes_nor_shows_keys(admin_client, superuser):
    token, key = issue_api_token(superuser, name="Nightly export")
    changelist = admin_client.get("/admin/solidarity/apitoken/")
    assert changelist.status_code == 200 and "Nightly export" in changelist.content.decode()
    assert key not in changelist.content.decode()
    assert admin_client.get("/admin/solidarity/apitoken/add/").status_code == 403
    page = f"/admin/solidarity/apitoken/{token.pk}/delete/"
    assert admin_client.post(page, {"post": "yes"}).status_code == 302
    assert not ApiToken.objects.exists()
