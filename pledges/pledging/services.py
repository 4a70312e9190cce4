"""Every write to pledges and to the deductions of them, and the checks that decide whether a write may be
offered: who records a pledge for which state, in which cycle, and when a pledge can still change."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pledges.pledging.models import (
    DEDUCT_TRANSITION,
    KIND_PERCENT_FIELD,
    OPEN_DEDUCTION_STATUSES,
    DeductionRequest,
    DeductionScope,
    DeductionStatus,
    Pledge,
    PledgeKind,
    PledgeStatus,
)
from pledges.pledging.selectors import pledging_cycles
from solidarity.domain.models import CycleStatus, DesignationKind, MemberState, SolidarityCycle
from solidarity.platform.errors import Conflict, DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from solidarity.platform.numbers import read_decimal, read_euros, read_whole
from solidarity.platform.wording import with_article
from solidarity.platform.workflow import (
    apply_transition,
    check_version,
    creation_reason,
    edit_reason,
    lock,
    save_audited,
)

# Bounds that no real pledge reaches: they catch a typo of three zeros before it is recorded.
MAX_RELOCATIONS = 1_000_000
MAX_EUR = Decimal("100000000000.00")


def clean_pledge_measure(*, kind: str, quantity, amount_eur, description: str) -> dict:
    """The measure of a pledge, checked against its kind (AMMR Art. 56(2)); raises on the first bad field."""
    if kind not in PledgeKind.values:
        raise ValidationFailed(
            f"Unknown kind {kind!r}: use relocation, financial or alternative.", code="invalid_choice", field="kind"
        )
    description = (description or "").strip()
    if kind == PledgeKind.RELOCATION:
        if amount_eur not in (None, ""):
            raise ValidationFailed(
                "A relocation pledge is counted in persons: leave the amount in euros empty.",
                code="not_allowed_for_kind",
                field="amount_eur",
            )
        if quantity in (None, ""):
            raise ValidationFailed("Give the number of persons to relocate.", code="required", field="quantity")
        persons = read_whole(quantity, field="quantity")
        if persons <= 0:
            raise ValidationFailed("The number of persons must be above zero.", code="not_positive", field="quantity")
        if persons > MAX_RELOCATIONS:
            raise ValidationFailed(
                f"{persons:,} persons is beyond any pool; check the figure.", code="too_large", field="quantity"
            )
        return {"quantity": persons, "amount_eur": None, "description": description}
    if quantity not in (None, ""):
        raise ValidationFailed(
            "Only a relocation pledge is counted in persons: leave the number of persons empty.",
            code="not_allowed_for_kind",
            field="quantity",
        )
    if amount_eur in (None, ""):
        raise ValidationFailed("Give the amount in euros.", code="required", field="amount_eur")
    euros = read_euros(amount_eur, field="amount_eur")
    if euros <= 0:
        raise ValidationFailed("The amount must be above zero.", code="not_positive", field="amount_eur")
    if euros > MAX_EUR:
        raise ValidationFailed(
            f"EUR {euros:,} is beyond any pool; check the figure.", code="too_large", field="amount_eur"
        )
    if kind == PledgeKind.ALTERNATIVE and not description:
        raise ValidationFailed(
            "Describe the alternative solidarity measure (operational support, staff, equipment...).",
            code="required",
            field="description",
        )
    return {"quantity": None, "amount_eur": euros, "description": description}


def _check_earmark(earmark: MemberState | None, member_state: MemberState) -> None:
    if earmark is not None and earmark.pk == member_state.pk:
        raise ValidationFailed("A state cannot earmark its pledge to itself.", code="earmark_self", field="earmark")


def _require_pledging(cycle: SolidarityCycle) -> None:
    if cycle.status != CycleStatus.PLEDGING:
        raise Conflict(
            f"The pledging exercise of {cycle.year} is not open (the cycle is {cycle.get_status_display().lower()}): "
            "after the Council act only a deduction lowers a pledge.",
            code="pledging_closed",
        )


def _require_revisable(pledge: Pledge) -> None:
    # A pledge changes while it is the state's offer: once recorded by the Council act it is binding.
    if pledge.status not in (PledgeStatus.DRAFT, PledgeStatus.SUBMITTED):
        raise TransitionNotAllowed(
            _("%(a_status)s pledge cannot be changed.")
            % {"a_status": with_article(pledge.get_status_display().lower()).capitalize()},
            code="pledge_not_editable",
        )


def may_record_pledges(user) -> bool:
    """Whether ``user`` records pledges at all: an official acting for a Member State."""
    return user.has_perm("pledges.add_pledge") and bool(user.member_state_id)


def pledging_state(actor, code: str | None) -> MemberState:
    """The state ``actor`` records a new pledge for: ``code`` (in either case), their own when none is given.
    NotPermitted for another state's code or an unknown one."""
    code = code or actor.member_state_id
    state = MemberState.objects.filter(code=str(code).upper()).first()
    if state is None or not actor.has_perm("pledges.change_pledge", Pledge(member_state=state)):
        raise NotPermitted(f"You record pledges for {actor.member_state.name}, not for {code}.")
    return state


