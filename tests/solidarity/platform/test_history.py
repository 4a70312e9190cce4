"""Every write leaves a history row saying who, why, which transition and, over HTTP, from where."""

import datetime
import re
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework.test import APIClient

from pledges.pledging.models import Pledge
from solidarity.domain.models import Designation, ReferenceFigure, SolidarityCycle
from solidarity.domain.services import (
    FigureRow,
    cycle_create,
    cycle_transition,
    cycle_update,
    designation_set,
    reference_figures_replace,
)
from tests.factories import CycleFactory, PledgeFactory, state

pytestmark = pytest.mark.django_db


@require_POST
def update_cycle_notes(request, year):
    """A minimal page that changes a cycle through its service, as every real view and API action does."""
    cycle = SolidarityCycle.objects.get(year=year)
    cycle_update(
        cycle=cycle,
        changes={"notes": request.POST["notes"]},
        expected_version=request.POST["version"],
        actor=request.user,
        reason=request.POST["reason"],
    )
    return HttpResponse(status=204)


# This module is also the URLconf of the HTTP tests below: the request runs through the real middleware.
urlpatterns = [path("history-probe/cycles/<int:year>/notes/", update_cycle_notes)]


def audit(row) -> tuple:
    return row.history_user, row.history_change_reason, row.history_transition


def test_creating_a_cycle_leaves_a_row(coordinator):
    cycle = cycle_create(
        actor=coordinator,
        reason="Next year's cycle",
        year=2028,
        reference_relocations=30000,
        reference_financial_eur=Decimal("600000000.00"),
    )
    (row,) = cycle.history.all()
    assert row.history_type == "+"
    assert audit(row) == (coordinator, "Next year's cycle", "")


def test_changing_a_cycle_leaves_a_row(coordinator):
    cycle = CycleFactory()
    cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version=1, actor=coordinator, reason="Note")
    row = cycle.history.first()
    assert (row.history_type, row.notes, row.version) == ("~", "x", 2)
    assert audit(row) == (coordinator, "Note", "")


def test_a_transition_leaves_a_row_naming_it(coordinator):
    cycle = CycleFactory()
    cycle_transition(cycle=cycle, transition="propose", actor=coordinator, reason="The Commission proposed")
    row = cycle.history.first()
    assert row.status == "proposed"
    assert audit(row) == (coordinator, "The Commission proposed", "propose")


def test_adoption_leaves_a_row_for_the_cycle_and_one_per_recorded_pledge(coordinator):
    cycle = CycleFactory(status="pledging")
    pledges = [PledgeFactory(cycle=cycle, member_state=state(code), status="submitted") for code in ("BE", "NL", "LU")]
    cycle_transition(
        cycle=cycle,
        transition="adopt",
        actor=coordinator,
        reason="Council act",
        council_act_reference="Council Implementing Decision (EU) 2026/9999",
        council_act_date=datetime.date(2026, 12, 18),
    )
    assert audit(cycle.history.first()) == (coordinator, "Council act", "adopt")
    for pledge in pledges:
        assert audit(pledge.history.first()) == (coordinator, "Council act", "record")
    assert Pledge.history.filter(history_transition="record").count() == 3


def test_setting_a_designation_leaves_a_row(coordinator):
    designation = designation_set(
        cycle=CycleFactory(), member_state=state("CY"), kind="at_risk", actor=coordinator, reason="Decision"
    )
    (row,) = designation.history.all()
    assert audit(row) == (coordinator, "Decision", "")


def test_replacing_reference_figures_leaves_a_row_per_figure(coordinator):
    cycle = CycleFactory()
    rows = [FigureRow(member_state=code, population=1000, gdp_eur_million=Decimal(10)) for code in ("BE", "NL")]
    reference_figures_replace(cycle=cycle, rows=rows, actor=coordinator, reason="Eurostat")
    history = ReferenceFigure.history.filter(cycle_id=cycle.pk)
    assert history.count() == 2
    assert {audit(row) for row in history} == {(coordinator, "Eurostat", "")}


def test_a_write_outside_a_request_has_no_address_or_request_id(coordinator):
    cycle = CycleFactory()
    cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version=1, actor=coordinator, reason="Shell")
    row = cycle.history.first()
    assert (row.history_ip_address, row.history_request_id) == (None, "")


# Over HTTP: the middleware hands the request to the history rows.


