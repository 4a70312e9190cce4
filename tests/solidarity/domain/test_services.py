import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from pledges.pledging.models import Pledge, PledgeKind
from solidarity.domain.models import CycleStatus, Designation, ReferenceFigure, SolidarityCycle
from solidarity.domain.services import (
    FigureRow,
    cycle_create,
    cycle_transition,
    cycle_update,
    designation_set,
    reference_figures_replace,
)
from solidarity.platform.errors import (
    Conflict,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    VersionRequired,
)
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db


ACT = {
    "council_act_reference": "Council Implementing Decision (EU) 2026/9999",
    "council_act_date": datetime.date(2026, 12, 18),
}
# (stage, transition, next stage): the one path of a cycle (AMMR Arts 12, 13, 57, 58-60).
PATH = [
    ("preparation", "propose", "proposed"),
    ("proposed", "open_pledging", "pledging"),
    ("pledging", "adopt", "adopted"),
    ("adopted", "start_application", "in_application"),
    ("in_application", "close", "closed"),
]
WRONG_STAGE = [
    (stage, transition)
    for stage in CycleStatus.values
    for transition in SolidarityCycle.TRANSITIONS
    if (stage, transition) not in {(source, name) for source, name, _ in PATH}
]


def snapshot(cycle: SolidarityCycle) -> tuple:
    cycle = SolidarityCycle.objects.get(pk=cycle.pk)
    return cycle.status, cycle.version, cycle.council_act_reference, cycle.council_act_date, cycle.history.count()


def transition(cycle, name, actor, reason="Next stage of the cycle"):
    return cycle_transition(
        cycle=cycle, transition=name, actor=actor, reason=reason, **(ACT if name == "adopt" else {})
    )


# Transitions


@pytest.mark.parametrize(("stage", "name", "target"), PATH)
def test_coordinator_moves_a_cycle_to_its_next_stage(coordinator, stage, name, target):
    cycle = CycleFactory(status=stage)
    outcome = transition(cycle, name, coordinator)
    stored = SolidarityCycle.objects.get(pk=cycle.pk)
    assert stored.status == outcome.cycle.status == target
    assert stored.version == 2
    last = stored.history.first()
    assert (last.status, last.history_transition, last.history_user) == (target, name, coordinator)
    assert last.history_change_reason == "Next stage of the cycle"


def test_coordinator_walks_a_cycle_through_every_stage_in_order(coordinator):
    cycle = CycleFactory()
    for _stage, name, _target in PATH:
        cycle = transition(cycle, name, coordinator).cycle
    assert cycle.status == "closed"
    assert [row.history_transition for row in cycle.history.order_by("history_id")] == [
        "",
        *(name for _stage, name, _target in PATH),
    ]


@pytest.mark.parametrize(("stage", "name"), WRONG_STAGE)
def test_a_transition_from_the_wrong_stage_is_refused_and_changes_nothing(coordinator, stage, name):
    cycle = CycleFactory(status=stage)
    before = snapshot(cycle)
    with pytest.raises(TransitionNotAllowed) as error:
        transition(cycle, name, coordinator)
    assert error.value.code == "transition_not_allowed"
    assert error.value.status == 409
    assert error.value.extra == {"status": stage}
    assert snapshot(cycle) == before


@pytest.mark.parametrize("persona", ["be_official", "be_negotiator", "compliance_officer", "auditor", "outsider"])
@pytest.mark.parametrize(("stage", "name"), [("preparation", "propose"), ("pledging", "adopt")])
def test_only_the_coordinator_moves_a_cycle(request, persona, stage, name):
    user = request.getfixturevalue(persona)
    cycle = CycleFactory(status=stage)
    before = snapshot(cycle)
    with pytest.raises(NotPermitted) as error:
        transition(cycle, name, user)
    assert error.value.status == 403
    assert snapshot(cycle) == before