def open_pledging_cycle() -> SolidarityCycle:
    """The newest cycle in its pledging exercise; Conflict when none is open.

    AMMR Art. 13: pledges are made in the pledging exercise that follows the Commission's proposal.
    """
    cycle = pledging_cycles().first()
    if cycle is None:
        current = SolidarityCycle.objects.current()
        stage = f" (the {current.year} cycle is {current.get_status_display().lower()})" if current else ""
        raise Conflict(
            f"No cycle is in its pledging exercise{stage}: pledges are recorded only while it is open.",
            code="pledging_closed",
        )
    return cycle


def pledge_change_blocker(pledge: Pledge, actor) -> DomainError | None:
    """Why ``actor`` cannot change ``pledge`` now (revise it or move it), in the words of the refusal the
    services would give; None when nothing stands in the way. A page asks before it offers a form."""
    if not actor.has_perm("pledges.change_pledge", pledge):
        return NotPermitted(f"Only an official of {pledge.member_state.name} changes its pledges.")
    try:
        _require_pledging(pledge.cycle)
        _require_revisable(pledge)
    except DomainError as error:
        return error
    return None


def unsaved_pledge(*, cycle, member_state, kind: str, quantity, amount_eur, description: str, earmark=None) -> Pledge:
    """The pledge these values make, its measure read and checked (``clean_pledge_measure``), not saved: what a
    preview shows."""
    pledge = Pledge(cycle=cycle, member_state=member_state, kind=kind, earmark=earmark)
    measure = clean_pledge_measure(kind=kind, quantity=quantity, amount_eur=amount_eur, description=description)
    for name, value in measure.items():
        setattr(pledge, name, value)
    return pledge


def pledge_create(
    *,
    cycle: SolidarityCycle,
    kind: str,
    actor,
    reason: str,
    member_state: MemberState | None = None,
    quantity=None,
    amount_eur=None,
    description: str = "",
    earmark: MemberState | None = None,
    illustrative: bool = False,
) -> Pledge:
    reason = creation_reason(reason)
    member_state = member_state or actor.member_state
    if member_state is None or not actor.has_perm("pledges.add_pledge"):
        raise NotPermitted("Only an official of a Member State records pledges.")
    pledge = Pledge(cycle=cycle, member_state=member_state, kind=kind, earmark=earmark, illustrative=illustrative)
    if not actor.has_perm("pledges.change_pledge", pledge):
        raise NotPermitted(f"You record pledges for {actor.member_state_id or 'no state'}, not {member_state.pk}.")
    for name, value in clean_pledge_measure(
        kind=kind, quantity=quantity, amount_eur=amount_eur, description=description
    ).items():
        setattr(pledge, name, value)
    _check_earmark(earmark, member_state)
    with transaction.atomic():
        cycle = lock(SolidarityCycle, cycle.pk)
        _require_pledging(cycle)
        pledge.cycle = cycle
        pledge.recorded_by = actor
        try:
            with transaction.atomic():
                save_audited(pledge, actor=actor, reason=reason, bump_version=False)
        except IntegrityError:
            raise Conflict(
                f"{member_state.pk} already has a live {pledge.get_kind_display().lower()} pledge in {cycle.year}: "
                "revise that one instead.",
                code="pledge_exists",
                field="kind",
            ) from None
    return pledge


