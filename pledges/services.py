"""Every write to pledges and what hangs on them: activations, fulfilment, deductions, offsets."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from pledges.models import (
    Activation,
    ActivationStatus,
    DeclineGround,
    DeductionRequest,
    DeductionScope,
    DeductionStatus,
    ForumMeeting,
    Fulfilment,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Position,
    ResponsibilityOffset,
    Stance,
    Visibility,
)
from solidarity.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed
from solidarity.models import CycleStatus, DesignationKind, MemberState, SolidarityCycle
from solidarity.workflow import apply_transition, check_version, lock, require_reason, save_audited

# Bounds that no real pledge reaches: they catch a typo of three zeros before it is recorded.
MAX_RELOCATIONS = 1_000_000
MAX_EUR = Decimal("100000000000.00")
CENT = Decimal("0.01")
OFFSET_ANSWER_DAYS = 30  # AMMR Art. 69: the requested state answers within 30 days


def _decimal(value, *, field: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(f"{value!r} is not a number.", code="not_a_number", field=field) from None
    if not number.is_finite():
        raise ValidationFailed("Give a finite number.", code="not_a_number", field=field)
    return number


def _whole_persons(value, *, field: str) -> int:
    number = _decimal(value, field=field)
    if number != number.to_integral_value():
        raise ValidationFailed("Persons are counted in whole numbers.", code="not_whole", field=field)
    return int(number)


def _euros(value, *, field: str) -> Decimal:
    number = _decimal(value, field=field)
    if number.adjusted() >= 15:
        return number  # far beyond any bound: the caller's range check names it
    if number != number.quantize(CENT):
        raise ValidationFailed("Euros have at most two decimal places.", code="too_many_decimals", field=field)
    return number.quantize(CENT)


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
        persons = _whole_persons(quantity, field="quantity")
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
    euros = _euros(amount_eur, field="amount_eur")
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
    reason = require_reason(reason)
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
        reason = require_reason(reason)
        _require_pledging(locked.cycle)
        if locked.status not in (PledgeStatus.DRAFT, PledgeStatus.SUBMITTED):
            raise TransitionNotAllowed(
                f"A {locked.get_status_display().lower()} pledge cannot be changed.", code="pledge_not_editable"
            )
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


def _pledge_unit_amount(pledge: Pledge, value, *, field: str = "amount") -> Decimal:
    if pledge.kind == PledgeKind.RELOCATION:
        amount = Decimal(_whole_persons(value, field=field))
    else:
        amount = _euros(value, field=field)
    if amount <= 0:
        raise ValidationFailed("The amount must be above zero.", code="not_positive", field=field)
    return amount


def activation_propose(*, pledge: Pledge, benefitting_state: MemberState, amount, actor, reason: str) -> Activation:
    """The coordinator calls part of a recorded pledge towards a benefitting state (AMMR Art. 60(2))."""
    reason = require_reason(reason)
    if not actor.has_perm("pledges.propose_activation"):
        raise NotPermitted("Only the coordinator proposes activations.")
    with transaction.atomic():
        # The pledge row is the lock that serialises every activation against the same pledge.
        locked = lock(Pledge, pledge.pk)
        if locked.status != PledgeStatus.RECORDED or locked.cycle.status not in (
            CycleStatus.ADOPTED,
            CycleStatus.IN_APPLICATION,
        ):
            raise Conflict(
                "Only a pledge recorded by the Council act, in a cycle in application, can be activated.",
                code="pledge_not_activatable",
            )
        if benefitting_state.pk == locked.member_state_id:
            raise ValidationFailed(
                "A state does not implement its pledge towards itself (Art. 60(3)).",
                code="benefitting_self",
                field="benefitting_state",
            )
        value = _pledge_unit_amount(locked, amount)
        remaining = locked.measure - locked.activated
        if value > remaining:
            raise Conflict(
                f"Only {remaining:,} of this pledge remain to be activated; {value:,} was asked.",
                code="exceeds_pledge",
                field="amount",
                extra={"remaining": str(remaining)},
            )
        activation = Activation(pledge=locked, benefitting_state=benefitting_state, amount=value, proposed_by=actor)
        save_audited(activation, actor=actor, reason=reason, bump_version=False)
        locked.activated += value
        save_audited(locked, actor=actor, reason=reason, transition="activate")
    return activation


def activation_transition(
    *,
    activation: Activation,
    transition: str,
    actor,
    reason: str,
    decline_ground: str = "",
    explanation: str = "",
) -> Activation:
    """The contributing state accepts or declines an activation; a decline frees that part of the pledge."""
    with transaction.atomic():
        pledge = lock(Pledge, activation.pledge_id)
        locked = lock(Activation, activation.pk)
        if transition == "decline" and actor.has_perm("pledges.answer_activation", locked):
            if decline_ground not in DeclineGround.values:
                raise ValidationFailed(
                    "Give the ground of the decline.", code="decline_ground_required", field="decline_ground"
                )
            if decline_ground == DeclineGround.SYSTEMIC_SHORTCOMINGS:
                from compliance.services import require_confirmed_finding

                locked.finding = require_confirmed_finding(activation=locked)
            locked.decline_ground = decline_ground
            locked.decline_explanation = explanation.strip()
        apply_transition(
            locked,
            name=transition,
            allowed=Activation.USER_TRANSITIONS,
            permission="pledges.answer_activation",
            actor=actor,
            reason=reason,
        )
        if locked.status == ActivationStatus.DECLINED:
            pledge.activated -= locked.amount
            save_audited(pledge, actor=actor, reason=reason, transition="release")
    return locked


def fulfilment_record(
    *, activation: Activation, date: datetime.date, amount, evidence_reference: str, actor, reason: str
) -> Fulfilment:
    """Record what was carried out; the activation is fulfilled when the whole amount is (AMMR Art. 60(3))."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = lock(Activation, activation.pk)
        if not actor.has_perm("pledges.record_fulfilment", locked):
            raise NotPermitted("Only an official of the contributing state records its fulfilment.")
        if locked.status != ActivationStatus.ACCEPTED:
            raise Conflict(
                f"Fulfilment is recorded on an accepted activation; this one is {locked.get_status_display().lower()}.",
                code="activation_not_accepted",
            )
        value = _pledge_unit_amount(locked.pledge, amount)
        if date > timezone.localdate():
            raise ValidationFailed(
                "Fulfilment is recorded once carried out, not ahead.", code="in_future", field="date"
            )
        evidence_reference = (evidence_reference or "").strip()
        if not evidence_reference:
            raise ValidationFailed(
                "Give a reference to the evidence (transfer record, payment order...).",
                code="required",
                field="evidence_reference",
            )
        remaining = locked.amount - locked.fulfilled
        if value > remaining:
            raise Conflict(
                f"Only {remaining:,} of this activation remain to be fulfilled; {value:,} was given.",
                code="exceeds_activation",
                field="amount",
                extra={"remaining": str(remaining)},
            )
        fulfilment = Fulfilment(
            activation=locked, date=date, amount=value, evidence_reference=evidence_reference, recorded_by=actor
        )
        save_audited(fulfilment, actor=actor, reason=reason, bump_version=False)
        locked.fulfilled += value
        transition = ""
        if locked.fulfilled == locked.amount:
            locked.complete()
            transition = "complete"
        save_audited(locked, actor=actor, reason=reason, transition=transition)
    return fulfilment


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
    reason = require_reason(reason)
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
                "Give the part of the contribution to deduct, in percent.", code="required", field="requested_percent"
            )
        percent = _decimal(requested_percent, field="requested_percent")
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
        raise ValidationFailed(
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


def deduction_decide(
    *,
    deduction: DeductionRequest,
    transition: str,
    actor,
    reason: str,
    granted_percent=None,
    council_act_reference: str = "",
) -> DeductionRequest:
    """The coordinator records the Commission's assessment or the Council's decision (Art. 62(3)-(4))."""
    with transaction.atomic():
        locked = lock(DeductionRequest, deduction.pk)
        if transition in ("grant_full", "grant_partial") and actor.has_perm("pledges.decide_deduction", locked):
            reference = (council_act_reference or "").strip()
            if not reference:
                raise ValidationFailed(
                    "A deduction is granted by a Council implementing act: give its reference.",
                    code="council_act_required",
                    field="council_act_reference",
                )
            locked.council_act_reference = reference
            if transition == "grant_partial":
                if granted_percent in (None, ""):
                    raise ValidationFailed(
                        "Give the part granted, in percent.", code="required", field="granted_percent"
                    )
                percent = _decimal(granted_percent, field="granted_percent")
                if not Decimal(0) < percent < Decimal(100):
                    raise ValidationFailed(
                        "A partial deduction lies between 0 and 100 %.", code="out_of_range", field="granted_percent"
                    )
                locked.granted_percent = percent
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
                f"{locked.member_state_id} already has a granted deduction for {locked.cycle.year}.",
                code="deduction_already_granted",
            ) from None
    return locked