@pytest.mark.parametrize("name", ["publish", "save", "delete", "record", "", "PROPOSE"])
def test_an_unknown_transition_is_refused(coordinator, name):
    cycle = CycleFactory(status="preparation")
    before = snapshot(cycle)
    with pytest.raises(ValidationFailed) as error:
        transition(cycle, name, coordinator)
    assert (error.value.code, error.value.field) == ("transition_unknown", "transition")
    assert snapshot(cycle) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_transition_without_a_reason_is_refused(coordinator, reason):
    cycle = CycleFactory(status="preparation")
    before = snapshot(cycle)
    with pytest.raises(ValidationFailed) as error:
        transition(cycle, "propose", coordinator, reason=reason)
    assert (error.value.code, error.value.field) == ("reason_required", "reason")
    assert snapshot(cycle) == before


# Adoption of the Council act (Art. 57)


@pytest.mark.parametrize(
    ("act", "field"),
    [
        ({}, "council_act_reference"),
        ({"council_act_reference": "  "}, "council_act_reference"),
        ({"council_act_reference": "Council Implementing Decision (EU) 2026/9999"}, "council_act_date"),
        ({"council_act_date": datetime.date(2026, 12, 18)}, "council_act_reference"),
    ],
)
def test_adoption_without_the_council_act_is_refused(coordinator, act, field):
    cycle = CycleFactory(status="pledging")
    pledge = PledgeFactory(cycle=cycle, status="submitted")
    before = snapshot(cycle)
    with pytest.raises(TransitionNotAllowed) as error:
        cycle_transition(cycle=cycle, transition="adopt", actor=coordinator, reason="Council act", **act)
    assert (error.value.code, error.value.field) == ("council_act_required", field)
    assert snapshot(cycle) == before
    pledge.refresh_from_db()
    assert pledge.status == "submitted"


def test_adoption_uses_a_council_act_recorded_on_the_cycle_before(coordinator):
    cycle = CycleFactory(status="pledging", **ACT)
    outcome = cycle_transition(cycle=cycle, transition="adopt", actor=coordinator, reason="Council act")
    assert outcome.cycle.status == "adopted"
    assert outcome.cycle.council_act_reference == ACT["council_act_reference"]


def test_adoption_records_submitted_pledges_and_reports_the_drafts(coordinator):
    cycle = CycleFactory(status="pledging")
    be = PledgeFactory(cycle=cycle, member_state=state("BE"), status="submitted")
    nl = PledgeFactory(cycle=cycle, member_state=state("NL"), kind=PledgeKind.RELOCATION, status="submitted")
    fr_draft = PledgeFactory(cycle=cycle, member_state=state("FR"))
    de_withdrawn = PledgeFactory(cycle=cycle, member_state=state("DE"), status="withdrawn")
    other_cycle = PledgeFactory(cycle=CycleFactory(year=2028, status="pledging"), status="submitted")

    outcome = cycle_transition(cycle=cycle, transition="adopt", actor=coordinator, reason="Council act", **ACT)

    assert outcome.recorded_pledges == 2
    assert [pledge.pk for pledge in outcome.drafts_left] == [fr_draft.pk]
    statuses = dict(Pledge.objects.values_list("pk", "status"))
    assert statuses == {
        be.pk: "recorded",
        nl.pk: "recorded",
        fr_draft.pk: "draft",
        de_withdrawn.pk: "withdrawn",
        other_cycle.pk: "submitted",
    }
    stored = SolidarityCycle.objects.get(pk=cycle.pk)
    assert (stored.status, stored.council_act_reference, stored.council_act_date) == (
        "adopted",
        ACT["council_act_reference"],
        ACT["council_act_date"],
    )
    for pledge in (be, nl):
        last = Pledge.objects.get(pk=pledge.pk).history.first()
        assert (last.status, last.history_transition, last.history_user) == ("recorded", "record", coordinator)
        assert last.history_change_reason == "Council act"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="adds a CHECK constraint to a live table")