def pledge_update(*, pledge: Pledge, changes: dict, expected_version, actor, reason: str) -> Pledge:
    """Revise a draft or submitted pledge during the pledging exercise; each revision is a history version."""
    if not actor.has_perm("pledges.change_pledge", pledge):
        raise NotPermitted("Only an official of the pledging state changes its pledge.")
    unknown = set(changes) - {"quantity", "amount_eur", "description", "earmark"}
    if unknown:
        raise ValidationFailed(f"{', '.join(sorted(unknown))} cannot be changed.", code="read_only", field=min(unknown))
    with transaction.atomic():
        locked = lock(Pledge, pledge.pk)
        check_version(locked, expected_version)
        reason = edit_reason(locked, reason)
        _require_pledging(locked.cycle)
        _require_revisable(locked)
        measure = clean_pledge_measure(
            kind=locked.kind,
            quantity=changes.get("quantity", locked.quantity),
            amount_eur=changes.get("amount_eur", locked.amount_eur),
            description=changes.get("description", locked.description),
        )
        earmark = changes.get("earmark", locked.earmark)
        _check_earmark(earmark, locked.member_state)
        new_values = {**measure, "earmark": earmark}
        changed = [name for name, value in new_values.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, new_values[name])
            save_audited(locked, actor=actor, reason=reason)
    return locked


def pledge_transition(*, pledge: Pledge, transition: str, actor, reason: str, expected_version=None) -> Pledge:
    """Submit, reopen or withdraw a pledge (officials of its state, during the pledging exercise)."""
    with transaction.atomic():
        locked = lock(Pledge, pledge.pk)
        if expected_version not in (None, ""):
            check_version(locked, expected_version)
        if transition in Pledge.USER_TRANSITIONS and actor.has_perm("pledges.change_pledge", locked):
            _require_pledging(locked.cycle)
        apply_transition(
            locked,
            name=transition,
            allowed=Pledge.USER_TRANSITIONS,
            permission="pledges.change_pledge",
            actor=actor,
            reason=reason,
        )
    return locked


def pledge_create_and_submit(**fields) -> Pledge:
    """``pledge_create`` and its submission in one step: a pledge that cannot be submitted is not left behind
    as a draft."""
    with transaction.atomic():
        pledge = pledge_create(**fields)
        return pledge_transition(pledge=pledge, transition="submit", actor=fields["actor"], reason=fields["reason"])


def pledges_record_for_adoption(*, cycle, actor, reason: str) -> tuple[int, list[Pledge]]:
    """Make every submitted pledge of ``cycle`` binding; return how many, and the drafts left untouched.

    Called inside the adoption's transaction (AMMR Art. 57): each pledge gets its own history row.
    """
    recorded = 0
    for pledge in Pledge.objects.select_for_update().filter(cycle=cycle, status=PledgeStatus.SUBMITTED):
        pledge.record()
        save_audited(pledge, actor=actor, reason=reason, transition="record")
        recorded += 1
    drafts = list(Pledge.objects.filter(cycle=cycle, status=PledgeStatus.DRAFT).select_related("member_state"))
    return recorded, drafts


