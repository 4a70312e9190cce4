"""Every compliance form at once: only compliance officers may use them, and each works for an officer."""

import pytest

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement, SecondaryMovementIndicator
from tests.compliance.page_helpers import DUBLIN_POST, SECONDARY_POST, page, text

pytestmark = pytest.mark.django_db


def writes(records, cycle) -> list[tuple[str, dict]]:
    dublin_pk, secondary_pk = records["dublin"].pk, records["secondary"].pk
    plan_pk, benchmark_pk, finding_pk = records["plan"].pk, records["benchmark"].pk, records["finding"].pk
    return [
        ("/compliance/dublin-performance/new/", DUBLIN_POST),
        (
            f"/compliance/dublin-performance/{dublin_pk}/edit/",
            {**DUBLIN_POST, "period_start": "2026-01-01", "period_end": "2026-01-31", "version": "1"},
        ),
        ("/compliance/secondary-movements/new/", SECONDARY_POST),
        (
            f"/compliance/secondary-movements/{secondary_pk}/edit/",
            {**SECONDARY_POST, "period_kind": "month", "period_end": "2026-01-31", "version": "1"},
        ),
        ("/compliance/action-plans/new/", {"member_state": "EL", "cycle": cycle.pk, "title": "T", "reason": "R"}),
        (f"/compliance/action-plans/{plan_pk}/transition/", {"transition": "agree", "reason": "R"}),
        (
            f"/compliance/action-plans/{plan_pk}/benchmarks/new/",
            {
                "indicator": "X",
                "baseline": "1",
                "baseline_date": "2026-01-01",
                "target": "2",
                "due_date": "2026-06-30",
                "direction": "higher",
                "reason": "R",
            },
        ),
        (
            f"/compliance/benchmarks/{benchmark_pk}/edit/",
            {
                "indicator": "Y",
                "baseline": "1",
                "baseline_date": "2026-01-01",
                "target": "2",
                "due_date": "2026-06-30",
                "direction": "higher",
                "version": "1",
                "reason": "R",
            },
        ),
        (
            f"/compliance/benchmarks/{benchmark_pk}/measurements/new/",
            {"date": "2026-02-01", "value": "3", "source": "S", "reason": "R"},
        ),
        (
            "/compliance/findings/new/",
            {
                "member_state": "EL",
                "cycle": cycle.pk,
                "scope": "S",
                "description": "D",
                "legal_reference": "Art. 60(3)",
                "reason": "R",
            },
        ),
        (
            f"/compliance/findings/{finding_pk}/edit/",
            {"scope": "S", "description": "D", "legal_reference": "L", "version": "1", "reason": "R"},
        ),
        (f"/compliance/findings/{finding_pk}/transition/", {"transition": "assess", "reason": "R"}),
    ]


AUDITED = [DublinPerformance, SecondaryMovementIndicator, ActionPlan, Benchmark, Measurement, Finding]


@pytest.mark.parametrize("role_fixture", ["be_official", "be_negotiator", "coordinator", "auditor", "outsider"])
def test_only_compliance_officers_may_use_the_forms(request, client, form_records, cycle, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))
    before = {model: (model.objects.count(), model.history.count()) for model in AUDITED}
    for url, data in writes(form_records, cycle):
        if not url.endswith("/transition/"):
            assert client.get(url).status_code == 403, url
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "You may not do this" in page(response)
    assert {model: (model.objects.count(), model.history.count()) for model in AUDITED} == before


def test_every_form_works_for_a_compliance_officer(client, compliance_officer, form_records, cycle):
    """The same requests the other roles were refused succeed for an officer (the refusals are not vacuous)."""
    client.force_login(compliance_officer)
    for url, data in writes(form_records, cycle):
        response = client.post(url, data)
        assert response.status_code == 302, (url, text(page(response))[:600])


def test_readers_see_no_write_links_and_officers_do(client, be_official, compliance_officer, form_records):
    client.force_login(be_official)
    for url in ["/compliance/states/IT/", f"/compliance/findings/{form_records['finding'].pk}/"]:
        body = page(client.get(url))
        assert "/new/" not in body and "/edit/" not in body and "/transition/" not in body
    client.force_login(compliance_officer)
    body = page(client.get(f"/compliance/findings/{form_records['finding'].pk}/"))
    assert f"/compliance/findings/{form_records['finding'].pk}/edit/" in body and 'value="assess"' in body
