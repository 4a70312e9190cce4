"""Every write to pledges and what hangs on them: activations, fulfilment, deductions, offsets."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_fsm import can_proceed

from compliance.services import require_confirmed_finding
from pledges.implementation.models import Activation, ActivationStatus, DeclineGround, Fulfilment, ResponsibilityOffset
from pledges.implementation.selectors import is_activatable, left_to_activate, offset_eligibility
from pledges.pledging.models import ACTIVATE_TRANSITION, RELEASE_TRANSITION, Pledge, PledgeKind
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.errors import Conflict, NotPermitted, ValidationFailed
from solidarity.platform.numbers import MAX_WHOLE, read_decimal, read_euros, read_whole
from solidarity.platform.workflow import apply_transition, creation_reason, lock, require_reason, save_audited

OFFSET_ANSWER_DAYS = 30  # AMMR Art. 69: the requested state answers within 30 days
# An amount's bound, as its column (and so the schema) states it: 13 digits before the cents.
_AMOUNT_COLUMN = Activation._meta.get_field("amount")
AMOUNT_BOUND = Decimal(10) ** (_AMOUNT_COLUMN.max_digits - _AMOUNT_COLUMN.decimal_places)


def _pledge_unit_amount(pledge: Pledge, value, *, field: str = "amount") -> Decimal:
    if pledge.kind == PledgeKind.RELOCATION:
        number = read_decimal(value, field=field)
        if MAX_WHOLE < number < AMOUNT_BOUND and number == number.to_integral_value():
            # More persons than any pledge holds, within the bound the schema states (the euros' one: it cannot
            # know the pledge's kind): both callers' caps name it (409 exceeds_pledge / exceeds_activation).
            return number
        amount = Decimal(read_whole(number, field=field))
    else:
        amount = read_euros(value, field=field)
    if amount <= 0:
        raise ValidationFailed("The amount must be above zero.", code="not_positive", field=field)
    return amount


def activation_propose(*, pledge: Pledge, benefitting_state: MemberState, amount, actor, reason: str) -> Activation:
    """The coordinator calls part of a recorded pledge towards a benefitting state (AMMR Art. 60(2)).

    Capped by the binding pledge (``Pledge.binding_measure``: as pledged less what a Council implementing act
    deducted, Arts 61(1), 62(1)) less its live activations; ``left_to_activate`` reads it through ``measure``.
    """
    reason = require_reason(reason)
    if not actor.has_perm("pledges.propose_activation"):
        raise NotPermitted("Only the coordinator proposes activations.")
    with transaction.atomic():
        # The pledge row is the lock that serialises every activation against the same pledge.
        locked = lock(Pledge, pledge.pk)
        if not is_activatable(locked):
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
        remaining = left_to_activate(locked)
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
        save_audited(locked, actor=actor, reason=reason, transition=ACTIVATE_TRANSITION)
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
    """The contributing state accepts or declines an activation.

    AMMR Art. 60(3): contributing states "shall implement ... in proportion to their overall pledge"; they are
    "not obliged to implement" towards a benefitting state whose systemic shortcomings were identified. So a
    decline on that ground rests on a confirmed finding (``require_confirmed_finding``); any other refusal must
    be explained and is recorded as not implemented (``Activation.is_not_implemented``): the pledge stays due.
    Either way the declined part goes back to the coordinator, to activate towards another benefitting state
    (Art. 60(2)): it leaves ``Pledge.activated``, never the pledge itself.
    """
    with transaction.atomic():
        pledge = lock(Pledge, activation.pledge_id)
        locked = lock(Activation, activation.pk)
        # The ground is asked only of a decline that may happen: answering twice is a conflict first.
        may_decline = transition == "decline" and locked.status == ActivationStatus.PROPOSED
        if may_decline and actor.has_perm("pledges.answer_activation", locked):
            explanation = (explanation or "").strip()
            if decline_ground not in DeclineGround.values:
                raise ValidationFailed(
                    gettext("Give the ground of the decline."), code="decline_ground_required", field="decline_ground"
                )
            if decline_ground == DeclineGround.OTHER and not explanation:
                raise ValidationFailed(
                    gettext(
                        "Explain the refusal: only systemic shortcomings of the benefitting state release a state "
                        "from implementing (Art. 60(3)); any other refusal is recorded as not implemented."
                    ),
                    code="decline_explanation_required",
                    field="explanation",
                )
            if decline_ground == DeclineGround.SYSTEMIC_SHORTCOMINGS:
                locked.finding = require_confirmed_finding(activation=locked)
            locked.decline_ground = decline_ground
            locked.decline_explanation = explanation
        apply_transition(
            locked,
            name=transition,
            allowed=Activation.USER_TRANSITIONS,
            permission="pledges.answer_activation",
            actor=actor,
            reason=reason,
        )
        if locked.status == ActivationStatus.DECLINED:
            # Back to the coordinator (Art. 60(2)); the pledge's measure, the state's obligation, is unchanged.
            pledge.activated -= locked.amount
            save_audited(pledge, actor=actor, reason=reason, transition=RELEASE_TRANSITION)
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
        # Fulfilment is recorded while the activation may still complete: accepted, not yet fulfilled.
        if not can_proceed(locked.complete):
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
    """A benefitting state asks a contributing state to take responsibility for applications (Arts 63, 69).

    Open where ``offset_eligibility`` allows it: Art. 63(1)-(2) at the cycle's ``offset_threshold_percent``
    (the regulation's "equal to or above 50 %", DOMAIN.md). The requested state "shall reply to the request
    within 30 days of receipt" and may accept a lower number (Art. 69(1)-(3)). Mandatory offsets (Art. 63(3))
    are read by ``selectors.mandatory_offsets``; requesting them still goes through this service.
    """
    reason = creation_reason(reason)
    offset = ResponsibilityOffset(
        cycle=cycle, benefitting_state=benefitting_state, contributing_state=contributing_state
    )
    if not actor.has_perm("pledges.request_offset", offset):
        raise NotPermitted("Only an official of the benefitting state, or the coordinator, requests offsets.")
    if benefitting_state.pk == contributing_state.pk:
        raise ValidationFailed("The two states must differ.", code="offset_self", field="contributing_state")
    count = read_whole(applications_requested, field="applications_requested")
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
            accepted = read_whole(applications_accepted, field="applications_accepted")
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