@pytest.mark.urls(__name__)
def test_a_change_over_http_records_the_address_and_the_request_id(client, coordinator):
    cycle = CycleFactory()
    client.force_login(coordinator)
    response = client.post(
        "/history-probe/cycles/2027/notes/",
        {"notes": "Forum moved to 20 November", "version": "1", "reason": "Forum date"},
        secure=True,
        REMOTE_ADDR="203.0.113.7",
        headers={"X-Request-ID": "audit-test-42"},
    )
    assert response.status_code == 204
    assert response["X-Request-ID"] == "audit-test-42"
    row = cycle.history.first()
    assert row.notes == "Forum moved to 20 November"
    assert audit(row) == (coordinator, "Forum date", "")
    assert row.history_ip_address == "203.0.113.7"
    assert row.history_request_id == "audit-test-42"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("incoming", [None, "has spaces in it", "x" * 65, "<script>"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(client, coordinator, incoming):
    cycle = CycleFactory()
    client.force_login(coordinator)
    response = client.post(
        "/history-probe/cycles/2027/notes/",
        {"notes": "x", "version": "1", "reason": "Note"},
        secure=True,
        headers={"X-Request-ID": incoming} if incoming else {},
    )
    assert response.status_code == 204
    row = cycle.history.first()
    assert re.fullmatch(r"[0-9a-f]{32}", row.history_request_id)
    assert row.history_request_id == response["X-Request-ID"]
    assert row.history_ip_address == "127.0.0.1"


@pytest.mark.urls(__name__)
def test_each_request_gets_its_own_id(client, coordinator):
    cycle = CycleFactory()
    client.force_login(coordinator)
    for version in ("1", "2"):
        response = client.post(
            "/history-probe/cycles/2027/notes/",
            {"notes": f"v{version}", "version": version, "reason": "Note"},
            secure=True,
        )
        assert response.status_code == 204
    newest, older = cycle.history.all()[:2]
    assert newest.history_request_id != older.history_request_id


def test_a_transition_through_the_api_records_the_address_and_the_request_id(coordinator):
    cycle = CycleFactory()
    client = APIClient()
    client.force_login(coordinator)
    response = client.post(
        "/api/v1/cycles/2027/transition/",
        {"transition": "propose", "reason": "The Commission proposed"},
        format="json",
        secure=True,
        REMOTE_ADDR="198.51.100.23",
        headers={"X-Request-ID": "api-test-7"},
    )
    assert response.status_code == 200, response.content
    row = cycle.history.first()
    assert audit(row) == (coordinator, "The Commission proposed", "propose")
    assert (row.history_ip_address, row.history_request_id) == ("198.51.100.23", "api-test-7")


def test_a_refused_request_leaves_no_history_row(auditor):
    cycle = CycleFactory()
    client = APIClient()
    client.force_login(auditor)
    response = client.post(
        "/api/v1/cycles/2027/transition/", {"transition": "propose", "reason": "Mine"}, format="json", secure=True
    )
    assert response.status_code == 403
    assert cycle.history.count() == 1
    assert SolidarityCycle.objects.get(pk=cycle.pk).status == "preparation"


# Diffs between two rows, as the audit log shows them.


def test_the_diff_of_an_update_names_the_changed_fields(coordinator):
    cycle = CycleFactory()
    cycle_update(
        cycle=cycle,
        changes={"notes": "SAR share agreed", "sar_share_percent": Decimal("42.00")},
        expected_version=1,
        actor=coordinator,
        reason="Council",
    )
    new, old = cycle.history.all()[:2]
    delta = new.diff_against(old)
    assert set(delta.changed_fields) == {"notes", "sar_share_percent", "version"}
    changes = {change.field: (change.old, change.new) for change in delta.changes}
    assert changes["notes"] == ("", "SAR share agreed")
    assert changes["sar_share_percent"] == (None, Decimal("42.00"))
    assert changes["version"] == (1, 2)


def test_the_diff_of_a_transition_shows_the_stage_change(coordinator):
    cycle = CycleFactory()
    cycle_transition(cycle=cycle, transition="propose", actor=coordinator, reason="Proposal")
    new, old = cycle.history.all()[:2]
    delta = new.diff_against(old)
    assert set(delta.changed_fields) == {"status", "version"}
    assert {c.field: (c.old, c.new) for c in delta.changes}["status"] == ("preparation", "proposed")


def test_the_diff_of_a_designation_change_names_ground_and_source(coordinator):
    cycle = CycleFactory()
    for ground, source in (("arrivals", "Decision"), ("sar", "Corrigendum")):
        designation_set(
            cycle=cycle,
            member_state=state("IT"),
            kind="under_pressure",
            ground=ground,
            source=source,
            actor=coordinator,
            reason=source,
        )
    new, old = Designation.objects.get().history.all()[:2]
    assert set(new.diff_against(old).changed_fields) == {"ground", "source", "version"}
