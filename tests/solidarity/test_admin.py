"""The Django admin: every model is there, changes need a reason, workflow states are read-only."""

from decimal import Decimal

import pytest

from pledges.pledging.models import DeductionRequest, PledgeStatus
from solidarity.domain.models import Designation, DesignationKind, OfficialShare, SolidarityCycle
from tests.factories import PledgeFactory, UserFactory, state

ADMIN_MODELS = [
    "solidarity/memberstate",
    "solidarity/user",
    "solidarity/solidaritycycle",
    "solidarity/referencefigure",
    "solidarity/designation",
    "solidarity/officialshare",
    "pledges/pledge",
    "pledges/deductionrequest",
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


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_changelist_and_add_form_of_each_model_load_for_a_superuser(admin_client, registry_data, model):
    changelist = admin_client.get(f"/admin/{model}/")
    assert changelist.status_code == 200
    assert "0 results" not in changelist.content.decode()
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_change_and_history_pages_load(admin_client, registry_data, model):
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