def offset_request(
    *,
    cycle: SolidarityCycle,
    benefitting_state: MemberState,
    contributing_state: MemberState,
    applications_requested,
    actor,
    reason: str,
    requested_on: datetime.date | None = None,
) -> ResponsibilityOffset:
    """A benefitting state asks a contributing state to take responsibility for applications (Arts 63, 69)."""
    from pledges.selectors import offset_eligibility

    reason = require_reason(reason)
    offset = ResponsibilityOffset(
        cycle=cycle, benefitting_state=benefitting_state, contributing_state=contributing_state
    )
    if not actor.has_perm("pledges.request_offset", offset):
        raise NotPermitted("Only an official of the benefitting state, or the coordinator, requests offsets.")
    if benefitting_state.pk == contributing_state.pk:
        raise ValidationFailed("The two states must differ.", code="offset_self", field="contributing_state")
    count = _whole_persons(applications_requested, field="applications_requested")
    if count <= 0:
        raise ValidationFailed("Request at least one application.", code="not_positive", field="applications_requested")
    eligibility = offset_eligibility(cycle, contributing_state=contributing_state)
    if not eligibility.may_request:
        raise Conflict(eligibility.explanation, code="offsets_not_open")
    offset.applications_requested = count
    offset.requested_on = requested_on or timezone.localdate()
    offset.answer_deadline = offset.requested_on + datetime.timedelta(days=OFFSET_ANSWER_DAYS)
    with transaction.atomic():
        save_audited(offset, actor=actor, reason=reason, bump_version=False)
    return offset