def deduction_request(
    *,
    cycle: SolidarityCycle,
    article: str,
    scope: str,
    grounds: str,
    actor,
    reason: str,
    member_state: MemberState | None = None,
    requested_percent=None,
    illustrative: bool = False,
) -> DeductionRequest:
    """A state asks for a full or partial deduction of its contributions (AMMR Arts 61-62)."""
    reason = creation_reason(reason)
    member_state = member_state or actor.member_state
    deduction = DeductionRequest(
        cycle=cycle, member_state=member_state, article=article, scope=scope, illustrative=illustrative
    )
    if member_state is None or not actor.has_perm("pledges.request_deduction", deduction):
        raise NotPermitted("Only an official of the state requests its deduction.")
    if scope == DeductionScope.FULL:
        percent = Decimal(100)
    elif scope == DeductionScope.PARTIAL:
        if requested_percent in (None, ""):
            raise ValidationFailed(
                "Give the part of the pledges to deduct, in percent.", code="required", field="requested_percent"
            )
        percent = read_decimal(requested_percent, field="requested_percent")
        if not Decimal(0) < percent < Decimal(100):
            raise ValidationFailed(
                "A partial deduction lies between 0 and 100 %.", code="out_of_range", field="requested_percent"
            )
    else:
        raise ValidationFailed("Choose a full or a partial deduction.", code="invalid_choice", field="scope")
    # Art. 61 is for a state under migratory pressure, Art. 62 for one facing a significant situation.
    needed = {"61": DesignationKind.UNDER_PRESSURE, "62": DesignationKind.SIGNIFICANT_SITUATION}.get(article)
    if needed is None:
        raise ValidationFailed("The article is 61 or 62.", code="invalid_choice", field="article")
    if not cycle.designations.filter(member_state=member_state, kind=needed).exists():
        # A missing precondition (the designation of Art. 11), not bad input: 409.
        raise Conflict(
            f"{member_state.pk} is not designated as {needed.label.lower()} in {cycle.year}: "
            f"Art. {article} does not apply.",
            code="not_designated",
            field="article",
        )
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationFailed("State the grounds of the request.", code="required", field="grounds")
    deduction.requested_percent, deduction.grounds = percent, grounds
    with transaction.atomic():
        if cycle.deduction_requests.filter(
            member_state=member_state, status__in=[DeductionStatus.REQUESTED, DeductionStatus.UNDER_ASSESSMENT]
        ).exists():
            raise Conflict(
                f"{member_state.pk} already has an open deduction request for {cycle.year}.", code="deduction_open"
            )
        save_audited(deduction, actor=actor, reason=reason, bump_version=False)
    return deduction


def _read_act_date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            _("Give the date of the Council implementing act as YYYY-MM-DD."), code="invalid", field="council_act_date"
        ) from None


def _percent_by_kind(transition: str, granted_percent, percent_by_kind) -> dict[str, Decimal]:
    """What the Council deducts from each type of measure (AMMR Art. 56(2)), in percent: 100 for all of them in a
    full deduction; in a partial one the percent given for each type, or ``granted_percent`` for every type."""
    if transition == "grant_full":
        return dict.fromkeys(PledgeKind.values, Decimal(100))
    given = {kind: value for kind, value in (percent_by_kind or {}).items() if value not in (None, "")}
    unknown = set(given) - set(PledgeKind.values)
    if unknown:
        raise ValidationFailed(
            _("Deductions are decided by type of measure: relocation, financial or alternative."),
            code="invalid_choice",
            field="percent_by_kind",
        )
    if granted_percent in (None, "") and not given:
        raise ValidationFailed(
            _("Give the part granted, in percent, or the part of each type of measure."),
            code="required",
            field="granted_percent",
        )
    result = {}
    for kind in PledgeKind.values:
        field = f"{KIND_PERCENT_FIELD[kind]}" if kind in given else "granted_percent"
        value = given.get(kind, granted_percent)
        percent = Decimal(0) if value in (None, "") else read_decimal(value, field=field)
        if not Decimal(0) <= percent <= Decimal(100):
            raise ValidationFailed(_("A deduction lies between 0 and 100 %."), code="out_of_range", field=field)
        result[kind] = percent
    if all(percent == 0 for percent in result.values()) or all(percent == 100 for percent in result.values()):
        raise ValidationFailed(
            _("A partial deduction takes part of the pledges: above 0 and below 100 % of them."),
            code="out_of_range",
            field="granted_percent",
        )
    return result


