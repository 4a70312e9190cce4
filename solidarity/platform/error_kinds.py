"""Which kind an error is, for the one error shape: a 400 is bad input, a duplicate is a 409, a reference to
nothing a 404.

A schema cannot say which cycles, states or pledges exist, nor which values other objects hold: a request whose
only faults are of that kind is well formed, and is answered as a clash with what is stored (409 ``unique``) or
as naming nothing (404 ``does_not_exist``, with the field in ``attr``; as a missing object in the path is). Any
other fault in the same request keeps the 400.

``RegistryExceptionHandler`` (``solidarity.platform.api``) converts with these, so that one code has one status
and one ``type`` whoever finds the error: a service (``ValidationFailed``), a serializer or ``full_clean``.
"""

from rest_framework import exceptions, status

from solidarity.platform.errors import DomainError

UNIQUE_CODES = ("unique", "unique_together")
# A reference to nothing: an object, or an object type the audit log does not keep (``unknown_model``).
MISSING_CODES = ("does_not_exist", "unknown_model")


class DomainValidationError(exceptions.ValidationError):
    """A domain error on the input (400): a ``validation_error`` as the serializers' own, with its code and field."""

    def __init__(self, error: DomainError):
        detail = exceptions.ErrorDetail(error.message, code=error.code)
        super().__init__(detail={error.field: [detail]} if error.field else [detail], code=error.code)
        self.extra = error.extra


class FieldRefusal(exceptions.APIException):
    """A refusal of named fields with a status other than 400: each field's ErrorDetail keeps its code."""

    def __init__(self, detail):
        super().__init__(detail=detail)
        self.detail = detail  # APIException would flatten it


class Duplicate(FieldRefusal):
    """A ``unique`` refusal of a serializer or of ``full_clean``: 409, as the services answer a duplicate."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "unique"


class MissingReference(FieldRefusal):
    """A body that names an object that does not exist, or not within the client's scope: 404 ``does_not_exist``."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "does_not_exist"


def _only(detail, codes: tuple[str, ...]) -> bool:
    """Whether every error of a validation detail has one of ``codes``."""
    if isinstance(detail, dict):
        return bool(detail) and all(_only(item, codes) for item in detail.values())
    if isinstance(detail, list):
        return bool(detail) and all(_only(item, codes) for item in detail)
    return getattr(detail, "code", None) in codes


def _as_unique(detail):
    if isinstance(detail, dict):
        return {key: _as_unique(item) for key, item in detail.items()}
    if isinstance(detail, list):
        return [_as_unique(item) for item in detail]
    return exceptions.ErrorDetail(str(detail), code="unique")


def as_duplicate(exc) -> Duplicate | None:
    """A validation error made only of ``unique`` refusals, as the 409 the services answer a duplicate with."""
    if isinstance(exc, exceptions.ValidationError) and _only(exc.detail, UNIQUE_CODES):
        return Duplicate(_as_unique(exc.detail))
    return None


def as_missing_reference(exc) -> MissingReference | None:
    """A validation error made only of references to nothing (``does_not_exist``), as a 404."""
    if isinstance(exc, exceptions.ValidationError) and _only(exc.detail, MISSING_CODES):
        return MissingReference(exc.detail)
    return None


def as_stored_data_refusal(exc) -> Duplicate | MissingReference | None:
    """The 409 or 404 of a request whose only faults depend on stored data; None for any other error."""
    return as_duplicate(exc) or as_missing_reference(exc)
