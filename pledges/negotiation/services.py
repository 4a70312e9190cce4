"""Writes of the negotiation's frame: forum meetings and the topics positions are taken on (coordinator).

Positions themselves are written by ``pledges.services`` (negotiators); these services only set the stage.
"""

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic, Visibility
from solidarity.domain.models import SolidarityCycle
from solidarity.platform.errors import Conflict, NotPermitted, ValidationFailed
from solidarity.platform.numbers import read_decimal
from solidarity.platform.workflow import check_version, creation_reason, edit_reason, lock, save_audited, validate

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
    reason = creation_reason(reason)
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
        reason = edit_reason(locked, reason)
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
    reason = creation_reason(reason)
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
        reason = edit_reason(locked, reason)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            _save(
                locked, actor=actor, reason=reason, bump_version=True, duplicate="The cycle has a topic of this title."
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
    if not position.speaks_for_its_state:
        # AMMR Arts 13-14: another delegation's note about a state is its own, never that state's position.
        position.visibility = Visibility.RESTRICTED
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
        position.proposed_value = read_decimal(position.proposed_value, field="proposed_value")
        if abs(position.proposed_value) >= Decimal("1e14"):
            raise ValidationFailed("The proposed value is too large.", code="too_large", field="proposed_value")


def position_create(*, cycle: SolidarityCycle, actor, reason: str, **values) -> Position:
    """A negotiator (or the coordinator, from the Forum's minutes) records a delegation's position; a restricted
    one stays within the recording delegation. A delegation's position about another state is restricted to
    the delegation that records it (``Position.speaks_for_its_state``, AMMR Arts 13-14)."""
    reason = creation_reason(reason)
    if not actor.has_perm("pledges.add_position"):
        raise NotPermitted(_("Only a delegation's negotiators and the coordinator record positions."))
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
        raise NotPermitted(_("Only the recording delegation (or the coordinator, for its own) revises a position."))
    unknown = set(changes) - set(POSITION_FIELDS)
    if unknown:
        raise ValidationFailed(f"{min(unknown)} cannot be changed.", code="read_only", field=min(unknown))
    with transaction.atomic():
        locked = lock(Position, position.pk)
        check_version(locked, expected_version)
        reason = edit_reason(locked, reason)
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
    reason = creation_reason(reason)
    if not actor.has_perm("pledges.add_position"):
        raise NotPermitted(_("Only a delegation's negotiators and the coordinator record positions."))
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
