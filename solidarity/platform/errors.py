"""Domain errors: raised by services, mapped to a 4xx JSON body by the API and to a message by forms."""

# The code of a rule between two fields of one object (a period's end and start, a designation's kind and
# ground, a benchmark's baseline and target): a database CHECK constraint's ``violation_error_code``.
FIELDS_DISAGREE = "fields_disagree"


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, extra=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NoSuchObject(DomainError):
    """A reference to nothing (a Member State code no state has): 404, as DRF's reference fields answer."""

    status = 404
    code = "does_not_exist"


class NotPermitted(DomainError):
    status = 403
    code = "permission_denied"


class TransitionNotAllowed(DomainError):
    status = 409
    code = "transition_not_allowed"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class StaleVersion(DomainError):
    status = 412
    code = "stale_version"


class VersionRequired(DomainError):
    status = 428
    code = "version_required"
