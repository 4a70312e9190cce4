"""Every write to compliance records, and the rule findings impose on activations (AMMR Art. 60(3))."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from compliance import hooks
from compliance.models import (
    ActionPlan,
    DublinPerformance,
    Finding,
    FindingStatus,
    Measurement,
    SecondaryMovementIndicator,
)
from solidarity.platform.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed
from solidarity.platform.workflow import (
    apply_transition,
    creation_reason,
    lock,
    require_reason,
    save_audited,
    update_fields,
    validate,
)


def confirmed_finding_for(*, member_state_id: str, cycle_id) -> Finding | None:
    return (
        Finding.objects.confirmed()
        .filter(member_state_id=member_state_id, cycle_id=cycle_id)
        .order_by("-confirmed_on", "-id")
        .first()
    )


def require_confirmed_finding(*, activation) -> Finding:
    """The finding an Art. 60(3) decline rests on; refused with a clear message when there is none."""
    finding = confirmed_finding_for(
        member_state_id=activation.benefitting_state_id, cycle_id=activation.pledge.cycle_id
    )
    if finding is None:
        # A missing precondition in the stored data, not bad input: 409.
        raise TransitionNotAllowed(
            f"No confirmed systemic-shortcoming finding exists for {activation.benefitting_state_id} in this cycle: "
            "an activation can be declined on Art. 60(3) grounds only while one does.",
            code="no_confirmed_finding",
            field="decline_ground",
        )
    return finding


def require_commission_identification(finding: Finding) -> None:
    """Refuse to confirm a finding that does not record the Commission's identification. AMMR Art. 60(3), as
    DOMAIN.md reads it: "Contributing Member States shall not be obliged to implement their pledges ..." where
    systemic shortcomings of the benefitting state were identified (by the Commission, in its annual report:
    understood, not verified); the finding names that report and its date (``Finding.missing_commission_
    identification``). A missing precondition in the stored finding: 409."""
    missing = finding.missing_commission_identification()
    if missing:
        raise TransitionNotAllowed(
            gettext(
                "Record the Commission report that identifies the shortcomings (its reference and date) before "
                "confirming the finding (Art. 60(3))."
            ),
            code="commission_report_missing",
            field=missing[0],
            extra={"missing": missing},
        )


def finding_transition(*, finding: Finding, transition: str, actor, reason: str) -> Finding:
    """Move a finding; confirming or lifting it tells the officials concerned, once committed."""
    with transaction.atomic():
        locked = lock(Finding, finding.pk)
        today = timezone.localdate()
        if transition == "confirm":
            require_commission_identification(locked)
            locked.confirmed_on = today
        elif transition == "lift":
            locked.lifted_on = today
        apply_transition(
            locked,
            name=transition,
            allowed=Finding.TRANSITIONS,
            permission="compliance.manage",
            actor=actor,
            reason=reason,
        )
        if locked.status in (FindingStatus.CONFIRMED, FindingStatus.LIFTED):
            finding_id = locked.pk
            transaction.on_commit(lambda: hooks.finding_decided(finding_id=finding_id))
    return locked


def _require_compliance_officer(actor, obj=None) -> None:
    if not actor.has_perm("compliance.manage", obj):
        raise NotPermitted("Only compliance officers record compliance data.")


UNIQUE_CODES = {"unique", "unique_together"}


def _refusal(error: DjangoValidationError) -> Conflict | ValidationFailed:
    """The model's first refusal, with its code: a duplicate is a 409, a bad value a 400 (a CHECK constraint's
    ``violation_error_code`` kept, so that a client can tell a rule between two fields from a bad value)."""
    field, errors = next(iter(error.error_dict.items()))
    # Django's code for a duplicate (a unique field or constraint): chosen by code, never by the words.
    code = "unique" if errors[0].code in UNIQUE_CODES else (errors[0].code or "invalid")
    return (Conflict if code == "unique" else ValidationFailed)(
        errors[0].messages[0], code=code, field=None if field == NON_FIELD_ERRORS else field
    )


def _save_new(instance, *, actor, reason: str):
    """Validate and insert ``instance`` with its history row; a duplicate becomes a 409, a bad value a 400."""
    try:
        validate(instance)
    except DjangoValidationError as error:
        raise _refusal(error) from None
    save_audited(instance, actor=actor, reason=reason, bump_version=False)
    return instance


def compliance_record_create(*, model, actor, reason: str, **values):
    """Create a Dublin-performance, secondary-movement, action-plan, benchmark or measurement record."""
    reason = creation_reason(reason)
    _require_compliance_officer(actor)
    if model is Measurement:
        values.setdefault("recorded_by", actor)
    with transaction.atomic():
        return _save_new(model(**values), actor=actor, reason=reason)


def compliance_record_update(*, instance, changes: dict, expected_version, actor, reason: str):
    _require_compliance_officer(actor, instance)
    if "status" in changes:
        raise ValidationFailed("The status changes only through a transition.", code="read_only", field="status")
    with transaction.atomic():
        locked = lock(type(instance), instance.pk)
        try:
            update_fields(locked, changes=changes, expected_version=expected_version, actor=actor, reason=reason)
        except DjangoValidationError as error:
            raise _refusal(error) from None
    return locked


def action_plan_transition(*, plan: ActionPlan, transition: str, actor, reason: str) -> ActionPlan:
    with transaction.atomic():
        locked = lock(ActionPlan, plan.pk)
        apply_transition(
            locked,
            name=transition,
            allowed=ActionPlan.TRANSITIONS,
            permission="compliance.manage",
            actor=actor,
            reason=reason,
        )
    return locked


def periodic_records_import(*, model, rows: list[dict], actor, reason: str) -> dict[str, int]:
    """Create or update per-state, per-period records (Dublin performance, secondary movements) from parsed
    rows, all or nothing.

    Each row is a dict of model fields plus ``line`` (its line in the file); a row states the whole period,
    so a field it leaves out takes its default. Every row is validated before anything is written; the
    errors name the line and the field. A row equal to what is stored writes nothing and no history.
    """
    reason = require_reason(reason)
    _require_compliance_officer(actor)
    key_fields = ("member_state_id", "period_kind", "period_start")
    fields = [f.name for f in model._meta.concrete_fields if f.attname not in ("id", "version", *key_fields)]
    errors: list[str] = []
    prepared = []
    seen = set()
    for row in rows:
        line = row.pop("line")
        key = tuple(row.get(name) for name in key_fields)
        if key in seen:
            errors.append(f"line {line}: the same state and period appear twice")
            continue
        seen.add(key)
        record = model(**row)
        try:
            validate(record, unique=False)
        except DjangoValidationError as error:
            for field, messages in error.message_dict.items():
                label = "" if field == NON_FIELD_ERRORS else f", field {field}"
                errors.extend(f"line {line}{label}: {message}" for message in messages)
            continue
        prepared.append(record)
    if errors:
        raise ValidationFailed("Nothing was imported. " + "; ".join(errors), code="import_invalid")
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for record in prepared:
            existing = (
                model.objects.select_for_update().filter(**{name: getattr(record, name) for name in key_fields}).first()
            )
            if existing is None:
                save_audited(record, actor=actor, reason=reason, bump_version=False)
                counts["created"] += 1
                continue
            changed = [name for name in fields if getattr(existing, name) != getattr(record, name)]
            if not changed:
                counts["unchanged"] += 1
                continue
            for name in changed:
                setattr(existing, name, getattr(record, name))
            save_audited(existing, actor=actor, reason=reason)
            counts["updated"] += 1
    return counts


def dublin_performance_import(*, rows: list[dict], actor, reason: str) -> dict[str, int]:
    return periodic_records_import(model=DublinPerformance, rows=rows, actor=actor, reason=reason)


def secondary_movement_import(*, rows: list[dict], actor, reason: str) -> dict[str, int]:
    return periodic_records_import(model=SecondaryMovementIndicator, rows=rows, actor=actor, reason=reason)
