"""The forms of the per-period records: Dublin performance and secondary movements, recorded and edited by officers."""

import datetime
from decimal import Decimal

import pytest

from compliance.models import DublinPerformance, SecondaryMovementIndicator
from compliance.services import compliance_record_create, compliance_record_update
from tests.compliance.page_helpers import DUBLIN_POST, SECONDARY_POST, dublin, page, text
from tests.factories import UserFactory, state

pytestmark = pytest.mark.django_db


def test_officer_records_dublin_performance_through_the_form(client, compliance_officer):
    client.force_login(compliance_officer)
    form = client.get("/compliance/dublin-performance/new/?state=IT")
    assert form.status_code == 200
    assert '<option value="IT" selected>' in page(form)
    response = client.post("/compliance/dublin-performance/new/", DUBLIN_POST)
    record = DublinPerformance.objects.get()
    assert response.status_code == 302 and response.url == f"/compliance/dublin-performance/{record.pk}/"
    assert (record.requests_received, record.acceptance_rate, record.transfer_rate) == (200, Decimal("75.00"), 30)
    assert record.history.get().history_change_reason == "Monthly figures"
    detail = client.get(response.url)
    assert "Monthly figures" in page(detail) and 'id="history-heading"' in page(detail)
    again = client.post("/compliance/dublin-performance/new/", DUBLIN_POST)
    assert again.status_code == 400
    assert "This state already has a record for this period: edit that one." in page(again)
    assert DublinPerformance.objects.count() == 1


def test_dublin_form_errors_are_in_words_and_nothing_is_written(client, compliance_officer):
    client.force_login(compliance_officer)
    bad = {**DUBLIN_POST, "period_end": "2026-02-01", "take_back_accepted": "81", "reason": ""}
    response = client.post("/compliance/dublin-performance/new/", bad)
    assert response.status_code == 400
    body = text(page(response))
    assert "Last day of the period: The period must end on or after its first day." in body
    assert "Reason for this change: This field is required." in body
    assert DublinPerformance.objects.count() == 0


def test_officer_edits_dublin_performance_with_its_version(client, compliance_officer):
    record = compliance_record_create(
        model=DublinPerformance,
        actor=compliance_officer,
        reason="Import",
        **{k: v for k, v in DUBLIN_POST.items() if k not in ("reason", "member_state", "average_transfer_days")},
        member_state=state("IT"),
    )
    client.force_login(compliance_officer)
    form = page(client.get(f"/compliance/dublin-performance/{record.pk}/edit/"))
    assert '<input type="hidden" name="version" value="1"' in form
    data = {**DUBLIN_POST, "transfers_carried_out": "75", "version": "1", "reason": "Corrected transfers"}
    response = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version, record.member_state_id) == (75, 2, "IT")
    assert record.history.first().history_change_reason == "Corrected transfers"


def test_stale_edit_is_refused_with_the_stored_values(client, compliance_officer):
    other_officer = UserFactory(username="other_officer", roles=["compliance_officer"])
    record = dublin("IT", datetime.date(2026, 3, 1), received=100, accepted=50, transfers=20)
    client.force_login(compliance_officer)
    assert '<input type="hidden" name="version" value="1"' in page(
        client.get(f"/compliance/dublin-performance/{record.pk}/edit/")
    )
    # Meanwhile another officer corrects the transfers.
    compliance_record_update(
        instance=record,
        changes={"transfers_carried_out": 35},
        expected_version=1,
        actor=other_officer,
        reason="Late transfers",
    )
    mine = {
        **DUBLIN_POST,
        "take_charge_received": "100",
        "take_charge_accepted": "50",
        "take_back_received": "0",
        "take_back_accepted": "0",
        "transfers_carried_out": "25",
        "version": "1",
        "reason": "My correction",
    }
    response = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", mine)
    assert response.status_code == 412
    body = text(page(response))
    assert "Not saved." in body and "changed by other_officer" in body
    assert "What is stored now: " in body and "Transfers carried out 35" in body
    assert 'name="transfers_carried_out" value="25"' in page(response)  # what I typed is kept
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version) == (35, 2)
    # The form now carries the stored version: saving again after comparing is a deliberate overwrite.
    assert '<input type="hidden" name="version" value="2"' in page(response)
    again = client.post(f"/compliance/dublin-performance/{record.pk}/edit/", {**mine, "version": "2"})
    assert again.status_code == 302
    record.refresh_from_db()
    assert (record.transfers_carried_out, record.version) == (25, 3)


def test_officer_records_and_edits_secondary_movements(client, compliance_officer):
    client.force_login(compliance_officer)
    response = client.post("/compliance/secondary-movements/new/", SECONDARY_POST)
    record = SecondaryMovementIndicator.objects.get()
    assert response.status_code == 302 and response.url == f"/compliance/secondary-movements/{record.pk}/"
    assert record.secondary_movement_share_percent == Decimal("62.00")
    too_high = {**SECONDARY_POST, "secondary_movement_share_percent": "101", "version": "1", "reason": "Fix"}
    refused = client.post(f"/compliance/secondary-movements/{record.pk}/edit/", too_high)
    assert refused.status_code == 400
    assert "less than or equal to 100" in page(refused)
    fixed = {**SECONDARY_POST, "secondary_movement_share_percent": "60.00", "version": "1", "reason": "Fix"}
    assert client.post(f"/compliance/secondary-movements/{record.pk}/edit/", fixed).status_code == 302
    record.refresh_from_db()
    assert (record.secondary_movement_share_percent, record.version) == (Decimal("60.00"), 2)
    assert "Schengen Barometer+" in page(client.get(f"/compliance/secondary-movements/{record.pk}/"))