def test_adoption_is_all_or_nothing_when_one_pledge_cannot_be_recorded(coordinator):
    cycle = CycleFactory(status="pledging")
    be = PledgeFactory(cycle=cycle, member_state=state("BE"), status="submitted")
    nl = PledgeFactory(cycle=cycle, member_state=state("NL"), status="submitted")
    history_before = (be.history.count(), nl.history.count())
    before = snapshot(cycle)
    # A real constraint of the database refuses NL's pledge as recorded; BE's, first in protocol order,
    # has been recorded by then. The test's transaction drops the constraint again.
    with connection.cursor() as cursor:
        # The rows just inserted have deferred foreign-key checks pending, which forbid an ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"ALTER TABLE {Pledge._meta.db_table} ADD CONSTRAINT test_nl_pledge_not_recordable "
            f"CHECK (NOT (id = {int(nl.pk)} AND status = 'recorded'))"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    with pytest.raises(IntegrityError, match="test_nl_pledge_not_recordable"):
        cycle_transition(cycle=cycle, transition="adopt", actor=coordinator, reason="Council act", **ACT)

    assert snapshot(cycle) == before
    assert SolidarityCycle.objects.get(pk=cycle.pk).status == "pledging"
    assert dict(Pledge.objects.values_list("pk", "status")) == {be.pk: "submitted", nl.pk: "submitted"}
    assert (be.history.count(), nl.history.count()) == history_before


# Changes to a cycle, with optimistic locking


def test_coordinator_changes_a_cycle_with_the_version_read(coordinator):
    cycle = CycleFactory()
    updated = cycle_update(
        cycle=cycle,
        changes={"notes": "Proposal expected in June", "sar_share_percent": Decimal("42.00")},
        expected_version=1,
        actor=coordinator,
        reason="Commission's timetable",
    )
    stored = SolidarityCycle.objects.get(pk=cycle.pk)
    assert (stored.notes, stored.sar_share_percent, stored.version) == ("Proposal expected in June", Decimal(42), 2)
    assert updated.version == 2
    last = stored.history.first()
    assert (last.history_user, last.history_change_reason, last.history_transition) == (
        coordinator,
        "Commission's timetable",
        "",
    )


@pytest.mark.parametrize("version", ['"1"', 'W/"1"', " 1 ", 1])
def test_the_version_may_come_as_an_etag(coordinator, version):
    cycle = CycleFactory()
    cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version=version, actor=coordinator, reason="Note")
    assert SolidarityCycle.objects.get(pk=cycle.pk).version == 2


def test_a_stale_version_is_refused_and_names_who_changed_the_cycle(coordinator):
    colleague = UserFactory(username="colleague", roles=["coordinator"])
    cycle = CycleFactory()
    cycle_update(cycle=cycle, changes={"notes": "first"}, expected_version=1, actor=coordinator, reason="First")
    with pytest.raises(StaleVersion) as error:
        cycle_update(cycle=cycle, changes={"notes": "second"}, expected_version=1, actor=colleague, reason="Second")
    assert (error.value.code, error.value.status, error.value.field) == ("stale_version", 412, "version")
    assert error.value.extra["changed_by"] == "coordinator"
    assert error.value.extra["current_version"] == 2
    assert "coordinator" in error.value.message
    stored = SolidarityCycle.objects.get(pk=cycle.pk)
    assert (stored.notes, stored.version, stored.history.count()) == ("first", 2, 2)


@pytest.mark.parametrize("version", [None, ""])
def test_a_change_without_a_version_is_refused(coordinator, version):
    cycle = CycleFactory()
    with pytest.raises(VersionRequired) as error:
        cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version=version, actor=coordinator, reason="Note")
    assert (error.value.code, error.value.status) == ("version_required", 428)
    assert SolidarityCycle.objects.get(pk=cycle.pk).notes == ""


def test_a_version_that_is_not_a_number_is_refused(coordinator):
    cycle = CycleFactory()
    with pytest.raises(ValidationFailed) as error:
        cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version="abc", actor=coordinator, reason="Note")
    assert error.value.code == "version_invalid"


def test_the_stage_is_not_changed_by_an_update(coordinator):
    cycle = CycleFactory()
    with pytest.raises(ValidationFailed) as error:
        cycle_update(cycle=cycle, changes={"status": "closed"}, expected_version=1, actor=coordinator, reason="Skip")
    assert (error.value.code, error.value.field) == ("read_only", "status")
    assert snapshot(cycle)[:2] == ("preparation", 1)


