import datetime
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from pledges.pledging.models import DeductionRequest
from solidarity.accounts.models import User
from solidarity.demo import DEMO_PASSWORD, DEMO_USERS
from solidarity.domain.models import (
    Designation,
    IndicativeAdjustment,
    OfficialShare,
    ReferenceFigure,
    SolidarityCycle,
)
from solidarity.domain.selectors import cycle_fair_shares
from solidarity.domain.services import FigureRow, reference_figures_replace

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def load_demo(*args) -> str:
    out = StringIO()
    # pytest-django runs with DEBUG off, where the command refuses unless forced.
    call_command("loaddemo", "--force", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every table, history tables and many-to-many tables included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


@pytest.fixture
def demo():
    return load_demo()


@pytest.fixture
def coordinator_user(demo):
    return User.objects.get(username="coordinator")


def test_loads_2026_in_application_and_2027_pledging(demo):
    assert SolidarityCycle.objects.get(year=2026).status == "in_application"
    assert SolidarityCycle.objects.get(year=2027).status == "pledging"
    assert "Cycle 2026: in_application" in demo
    assert "Cycle 2027: pledging" in demo


def test_2026_cycle_carries_the_facts_of_the_council_act(demo):
    cycle = SolidarityCycle.objects.get(year=2026)
    assert (cycle.reference_relocations, cycle.reference_financial_eur) == (21000, Decimal("420000000.00"))
    assert (cycle.proposal_relocations, cycle.proposal_financial_eur) == (30000, Decimal("600000000.00"))
    assert cycle.eur_per_relocation == Decimal("20000.00")
    assert (cycle.weight_population, cycle.weight_gdp) == (Decimal("0.5"), Decimal("0.5"))
    assert cycle.relocation_rounding == "up"
    assert cycle.sar_share_percent == Decimal(42)
    assert cycle.report_reference == "COM(2025) 795 final"
    assert cycle.report_date == datetime.date(2025, 11, 11)
    assert cycle.pressure_decision_reference == "Commission Implementing Decision (EU) 2025/2323"
    assert cycle.pressure_decision_date == datetime.date(2025, 11, 11)
    assert cycle.proposal_date == datetime.date(2025, 11, 11)
    assert cycle.forum_dates == ["2025-11-18", "2025-11-27"]
    assert cycle.political_agreement_date == datetime.date(2025, 12, 8)
    assert cycle.council_act_reference == "Council Implementing Decision (EU) 2025/2642"
    assert cycle.council_act_date == datetime.date(2025, 12, 19)
    assert cycle.applies_from == datetime.date(2026, 6, 12)
    # The regulation's own date is another (Art. 85), recorded with where it was read.
    assert cycle.regulation_applies_from == datetime.date(2026, 7, 1)
    assert "Art. 84" in cycle.regulation_applies_from_source and "not read" in cycle.regulation_applies_from_source
    assert cycle.implementation_deadline == datetime.date(2026, 12, 31)
    assert "2024/1351" in cycle.legal_basis


def test_2026_history_shows_every_stage_moved_by_the_coordinator(demo):
    rows = list(SolidarityCycle.objects.get(year=2026).history.order_by("history_id"))
    transitions = [row.history_transition for row in rows if row.history_transition]
    assert transitions == ["propose", "open_pledging", "adopt", "start_application"]
    assert [row.status for row in rows if row.history_transition] == [
        "proposed",
        "pledging",
        "adopted",
        "in_application",
    ]
    assert {row.history_user.username for row in rows} == {"coordinator"}
    assert all(row.history_change_reason.startswith("Demo data") for row in rows)
    # The Council act's reference numbers replaced the proposal's before adoption, not at creation.
    assert rows[0].reference_relocations == 30000


def test_26_state_key_computes_and_matches_the_official_shares(demo):
    cycle = SolidarityCycle.objects.get(year=2026)
    shares = cycle_fair_shares(cycle)
    assert len(shares) == 26
    assert "DK" not in shares
    assert sum(share.share_percent for share in shares.values()) == Decimal(
        "100.0001"
    )  # each share rounded half-up on its own
    official = {row.member_state_id: row for row in OfficialShare.objects.filter(cycle=cycle)}
    assert set(official) == {"DE", "FR"}
    assert (official["DE"].share_percent, official["DE"].relocations) == (Decimal("21.6890"), 4555)
    assert (official["FR"].share_percent, official["FR"].relocations) == (Decimal("16.0021"), 3361)
    for code, row in official.items():
        assert not row.verified
        assert "2025/2642" in row.source
        assert abs(shares[code].share_percent - row.share_percent) < Decimal("0.05"), code


def test_designations_of_the_pressure_decision(demo):
    designations = Designation.objects.filter(cycle__year=2026)
    by_kind = {}
    for designation in designations:
        by_kind.setdefault(designation.kind, {})[designation.member_state_id] = designation.ground
    assert by_kind["under_pressure"] == {"CY": "arrivals", "EL": "arrivals", "ES": "sar", "IT": "sar"}
    assert set(by_kind["significant_situation"]) == {"AT", "BG", "CZ", "EE", "HR", "PL"}
    assert set(by_kind["at_risk"]) == {"BE", "BG", "DE", "EE", "IE", "FR", "HR", "LV", "LT", "NL", "PL", "FI"}
    assert {designation.source for designation in designations} == {"Commission Implementing Decision (EU) 2025/2323"}


def test_the_reported_2026_zeros_are_the_acts_figures_not_granted_deductions(demo, client):
    # DOMAIN.md, "Deductions": AT, CZ, HR and PL are "zero in the act's annex; legal basis not verified"; Spain's
    # statement to the act disputes that the Council decided deductions (AMMR Arts 61-62).
    assert not DeductionRequest.objects.filter(cycle__year=2026).granted().exists()
    # The one request is illustrative and undecided: Bulgaria's, under Art. 62.
    (request,) = DeductionRequest.objects.filter(cycle__year=2026)
    assert (request.member_state_id, request.article, request.status, request.illustrative) == (
        "BG",
        "62",
        "requested",
        True,
    )
    zeros = IndicativeAdjustment.objects.filter(cycle__year=2026)
    assert sorted({z.member_state_id for z in zeros}) == ["AT", "CZ", "HR", "PL"]
    assert {(z.figure, z.source, z.value) for z in zeros} == {
        ("relocations", "council_act", Decimal(0)),
        ("financial_eur", "council_act", Decimal(0)),
    }
    for zero in zeros:
        assert not zero.legal_basis_verified and zero.status_label == "legal basis not verified"
        assert "Council Implementing Decision (EU) 2025/2642" in zero.source_text
        assert "without the Council having decided on these deductions" in zero.note
        (created,) = zero.history.all()
        assert (created.history_user, created.history_change_reason) == (None, "Demo data")
    # The fair share stays as the key computes it.
    shares = cycle_fair_shares(SolidarityCycle.objects.get(year=2026))
    assert shares["AT"].obligation_relocations == shares["AT"].relocations > 0


def test_2027_cycle_is_illustrative_with_the_2026_figures_copied(demo):
    cycle = SolidarityCycle.objects.get(year=2027)
    assert (cycle.reference_relocations, cycle.reference_financial_eur) == (30000, Decimal("600000000.00"))
    assert "Illustrative" in cycle.notes
    assert [row.history_transition for row in cycle.history.order_by("history_id")] == ["", "propose", "open_pledging"]
    copied = {f.member_state_id: f for f in ReferenceFigure.objects.filter(cycle=cycle)}
    original = {f.member_state_id: f for f in ReferenceFigure.objects.filter(cycle__year=2026)}
    assert len(copied) == len(original) == 27
    for code, figure in copied.items():
        assert (figure.population, figure.gdp_eur_million) == (
            original[code].population,
            original[code].gdp_eur_million,
        )
        assert "copied from the 2026 cycle" in figure.population_source
        assert "copied from the 2026 cycle" in figure.gdp_source
        assert not figure.verified
    assert len(cycle_fair_shares(cycle)) == 26


def test_a_second_run_changes_no_row_and_writes_no_history(demo):
    before = row_counts()
    assert before["solidarity.HistoricalSolidarityCycle"] == 9
    output = load_demo()
    assert row_counts() == before
    assert "Nothing to do" in output


def test_a_second_run_keeps_figures_imported_since(demo, coordinator_user):
    cycle = SolidarityCycle.objects.get(year=2026)
    reference_figures_replace(
        cycle=cycle,
        rows=[FigureRow(member_state="BE", population=12_000_000, gdp_eur_million=Decimal("620000.00"), verified=True)],
        actor=coordinator_user,
        reason="Official Eurostat figures",
        fields=("population", "gdp_eur_million", "verified"),
    )
    load_demo()
    figure = ReferenceFigure.objects.get(cycle=cycle, member_state="BE")
    assert (figure.population, figure.verified) == (12_000_000, True)


def test_each_demo_user_has_its_role_state_and_the_printed_password(demo):
    expected = {
        "admin": (set(), None),
        "coordinator": ({"coordinator"}, None),
        "auditor": ({"auditor"}, None),
        "compliance": ({"compliance_officer"}, None),
        "be_official": ({"official"}, "BE"),
        "nl_official": ({"official"}, "NL"),
        "be_negotiator": ({"negotiator"}, "BE"),
        "nl_negotiator": ({"negotiator"}, "NL"),
    }
    assert {user.username for user in DEMO_USERS} == set(expected)
    for username, (groups, member_state) in expected.items():
        user = User.objects.get(username=username)
        assert set(user.groups.values_list("name", flat=True)) == groups, username
        assert user.member_state_id == member_state, username
        assert user.check_password(DEMO_PASSWORD), username
        assert username in demo
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()
    assert DEMO_PASSWORD in demo


def test_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError, match="--force"):
        call_command("loaddemo", stdout=StringIO())
    assert not User.objects.exists()
    assert not SolidarityCycle.objects.exists()


