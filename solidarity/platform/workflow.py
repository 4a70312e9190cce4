"""The one way every app changes an audited object: lock, check, change, stamp, save."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin, can_proceed

from solidarity.platform.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    VersionRequired,
)
from solidarity.platform.history import stamp
from solidarity.platform.wording import with_article


def lock(model: type[models.Model], pk):
    """The row, locked until the end of the surrounding transaction (call inside ``transaction.atomic``)."""
    return model.objects.select_for_update(of=("self",)).get(pk=pk)


# The longest reason a change may carry. A minister's justification easily runs past a line, so the history
# keeps reasons as text; the bound keeps one change from filling the audit trail, and every entry point
# (API, pages, admin, commands) refuses a longer one with the same code before anything is written.
REASON_MAX_LENGTH = 2000

# What the history records for a change that may go without a reason. Stored values, not messages: readers
# of the audit trail filter on them, so they are not translated.
REASON_CREATED = "created"
REASON_DRAFT_EDITED = "draft edited"

# The status every workflow with drafts gives them (pledges, action plans, findings).
DRAFT = "draft"


def is_draft(instance) -> bool:
    """Whether ``instance`` is a stored draft: nothing submitted or binding yet, so edits need no reason."""
    return instance.pk is not None and getattr(instance, "status", None) == DRAFT


def require_reason(reason, *, omitted: str | None = None) -> str:
    """The reason given for a change: read as text, trimmed, bounded and required.

    Every write is justified in the audit trail, so a missing reason is refused (400 ``reason_required``),
    except where the change may go without one (creating an object, editing a draft): ``omitted`` is then
    what is recorded instead (``REASON_CREATED``, ``REASON_DRAFT_EDITED``; "" leaves it to the service).
    A reason that is not text is 400 ``invalid``, one over ``REASON_MAX_LENGTH`` characters 400 ``max_length``.
    """
    if reason is None:
        reason = ""
    if not isinstance(reason, str):  # a JSON number or list is not a justification, whatever it would print as
        raise ValidationFailed(_("Give the reason as text."), code="invalid", field="reason")
    reason = str(reason).strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Give a reason of at most %(limit)s characters (this one has %(length)s).")
            % {"limit": REASON_MAX_LENGTH, "length": len(reason)},
            code="max_length",
            field="reason",
        )
    if reason:
        return reason
    if omitted is not None:
        return omitted
    raise ValidationFailed(
        _("Give the reason for this change; it is kept in the audit trail."), code="reason_required", field="reason"
    )


def creation_reason(reason) -> str:
    """The reason for creating an object, which may be omitted (the history records "created")."""
    return require_reason(reason, omitted=REASON_CREATED)


def edit_reason(instance, reason) -> str:
    """The reason for changing the fields of ``instance``: optional on a draft ("draft edited"), else required."""
    return require_reason(reason, omitted=REASON_DRAFT_EDITED if is_draft(instance) else None)


def check_version(instance, expected_version) -> None:
    """Optimistic locking: refuse a change made on a copy older than the stored row."""
    if expected_version in (None, ""):
        raise VersionRequired(
            "Send the version you last read (If-Match header or the version field) so no change is lost.",
            field="version",
        )
    try:
        expected = int(str(expected_version).strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationFailed(
            f"Version {expected_version!r} is not a whole number.", code="version_invalid", field="version"
        ) from None
    if expected != instance.version:
        last = instance.history.select_related("history_user").first()
        who = last.history_user.get_username() if last and last.history_user else "someone"
        when = last.history_date.isoformat(timespec="seconds") if last else "earlier"
        raise StaleVersion(
            f"This {instance._meta.verbose_name} was changed by {who} at {when}: you edited version {expected}, "
            f"the stored one is version {instance.version}. Reload it, then apply your change again.",
            field="version",
            extra={"current_version": instance.version, "changed_by": who, "changed_at": when},
        )


def validate(instance, *, unique: bool = True) -> None:
    """``full_clean`` without touching protected FSM fields (they refuse assignment) and, when ``unique`` is
    off, without the unique checks (an upsert finds its row itself) but with every CHECK constraint."""
    protected = [f.name for f in instance._meta.concrete_fields if isinstance(f, FSMFieldMixin) and f.protected]
    instance.full_clean(exclude=protected, validate_unique=unique, validate_constraints=unique)
    if not unique:
        errors = []
        for constraint in instance._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                try:
                    constraint.validate(type(instance), instance)
                except ValidationError as error:
                    errors.append(error)
        if errors:
            raise ValidationError({NON_FIELD_ERRORS: errors})


def save_audited(instance, *, actor, reason: str, transition: str = "", bump_version: bool = True) -> None:
    stamp(instance, actor=actor, reason=reason, transition=transition)
    if bump_version and hasattr(instance, "version") and instance.pk:
        instance.version += 1
    instance.save()


def apply_transition(instance, *, name: str, allowed: tuple[str, ...], permission: str, actor, reason: str) -> None:
    """Run the FSM transition ``name`` on a locked ``instance`` and save it with its history row.

    403 comes before 409: a user who may never do this learns nothing about the object's state.
    """
    if name not in allowed:
        raise ValidationFailed(
            f"Unknown transition {name!r}; use one of: {', '.join(allowed)}.",
            code="transition_unknown",
            field="transition",
        )
    reason = require_reason(reason)
    label = instance._meta.verbose_name
    if not actor.has_perm(permission, instance):
        raise NotPermitted(
            _("You may not make the transition %(transition)s on this %(object)s.")
            % {"transition": name, "object": label}
        )
    method = getattr(instance, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            _("The transition %(transition)s is not allowed for %(object)s whose status is %(status)s.")
            % {"transition": name, "object": with_article(label), "status": instance.get_status_display().lower()},
            extra={"status": instance.status},
        )
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("The conditions of the transition %(transition)s are not met for this %(object)s.")
            % {"transition": name, "object": label},
            code="transition_conditions_unmet",
            extra={"status": instance.status},
        )
    method()
    save_audited(instance, actor=actor, reason=reason, transition=name)


def update_fields(instance, *, changes: dict, expected_version, actor, reason: str) -> list[str]:
    """Set ``changes`` on a locked ``instance`` if its version matches; returns the fields that changed."""
    check_version(instance, expected_version)
    reason = edit_reason(instance, reason)
    changed = [name for name, value in changes.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, changes[name])
    if changed:
        validate(instance)
        save_audited(instance, actor=actor, reason=reason)
    return changed