def test_only_the_coordinator_changes_a_cycle(be_official, auditor):
    cycle = CycleFactory()
    for user in (be_official, auditor):
        with pytest.raises(NotPermitted):
            cycle_update(cycle=cycle, changes={"notes": "x"}, expected_version=1, actor=user, reason="Note")
    assert snapshot(cycle)[1:] == (1, "", None, 1)


def test_an_update_that_changes_nothing_writes_no_history(coordinator):
    cycle = CycleFactory(notes="same")
    cycle_update(cycle=cycle, changes={"notes": "same"}, expected_version=1, actor=coordinator, reason="No-op")
    assert snapshot(cycle)[1:] == (1, "", None, 1)


def test_an_invalid_value_is_refused_and_nothing_is_written(coordinator):
    cycle = CycleFactory()
    with pytest.raises(ValidationError) as error:
        cycle_update(
            cycle=cycle, changes={"sar_share_percent": Decimal(150)}, expected_version=1, actor=coordinator, reason="x"
        )
    assert "sar_share_percent" in error.value.message_dict
    assert SolidarityCycle.objects.get(pk=cycle.pk).sar_share_percent is None


# Creating a cycle


def test_coordinator_creates_a_cycle(coordinator):
    cycle = cycle_create(
        actor=coordinator,
        reason="Next year's cycle",
        year=2028,
        reference_relocations=30000,
        reference_financial_eur=Decimal("600000000.00"),
    )
    assert (cycle.status, cycle.version) == ("preparation", 1)
    (row,) = cycle.history.all()
    assert (row.history_user, row.history_change_reason) == (coordinator, "Next year's cycle")


def test_a_second_cycle_for_a_year_is_refused(coordinator):
    CycleFactory(year=2028)
    with pytest.raises(Conflict) as error:
        cycle_create(
            actor=coordinator,
            reason="Again",
            year=2028,
            reference_relocations=1,
            reference_financial_eur=Decimal(1),
        )
    assert (error.value.code, error.value.field) == ("unique", "year")


def test_only_the_coordinator_creates_a_cycle(be_official):
    with pytest.raises(NotPermitted):
        cycle_create(
            actor=be_official,
            reason="Mine",
            year=2028,
            reference_relocations=1,
            reference_financial_eur=Decimal(1),
        )
    assert not SolidarityCycle.objects.exists()


# Designations (Art. 11)


def test_designation_set_creates_then_changes_a_designation(coordinator):
    cycle = CycleFactory()
    created = designation_set(
        cycle=cycle,
        member_state=state("IT"),
        kind="under_pressure",
        ground="arrivals",
        source="Decision A",
        actor=coordinator,
        reason="Pressure decision",
    )
    assert (created.ground, created.version, created.history.count()) == ("arrivals", 1, 1)

    again = designation_set(
        cycle=cycle,
        member_state=state("IT"),
        kind="under_pressure",
        ground="arrivals",
        source="Decision A",
        actor=coordinator,
        reason="Same again",
    )
    assert again.pk == created.pk
    assert again.history.count() == 1

    changed = designation_set(
        cycle=cycle,
        member_state=state("IT"),
        kind="under_pressure",
        ground="sar",
        source="Decision A, corrigendum",
        actor=coordinator,
        reason="Corrigendum",
    )
    stored = Designation.objects.get()
    assert changed.pk == stored.pk == created.pk
    assert (stored.ground, stored.source, stored.version) == ("sar", "Decision A, corrigendum", 2)
    last = stored.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, "Corrigendum")


def test_a_state_may_carry_several_designations(coordinator):
    cycle = CycleFactory()
    for kind in ("at_risk", "significant_situation"):
        designation_set(cycle=cycle, member_state=state("BG"), kind=kind, actor=coordinator, reason="Decision")
    assert sorted(Designation.objects.values_list("kind", flat=True)) == ["at_risk", "significant_situation"]


@pytest.mark.parametrize(("kind", "ground"), [("at_risk", "sar"), ("under_pressure", "storms"), ("elsewhere", "")])
def test_an_invalid_designation_is_refused(coordinator, kind, ground):
    cycle = CycleFactory()
    with pytest.raises(ValidationError):
        designation_set(
            cycle=cycle, member_state=state("IT"), kind=kind, ground=ground, actor=coordinator, reason="Decision"
        )
    assert not Designation.objects.exists()


