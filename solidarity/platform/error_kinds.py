"""Which kind an error is, for the one error shape: a 400 is bad input, a duplicate is a 409.

``RegistryExceptionHandler`` (``solidarity.platform.api``) converts with these, so that one code has one status
and one ``type`` whoever finds the error: a service (``ValidationFailed``), a serializer or ``full_clean``.
"""

from rest_framework import exceptions, status

from solidarity.platform.errors import DomainError

UNIQUE_CODES = ("unique", "unique_together")


class DomainValidationError(exceptions.ValidationError):
    """A domain error on the input (400): a ``validation_error`` as the serializers' own, with its code and field."""

    def __init__(self, error: DomainError):
        detail = exceptions.ErrorDetail(error.message, code=error.code)
        super().__init__(detail={error.field: [detail]} if error.field else [detail], code=error.code)
        self.extra = error.extra


class Duplicate(exceptions.APIException):
    """A ``unique`` refusal of a serializer or of ``full_clean``: 409, as the services answer a duplicate."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "unique"

    def __init__(self, detail):
        super().__init__(detail=detail)
        self.detail = detail  # keep each field's ErrorDetail and its code


def _only_unique(detail) -> bool:
    """Whether every error of a validation detail is ``unique`` (a duplicate of a stored object)."""
    if isinstance(detail, dict):
        return bool(detail) and all(_only_unique(item) for item in detail.values())
    if isinstance(detail, list):
        return bool(detail) and all(_only_unique(item) for item in detail)
    return getattr(detail, "code", None) in UNIQUE_CODES


def _as_unique(detail):
    if isinstance(detail, dict):
        return {key: _as_unique(item) for key, item in detail.items()}
    if isinstance(detail, list):
        return [_as_unique(item) for item in detail]
    return exceptions.ErrorDetail(str(detail), code="unique")


def as_duplicate(exc) -> Duplicate | None:
    """A validation error made only of ``unique`` refusals, as the 409 the services answer a duplicate with."""
    if isinstance(exc, exceptions.ValidationError) and _only_unique(exc.detail):
        return Duplicate(_as_unique(exc.detail))
    return None