def test_dry_run_writes_nothing():
    before = row_counts()
    output = load_demo("--dry-run")
    assert "Would load" in output
    assert row_counts() == before


def test_a_password_the_validators_refuse_is_an_error():
    with pytest.raises(CommandError, match="too short"):
        load_demo("--password", "short")
    assert not User.objects.exists()


def test_loads_twice_on_sqlite_when_database_url_is_unset(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DEBUG": "1",
        "SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "solidarity.settings",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    migrate = manage("migrate", "--noinput", "-v0")
    assert migrate.returncode == 0, migrate.stderr
    first = manage("loaddemo")
    assert first.returncode == 0, first.stderr
    assert "Cycle 2026: in_application" in first.stdout
    second = manage("loaddemo")
    assert second.returncode == 0, second.stderr
    assert "Nothing to do" in second.stdout


def test_2026_pledges_are_illustrative_recorded_and_be_pledges_only_money(demo):
    from pledges.implementation.models import Activation
    from pledges.pledging.models import Pledge

    pledges_2026 = Pledge.objects.filter(cycle__year=2026)
    assert pledges_2026.exists()
    assert set(pledges_2026.values_list("illustrative", flat=True)) == {True}
    assert set(pledges_2026.values_list("status", flat=True)) == {"recorded"}
    # Belgium announced it opts for financial contributions rather than relocation.
    assert set(pledges_2026.filter(member_state="BE").values_list("kind", flat=True)) == {"financial"}
    be_activation = Activation.objects.get(pledge__member_state="BE")
    assert (be_activation.benefitting_state_id, be_activation.status) == ("EL", "accepted")
    assert be_activation.fulfilled == Decimal("2500000.00")
    # The 2027 exercise is open: BE's pledge is a draft, NL's submitted, none recorded yet.
    assert dict(Pledge.objects.filter(cycle__year=2027).values_list("member_state", "status")) == {
        "BE": "draft",
        "NL": "submitted",
    }


def test_2026_forum_meetings_and_positions_carry_their_sources(demo):
    from pledges.negotiation.models import ForumMeeting, Position

    assert sorted(str(m.date) for m in ForumMeeting.objects.filter(cycle__year=2026)) == ["2025-11-18", "2025-11-27"]
    be_nl = Position.objects.filter(member_state__in=["BE", "NL"], topic__title__startswith="Dublin compliance")
    assert {p.member_state_id for p in be_nl} == {"BE", "NL"}
    assert all("joint letter" in p.source.lower() for p in be_nl)
    assert all(p.source for p in Position.objects.all())


def test_compliance_demo_has_an_action_plan_with_benchmarks_due_june_2026(demo):
    from compliance.models import ActionPlan, DublinPerformance, Finding

    plan = ActionPlan.objects.get(cycle__year=2026)
    assert (plan.member_state_id, plan.illustrative, plan.status) == ("IT", True, "in_progress")
    assert {b.due_date for b in plan.benchmarks.all()} == {datetime.date(2026, 6, 30)}
    assert DublinPerformance.objects.filter(illustrative=False).count() == 0
    assert Finding.objects.get().status == "under_assessment"
