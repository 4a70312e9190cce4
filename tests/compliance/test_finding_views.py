"""The pages of systemic-shortcoming findings (AMMR Art. 60(3)): recorded, edited and moved with reasons."""

import pytest

from compliance.models import Finding
from tests.compliance.page_helpers import TODAY
from tests.factories import state

pytestmark = pytest.mark.django_db


def test_officer_records_a_finding_and_moves_it_with_reasons(client, compliance_officer, cycle):
    client.force_login(compliance_officer)
    data = {
        "member_state": "IT",
        "cycle": cycle.pk,
        "scope": "Transfers",
        "description": "Transfers are not carried out",
        "evidence_references": "Commission letter",
        "legal_reference": "Regulation (EU) 2024/1351, Art. 60(3)",
        "commission_report_reference": "COM(2025) 795",
        "commission_report_date": "2025-11-11",
        "reason": "Opened",
    }
    response = client.post("/compliance/findings/new/", data)
    finding = Finding.objects.get()
    assert response.status_code == 302 and finding.status == "draft"
    edited = client.post(
        f"/compliance/findings/{finding.pk}/edit/", {**data, "scope": "Transfers and replies", "version": "1"}
    )
    assert edited.status_code == 302
    for transition, status in [("assess", "under_assessment"), ("confirm", "confirmed"), ("lift", "lifted")]:
        moved = client.post(
            f"/compliance/findings/{finding.pk}/transition/", {"transition": transition, "reason": f"To {status}"}
        )
        assert moved.status_code == 302
        finding.refresh_from_db()
        assert finding.status == status
    assert (finding.scope, finding.confirmed_on, finding.lifted_on) == ("Transfers and replies", TODAY, TODAY)
    assert [h.history_change_reason for h in finding.history.all()[:3]] == [
        "To lifted",
        "To confirmed",
        "To under_assessment",
    ]


def test_officer_dismisses_a_draft_finding(client, compliance_officer, cycle):
    finding = Finding.objects.create(member_state=state("IT"), cycle=cycle, scope="Reception", description="-")
    client.force_login(compliance_officer)
    response = client.post(f"/compliance/findings/{finding.pk}/transition/", {"transition": "dismiss", "reason": "No"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "dismissed"
