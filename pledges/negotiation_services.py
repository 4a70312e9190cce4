"""Writes of the negotiation's frame: forum meetings and the topics positions are taken on (coordinator).

Positions themselves are written by ``pledges.services`` (negotiators); these services only set the stage.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from pledges.models import ForumMeeting, Position, Topic
from solidarity.errors import Conflict, NotPermitted, ValidationFailed
from solidarity.models import SolidarityCycle
from solidarity.workflow import check_version, lock, require_reason, save_audited, validate

MEETING_FIELDS = ("level", "date", "title", "location", "documents")
TOPIC_FIELDS = ("title", "description", "unit", "order")


def _require_manager(actor, obj=None) -> None:
    if not actor.has_perm("pledges.manage_negotiation", obj):
        raise NotPermitted("Only the coordinator manages forum meetings and topics.")


def _check_fields(values: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        name = min(unknown)
        raise ValidationFailed(f"{name} cannot be set here.", code="read_only", field=name)


def _validated(instance) -> None:
    """``full_clean`` as a domain error: a duplicate is a 409 (the object exists), anything else a 400."""
    try:
        validate(instance)
    except DjangoValidationError as error:
        key, errors = next(iter(error.error_dict.items()))
        first = errors[0]
        message = " ".join(first.messages)
        field = None if key == NON_FIELD_ERRORS else key
        if first.code in ("unique", "unique_together"):
            raise Conflict(message, code="unique", field=field) from None
        raise ValidationFailed(message, code=first.code or "invalid", field=field) from None


def _save(instance, *, actor, reason: str, bump_version: bool, duplicate: str) -> None:
    _validated(instance)
    try:
        # A savepoint: a concurrent insert of the same meeting or topic ends here, not in a broken transaction.
        with transaction.atomic():
            save_audited(instance, actor=actor, reason=reason, bump_version=bump_version)
    except IntegrityError:
        raise Conflict(duplicate, code="unique") from None


# --- Forum meetings (AMMR Arts 13-14) ---------------------------------------------------------------------


def forum_meeting_create(*, cycle: SolidarityCycle, actor, reason: str, **values) -> ForumMeeting:
    """Record a meeting of the High-Level (Art. 13) or Technical-Level (Art. 14) Solidarity Forum."""
    reason = require_reason(reason)
    _require_manager(actor)
    _check_fields(values, MEETING_FIELDS)
    meeting = ForumMeeting(cycle=cycle, **values)
    with transaction.atomic():
        _save(meeting, actor=actor, reason=reason, bump_version=False, duplicate="This meeting is recorded already.")
    return meeting


def forum_meeting_update(*, meeting: ForumMeeting, changes: dict, expected_version, actor, reason: str) -> ForumMeeting:
    """Correct a meeting. Positions taken at it on its old date move with it, each with its own history row."""
    _require_manager(actor, meeting)
    _check_fields(changes, MEETING_FIELDS)
    with transaction.atomic():
        locked = lock(ForumMeeting, meeting.pk)
        check_version(locked, expected_version)
        reason = require_reason(reason)
        old_date = locked.date
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        if not changed:
            return locked
        _save(locked, actor=actor, reason=reason, bump_version=True, duplicate="This meeting is recorded already.")
        if "date" in changed:
            # A position recorded at the meeting took its date; one given its own date keeps it. Row by row,
            # never QuerySet.update(): each revision needs its history row (and a new version).
            for position in Position.objects.select_for_update().filter(meeting=locked, date=old_date):
                position.date = locked.date
                save_audited(position, actor=actor, reason=reason)
    return locked


# --- Topics -----------------------------------------------------------------------------------------------


def topic_create(*, cycle: SolidarityCycle, actor, reason: str, **values) -> Topic:
    """A question delegations take positions on, e.g. the pool size (in relocations) or Dublin conditionality."""
    reason = require_reason(reason)
    _require_manager(actor)
    _check_fields(values, TOPIC_FIELDS)
    topic = Topic(cycle=cycle, **values)
    with transaction.atomic():
        _save(topic, actor=actor, reason=reason, bump_version=False, duplicate="The cycle has a topic of this title.")
    return topic


def topic_update(*, topic: Topic, changes: dict, expected_version, actor, reason: str) -> Topic:
    _require_manager(actor, topic)
    _check_fields(changes, TOPIC_FIELDS)
    with transaction.atomic():
        locked = lock(Topic, topic.pk)
        check_version(locked, expected_version)
        reason = require_reason(reason)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            _save(
                locked, actor=actor, reason=reason, bump_version=True, duplicate="The cycle has a topic of this title."
            )
    return locked