def _deduct_from_pledges(deduction: DeductionRequest, percent_by_kind: dict[str, Decimal], *, actor, reason: str):
    """Lower the state's binding pledges of the cycle by what the Council deducted (AMMR Arts 61(1), 62(1), 62(4));
    return the share of them deducted, in relocation equivalents (percent), or None when it has none.

    A pledge keeps its amount and records the deducted part (``Pledge.binding_measure``), each in its history.
    A part already activated is not deducted silently: the grant is refused (409 ``deduction_below_activated``),
    because the registry records the Council's decision as taken or not at all; the coordinator first settles
    the activations (a proposed one can be declined) or records the act's actual figures.
    """
    pledges = list(
        Pledge.objects.select_for_update()
        .filter(cycle_id=deduction.cycle_id, member_state_id=deduction.member_state_id, status=PledgeStatus.RECORDED)
        .select_related("cycle")
        .order_by("pk")
    )
    cycle = deduction.cycle
    pledged_equivalent = deducted_equivalent = Decimal(0)
    changes = []
    for pledge in pledges:
        deducted = pledge.deduction_of(percent_by_kind[pledge.kind])
        if Decimal(pledge.pledged_measure) - deducted < pledge.activated:
            raise Conflict(
                _(
                    "%(activated)s of the %(kind)s pledge %(pk)s is already activated: a deduction of %(percent)s %% "
                    "would leave less binding than activated."
                )
                % {
                    "activated": f"{pledge.activated:,}",
                    "kind": pledge.get_kind_display().lower(),
                    "pk": pledge.pk,
                    "percent": percent_by_kind[pledge.kind],
                },
                code="deduction_below_activated",
                extra={"pledge": pledge.pk, "activated": str(pledge.activated), "deducted": str(deducted)},
            )
        unit = {"relocations": pledge.pledged_measure} if pledge.kind == PledgeKind.RELOCATION else None
        pledged_equivalent += cycle.relocation_equivalent(**(unit or {"euros": pledge.pledged_measure}))
        deducted_equivalent += cycle.relocation_equivalent(
            **({"relocations": deducted} if unit else {"euros": deducted})
        )
        changes.append((pledge, deducted))
    for pledge, deducted in changes:
        if pledge.deducted != deducted:
            pledge.deducted = deducted
            save_audited(pledge, actor=actor, reason=reason, transition=DEDUCT_TRANSITION)
    if not pledged_equivalent:
        return None
    return (deducted_equivalent * 100 / pledged_equivalent).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def deduction_decide(
    *,
    deduction: DeductionRequest,
    transition: str,
    actor,
    reason: str,
    granted_percent=None,
    council_act_reference: str = "",
    council_act_date=None,
    percent_by_kind: dict | None = None,
) -> DeductionRequest:
    """The coordinator records the Commission's assessment or the Council's decision (Art. 62(3)-(4)).

    A grant records the Council implementing act (reference and date) and what it deducts from each type of
    measure, and lowers the state's binding pledges of the cycle accordingly (``_deduct_from_pledges``): AMMR
    Art. 61(1), "a partial or full deduction of its pledged contributions set out in the Council implementing
    act". The fair share is not touched.
    """
    with transaction.atomic():
        locked = lock(DeductionRequest, deduction.pk)
        granting = transition in ("grant_full", "grant_partial")
        if granting and actor.has_perm("pledges.decide_deduction", locked) and locked.status in OPEN_DEDUCTION_STATUSES:
            reference = (council_act_reference or "").strip()
            if not reference:
                # No Council act, no grant (Art. 62(4)): a missing precondition, 409 as every refused transition.
                raise TransitionNotAllowed(
                    _("A deduction is granted by a Council implementing act: give its reference."),
                    code="council_act_required",
                    field="council_act_reference",
                )
            if council_act_date in (None, ""):
                raise TransitionNotAllowed(
                    _("A deduction is granted by a Council implementing act: give its date."),
                    code="council_act_date_required",
                    field="council_act_date",
                )
            act_date = _read_act_date(council_act_date)
            percents = _percent_by_kind(transition, granted_percent, percent_by_kind)
            locked.council_act_reference, locked.council_act_date = reference, act_date
            for kind, percent in percents.items():
                setattr(locked, KIND_PERCENT_FIELD[kind], percent)
            share = _deduct_from_pledges(locked, percents, actor=actor, reason=reason)
            if transition == "grant_partial":
                # Deducted unevenly by type: the share of the state's pledges deducted, in relocation equivalents.
                uniform = set(percents.values())
                locked.granted_percent = uniform.pop() if len(uniform) == 1 else (share or Decimal(0))
        try:
            with transaction.atomic():
                apply_transition(
                    locked,
                    name=transition,
                    allowed=DeductionRequest.TRANSITIONS,
                    permission="pledges.decide_deduction",
                    actor=actor,
                    reason=reason,
                )
        except IntegrityError:
            raise Conflict(
                _("%(state)s already has a granted deduction for %(year)s.")
                % {"state": locked.member_state_id, "year": locked.cycle.year},
                code="deduction_already_granted",
            ) from None
    return locked
