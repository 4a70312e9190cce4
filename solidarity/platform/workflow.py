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


def require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Give the reason for this change; it is kept in the audit trail.", code="reason_required", field="reason"
        )
    return reason


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
    reason = require_reason(reason)
    changed = [name for name, value in changes.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, changes[name])
    if changed:
        validate(instance)
        save_audited(instance, actor=actor, reason=reason)
    return changed
