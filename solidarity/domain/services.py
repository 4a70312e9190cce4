"""Every write to Member States, cycles and reference data. Views, API, admin and commands call these."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from solidarity.domain import hooks
from solidarity.domain.models import Designation, MemberState, ReferenceFigure, SolidarityCycle
from solidarity.platform.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed
from solidarity.platform.workflow import (
    apply_transition,
    creation_reason,
    edit_reason,
    lock,
    require_reason,
    save_audited,
    update_fields,
    validate,
)


@dataclass
class TransitionOutcome:
    cycle: SolidarityCycle
    recorded_pledges: int = 0
    drafts_left: list | None = None


def cycle_create(*, actor, reason: str, **fields) -> SolidarityCycle:
    reason = creation_reason(reason)
    if not actor.has_perm("solidarity.manage_cycle"):
        raise NotPermitted("Only the coordinator creates cycles.")
    with transaction.atomic():
        if SolidarityCycle.objects.filter(year=fields.get("year")).exists():
            # A duplicate conflicts with a stored object: 409 `unique`, as for every resource.
            raise Conflict(f"A cycle for {fields.get('year')} exists already.", code="unique", field="year")
        cycle = SolidarityCycle(**fields)
        # The key's states are data of the cycle (Art. 66): as sent, else the states the seed binds.
        codes = fields.get("states_in_key") or MemberState.objects.in_key().values_list("code", flat=True)
        cycle.states_in_key = MemberState.objects.codes_in_protocol_order(codes, field="states_in_key")
        validate(cycle)
        save_audited(cycle, actor=actor, reason=reason, bump_version=False)
    return cycle


def cycle_update(*, cycle: SolidarityCycle, changes: dict, expected_version, actor, reason: str) -> SolidarityCycle:
    if not actor.has_perm("solidarity.manage_cycle", cycle):
        raise NotPermitted("Only the coordinator changes a cycle.")
    if "status" in changes:
        raise ValidationFailed("The stage changes only through a transition.", code="read_only", field="status")
    if "states_in_key" in changes:
        changes = {
            **changes,
            "states_in_key": MemberState.objects.codes_in_protocol_order(
                changes["states_in_key"], field="states_in_key"
            ),
        }
    with transaction.atomic():
        locked = lock(SolidarityCycle, cycle.pk)
        update_fields(locked, changes=changes, expected_version=expected_version, actor=actor, reason=reason)
    return locked


def cycle_transition(
    *,
    cycle: SolidarityCycle,
    transition: str,
    actor,
    reason: str,
    council_act_reference: str = "",
    council_act_date: datetime.date | None = None,
) -> TransitionOutcome:
    """Move a cycle to its next stage. ``adopt`` records the Council act and makes submitted pledges binding.

    Adoption is one transaction: the act, the stage and every pledge change together or not at all.
    """
    with transaction.atomic():
        locked = lock(SolidarityCycle, cycle.pk)
        outcome = TransitionOutcome(cycle=locked)
        # Asked of the coordinator only: anyone else learns 403 from apply_transition, not what the cycle lacks.
        if transition == "adopt" and actor.has_perm("solidarity.manage_cycle", locked):
            # AMMR Art. 57: the Council implementing act establishes the pool and each state's pledges.
            reference = (council_act_reference or locked.council_act_reference).strip()
            act_date = council_act_date or locked.council_act_date
            if not reference or not act_date:
                # A missing precondition of the transition: 409, as a transition refused by the stage.
                raise TransitionNotAllowed(
                    "Adoption needs the Council act's reference and date.",
                    code="council_act_required",
                    field="council_act_reference" if not reference else "council_act_date",
                )
            locked.council_act_reference, locked.council_act_date = reference, act_date
        apply_transition(
            locked,
            name=transition,
            allowed=SolidarityCycle.TRANSITIONS,
            permission="solidarity.manage_cycle",
            actor=actor,
            reason=reason,
        )
        if transition == "adopt":
            outcome.recorded_pledges, outcome.drafts_left = hooks.record_pledges_on_adoption(
                cycle=locked, actor=actor, reason=reason
            )
    return outcome


@dataclass(frozen=True)
class FigureRow:
    member_state: str
    population: int
    gdp_eur_million: object
    population_reference_date: datetime.date | None = None
    population_source: str = ""
    gdp_reference_year: int | None = None
    gdp_source: str = ""
    verified: bool = False


def reference_figures_replace(
    *, cycle: SolidarityCycle, rows: Iterable[FigureRow], actor, reason: str, fields: tuple[str, ...] | None = None
) -> dict[str, int]:
    """Create or update a cycle's reference figures, all in one transaction, each change with history.

    ``fields`` limits the update to some columns (a population-only import leaves GDP untouched).
    """
    reason = require_reason(reason)
    # actor None is the system itself (a management command run by an operator with shell access).
    if actor is not None and not actor.has_perm("solidarity.change_referencefigure"):
        raise NotPermitted("Only the coordinator changes reference figures.")
    rows = list(rows)
    known = set(MemberState.objects.values_list("code", flat=True))
    unknown = sorted({row.member_state for row in rows} - known)
    if unknown:
        raise ValidationFailed(f"Unknown Member State code(s): {', '.join(unknown)}.", code="unknown_member_state")
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {
            figure.member_state_id: figure for figure in ReferenceFigure.objects.select_for_update().filter(cycle=cycle)
        }
        for row in rows:
            values = {
                name: getattr(row, name)
                for name in (
                    "population",
                    "gdp_eur_million",
                    "population_reference_date",
                    "population_source",
                    "gdp_reference_year",
                    "gdp_source",
                    "verified",
                )
                if fields is None or name in fields
            }
            figure = existing.get(row.member_state)
            if figure is None:
                figure = ReferenceFigure(cycle=cycle, member_state_id=row.member_state, **values)
                figure.full_clean(validate_unique=False)
                save_audited(figure, actor=actor, reason=reason, bump_version=False)
                counts["created"] += 1
                continue
            changed = [name for name, value in values.items() if getattr(figure, name) != value]
            if not changed:
                counts["unchanged"] += 1
                continue
            for name in changed:
                setattr(figure, name, values[name])
            save_audited(figure, actor=actor, reason=reason)
            counts["updated"] += 1
    return counts


def designation_set(
    *,
    cycle: SolidarityCycle,
    member_state: MemberState,
    kind: str,
    ground: str = "",
    source: str = "",
    actor,
    reason: str,
) -> Designation:
    reason = require_reason(reason, omitted="")  # required unless it creates the designation (below)
    if actor is not None and not actor.has_perm("solidarity.change_designation"):
        raise NotPermitted("Only the coordinator records designations.")
    with transaction.atomic():
        designation = (
            Designation.objects.select_for_update().filter(cycle=cycle, member_state=member_state, kind=kind).first()
        )
        if designation is None:
            reason = creation_reason(reason)
            designation = Designation(cycle=cycle, member_state=member_state, kind=kind)
        elif (designation.ground, designation.source) == (ground, source):
            return designation
        reason = edit_reason(designation, reason) if designation.pk else reason
        designation.ground, designation.source = ground, source
        designation.full_clean(validate_unique=False)
        save_audited(designation, actor=actor, reason=reason, bump_version=designation.pk is not None)
    return designation