def offset_answer(
    *, offset: ResponsibilityOffset, transition: str, actor, reason: str, applications_accepted=None, explanation=""
) -> ResponsibilityOffset:
    """The requested state accepts, accepts fewer, or refuses (AMMR Art. 69)."""
    with transaction.atomic():
        locked = lock(ResponsibilityOffset, offset.pk)
        if transition == "accept_partially" and actor.has_perm("pledges.answer_offset", locked):
            if applications_accepted in (None, ""):
                raise ValidationFailed(
                    "Give how many applications are accepted.", code="required", field="applications_accepted"
                )
            accepted = _whole_persons(applications_accepted, field="applications_accepted")
            if not 0 < accepted < locked.applications_requested:
                raise ValidationFailed(
                    f"A partial acceptance lies between 1 and {locked.applications_requested - 1}.",
                    code="out_of_range",
                    field="applications_accepted",
                )
            locked.applications_accepted = accepted
        locked.explanation = (explanation or "").strip()
        locked.answered_on = timezone.localdate()
        apply_transition(
            locked,
            name=transition,
            allowed=ResponsibilityOffset.TRANSITIONS,
            permission="pledges.answer_offset",
            actor=actor,
            reason=reason,
        )
    return locked


# Negotiation tracking -----------------------------------------------------------------------------------

POSITION_FIELDS = (
    "topic",
    "member_state",
    "meeting",
    "date",
    "stance",
    "proposed_value",
    "conditions",
    "statement",
    "source",
    "visibility",
)