def test_a_designation_needs_a_reason_to_change_not_to_be_created(coordinator):
    values = {"cycle": CycleFactory(), "member_state": state("IT"), "kind": "under_pressure", "actor": coordinator}
    created = designation_set(**values, ground="arrivals", reason=" ")
    assert created.history.get().history_change_reason == "created"
    with pytest.raises(ValidationFailed) as error:
        designation_set(**values, ground="sar", reason="")
    assert (error.value.code, error.value.field) == ("reason_required", "reason")
    assert Designation.objects.get().ground == "arrivals"


# Reference figures (Art. 66, Annex I)


def rows_from(figures: dict, **overrides) -> list[FigureRow]:
    return [
        FigureRow(
            **{
                "member_state": code,
                "population": int(row["population"]),
                "gdp_eur_million": Decimal(row["gdp_eur_million"]),
                **overrides.get(code, {}),
            }
        )
        for code, row in figures.items()
    ]


def test_reference_figures_replace_counts_created_updated_and_unchanged(coordinator, cycle_2026_figures):
    cycle = CycleFactory()
    first = reference_figures_replace(
        cycle=cycle, rows=rows_from(cycle_2026_figures), actor=coordinator, reason="Eurostat"
    )
    assert first == {"created": 27, "updated": 0, "unchanged": 0}
    assert ReferenceFigure.objects.filter(cycle=cycle).count() == 27

    second = reference_figures_replace(
        cycle=cycle, rows=rows_from(cycle_2026_figures), actor=coordinator, reason="Eurostat"
    )
    assert second == {"created": 0, "updated": 0, "unchanged": 27}

    corrected = rows_from(cycle_2026_figures, BE={"population": 11_900_200}, NL={"verified": True})
    third = reference_figures_replace(cycle=cycle, rows=corrected, actor=coordinator, reason="Correction")
    assert third == {"created": 0, "updated": 2, "unchanged": 25}
    be = ReferenceFigure.objects.get(cycle=cycle, member_state="BE")
    assert (be.population, be.version) == (11_900_200, 2)
    last = be.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, "Correction")
    # One history row per figure created, plus one per change: nothing for the unchanged ones.
    assert ReferenceFigure.history.filter(cycle_id=cycle.pk).count() == 27 + 2


def test_a_partial_import_leaves_the_other_columns_alone(coordinator):
    cycle = CycleFactory()
    reference_figures_replace(
        cycle=cycle,
        rows=[FigureRow(member_state="BE", population=100, gdp_eur_million=Decimal("5.00"))],
        actor=coordinator,
        reason="First",
    )
    counts = reference_figures_replace(
        cycle=cycle,
        rows=[FigureRow(member_state="BE", population=200, gdp_eur_million=Decimal(0))],
        actor=coordinator,
        reason="Population only",
        fields=("population",),
    )
    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    be = ReferenceFigure.objects.get(cycle=cycle)
    assert (be.population, be.gdp_eur_million) == (200, Decimal("5.00"))


def test_an_unknown_state_refuses_the_whole_import(coordinator):
    cycle = CycleFactory()
    rows = [
        FigureRow(member_state="BE", population=1, gdp_eur_million=Decimal(1)),
        FigureRow(member_state="XX", population=1, gdp_eur_million=Decimal(1)),
    ]
    with pytest.raises(ValidationFailed, match="XX") as error:
        reference_figures_replace(cycle=cycle, rows=rows, actor=coordinator, reason="Import")
    assert error.value.code == "unknown_member_state"
    assert not ReferenceFigure.objects.exists()


def test_an_import_without_a_reason_is_refused(coordinator):
    with pytest.raises(ValidationFailed) as error:
        reference_figures_replace(
            cycle=CycleFactory(),
            rows=[FigureRow(member_state="BE", population=1, gdp_eur_million=Decimal(1))],
            actor=coordinator,
            reason="",
        )
    assert error.value.code == "reason_required"
    assert not ReferenceFigure.objects.exists()