def _clean_position(position: Position) -> None:
    if position.stance not in Stance.values:
        raise ValidationFailed(
            f"Unknown stance {position.stance!r}: use one of {', '.join(Stance.values)}.",
            code="invalid_choice",
            field="stance",
        )
    if position.visibility not in Visibility.values:
        raise ValidationFailed("Visibility is shared or restricted.", code="invalid_choice", field="visibility")
    if position.topic.cycle_id != position.cycle_id:
        raise ValidationFailed("The topic belongs to another cycle.", code="wrong_cycle", field="topic")
    if position.meeting is not None:
        if position.meeting.cycle_id != position.cycle_id:
            raise ValidationFailed("The meeting belongs to another cycle.", code="wrong_cycle", field="meeting")
        if position.date is None:
            position.date = position.meeting.date
    if position.date is None:
        raise ValidationFailed("Give the date of the position, or its meeting.", code="required", field="date")
    if position.proposed_value is not None:
        position.proposed_value = _decimal(position.proposed_value, field="proposed_value")
        if abs(position.proposed_value) >= Decimal("1e14"):
            raise ValidationFailed("The proposed value is too large.", code="too_large", field="proposed_value")


def position_create(*, cycle: SolidarityCycle, actor, reason: str, **values) -> Position:
    """A negotiator records a delegation's position; a restricted one stays within the recording delegation."""
    reason = require_reason(reason)
    if not actor.has_perm("pledges.add_position"):
        raise NotPermitted("Only negotiators record positions.")
    unknown = set(values) - set(POSITION_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field {min(unknown)!r}.", code="unknown_field", field=min(unknown))
    position = Position(cycle=cycle, recorded_by=actor, recorded_by_state_id=actor.member_state_id, **values)
    if position.visibility == Visibility.RESTRICTED and not actor.member_state_id:
        raise ValidationFailed(
            "A restricted position belongs to a delegation: your account has none.",
            code="restricted_needs_delegation",
            field="visibility",
        )
    _clean_position(position)
    with transaction.atomic():
        save_audited(position, actor=actor, reason=reason, bump_version=False)
    return position


def position_update(*, position: Position, changes: dict, expected_version, actor, reason: str) -> Position:
    if not actor.has_perm("pledges.change_position", position):
        raise NotPermitted("Only negotiators of the delegation that recorded a position revise it.")
    unknown = set(changes) - set(POSITION_FIELDS)
    if unknown:
        raise ValidationFailed(f"{min(unknown)} cannot be changed.", code="read_only", field=min(unknown))
    with transaction.atomic():
        locked = lock(Position, position.pk)
        check_version(locked, expected_version)
        reason = require_reason(reason)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            _clean_position(locked)
            save_audited(locked, actor=actor, reason=reason)
    return locked


class BulkRowErrors(ValidationFailed):
    """Several rows of a bulk request are invalid; ``rows`` maps each row's index to its error."""

    code = "bulk_invalid"

    def __init__(self, rows: dict[int, ValidationFailed]):
        listed = "; ".join(f"row {index + 1}: {error.message}" for index, error in sorted(rows.items()))
        super().__init__(f"Nothing was saved. {listed}", extra={"rows": {i: e.field for i, e in rows.items()}})
        self.rows = rows


def positions_record_for_meeting(*, meeting: ForumMeeting, rows: list[dict], actor, reason: str) -> list[Position]:
    """Record many delegations' positions at one meeting: all of them, or none (each bad row is named)."""
    reason = require_reason(reason)
    if not actor.has_perm("pledges.add_position"):
        raise NotPermitted("Only negotiators record positions.")
    if not rows:
        raise ValidationFailed("Give at least one position.", code="required", field="positions")
    created, errors = [], {}
    with transaction.atomic():
        for index, values in enumerate(rows):
            try:
                with transaction.atomic():
                    created.append(
                        position_create(
                            cycle=meeting.cycle,
                            actor=actor,
                            reason=reason,
                            **{"meeting": meeting, "date": meeting.date, **values},
                        )
                    )
            except ValidationFailed as error:
                errors[index] = error
        if errors:
            # Raising inside the outer block rolls back the rows that were valid too.
            raise BulkRowErrors(errors)
    return created
