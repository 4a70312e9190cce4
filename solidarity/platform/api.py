"""What every API endpoint shares: CSV, the one error shape, versions and ETags, transitions."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import JsonResponse
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.handler import exception_handler as standard_exception_handler
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from solidarity.platform.body_fields import CONTROL_KEYS, check_body_fields
from solidarity.platform.error_kinds import DomainValidationError, as_stored_data_refusal
from solidarity.platform.error_views import api_exception_for
from solidarity.platform.errors import DomainError
from solidarity.platform.filters import bound_filters, filter_schema_bounds
from solidarity.platform.locations import created_object
from solidarity.platform.serializers import RegistrySerializer
from solidarity.platform.workflow import (
    REASON_MAX_LENGTH,
    check_version,
    edit_reason,
    lock,
    require_reason,
    update_fields,
)


class DomainAPIException(exceptions.APIException):
    def __init__(self, error: DomainError):
        self.status_code = error.status
        self.extra = error.extra
        detail = exceptions.ErrorDetail(error.message, code=error.code)
        super().__init__(detail={error.field: [detail]} if error.field else detail, code=error.code)


class RegistryExceptionHandler(ExceptionHandler):
    """Domain errors keep their status (400, 403, 409, 412, 428) and machine-readable code.

    One ``type`` per kind: every 400 is a ``validation_error`` (bad input), whether a serializer or a service
    found it; a 409 (the object's state or a missing precondition) and the other 4xx are ``client_error``.
    """

    def convert_known_exceptions(self, exc):
        if isinstance(exc, DomainError):
            return DomainValidationError(exc) if exc.status == 400 else DomainAPIException(exc)
        if refused := api_exception_for(exc):  # Django refused the request (body too large, too many fields)
            return refused
        if isinstance(exc, DjangoValidationError):
            detail = serializers.as_serializer_error(exc)
            # Model.full_clean names errors of the whole object "__all__"; DRF clients know them by another key.
            if NON_FIELD_ERRORS in detail:
                detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
            exc = exceptions.ValidationError(detail=detail)
        if refusal := as_stored_data_refusal(exc):
            return refusal
        return super().convert_known_exceptions(exc)

    def format_exception(self, exc):
        data = super().format_exception(exc)
        if getattr(exc, "extra", None):
            data["current"] = exc.extra
        return data


def renders_errors(request) -> bool:
    """Whether the renderer negotiated for ``request`` writes errors: JSON, or DEBUG's browsable API."""
    renderer = getattr(request, "accepted_renderer", None)
    return isinstance(renderer, JSONRenderer) or getattr(renderer, "format", None) == "api"


def exception_handler(exc, context):
    request = context.get("request")
    if request is not None and not renders_errors(request):
        # Errors keep the one JSON shape, whatever format the client asked the data in (CSV, the schema's YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return standard_exception_handler(exc, context)


API_PREFIX = "/api/"


def page_not_found(request, exception=None):
    """Django's 404 handler (``handler404``): under /api/ the one JSON error shape, elsewhere the HTML page.

    DRF answers a missing object itself; this covers a URL no API route matches (e.g. ``pledges/abc/``).
    """
    if request.path.startswith(API_PREFIX):
        error = {"code": "not_found", "detail": "Not found.", "attr": None}
        return JsonResponse({"type": "client_error", "errors": [error]}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def etag_for(instance) -> str:
    return f'"{instance.version}"'


def expected_version(request) -> str | None:
    """The version a client last read: the If-Match header, else the ``version`` field of the body."""
    header = request.headers.get("If-Match")
    if header:
        return header
    if hasattr(request, "data") and isinstance(request.data, dict):
        value = request.data.get("version")
        return None if value is None else str(value)
    return None


def with_etag(response: Response, instance) -> Response:
    response["ETag"] = etag_for(instance)
    return response


REASON_HELP = (
    f"Why; kept in the audit trail, at most {REASON_MAX_LENGTH} characters (here or in the `X-Change-Reason` "
    "header). Optional when creating an object or editing a draft: the history then records `created` or "
    "`draft edited`. Required for every other change: without it 400 `reason_required`."
)
REQUIRED_REASON_HELP = (
    f"Why; kept in the audit trail, at most {REASON_MAX_LENGTH} characters. Required (400 `reason_required`), "
    "in the body: the `X-Change-Reason` header does not replace it here."
)


class ReasonField(serializers.CharField):
    """The write-only ``reason`` of a body, bounded as ``require_reason`` bounds it (which reads it first).

    ``required``: where the body must carry it (transitions, a creation that changes a binding object).
    """

    def __init__(self, *, required: bool = False, **kwargs):
        kwargs.setdefault("help_text", REQUIRED_REASON_HELP if required else REASON_HELP)
        super().__init__(
            write_only=True, required=required, allow_blank=not required, max_length=REASON_MAX_LENGTH, **kwargs
        )


class TransitionNameField(serializers.CharField):
    """The name of a transition, one of ``names``: the schema lists them (an enum); the service refuses any other
    with 400 ``transition_unknown``, naming those it knows."""

    def __init__(self, names, **kwargs):
        self.names = tuple(names)
        kwargs.setdefault("help_text", f"One of: {', '.join(self.names)}.")
        super().__init__(**kwargs)


class TransitionRequestSerializer(RegistrySerializer):
    transition = serializers.CharField(help_text="The name of the transition, e.g. `submit`.")
    reason = ReasonField(required=True)


# --- Who may call an action -------------------------------------------------------------------------


class ActionPermission(permissions.BasePermission):
    """Logged-in users only; where a viewset names a `rules` permission for an action, that one too.

    ``action_permissions = {"create": "app.add_x", "partial_update": "app.change_x"}`` on the viewset.
    An action on the collection (create) is asked without an object, one on an object with it, so that
    an object-level predicate sees the object. Actions not named need only a logged-in user.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        permission = _permission_for(view)
        if permission and not getattr(view, "detail", False):
            return user.has_perm(permission)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        permission = _permission_for(view)
        return not permission or request.user.has_perm(permission, obj)


def _permission_for(view) -> str | None:
    return getattr(view, "action_permissions", {}).get(getattr(view, "action", None))


# --- The error shape, for the OpenAPI schema -----------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `stale_version`, `transition_not_allowed`.")
    detail = serializers.CharField(help_text="What went wrong, in words.")
    attr = serializers.CharField(allow_null=True, help_text="The field concerned, or null.")


class ErrorResponseSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`validation_error`, `client_error` or `server_error`.")
    errors = ErrorItemSerializer(many=True)
    current = serializers.DictField(
        required=False, help_text="What is stored now, where it helps (e.g. the current version on a 412)."
    )


_ERROR_MEANINGS = {
    400: "Invalid input (field errors, missing reason, unknown transition, a key that is not a field: "
    "`unknown_field`, a read-only field changed: `read_only`).",
    401: "Not logged in.",
    403: "Not permitted for your role or delegation; nothing was written.",
    404: "No such object within your scope; on a write, also an object the body refers to (code `does_not_exist`, "
    "`attr` names the field).",
    409: "Not allowed from the object's current state, a precondition is missing (e.g. no Council act), or a "
    "duplicate of a stored object (`unique`).",
    412: "Stale version: the object changed since you read it (If-Match / version).",
    428: "No version sent: give If-Match or the `version` field.",
}


def _error(code: str, detail: str, attr: str | None = None, *, kind: str = "client_error", **extra) -> dict:
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}], **extra}


# One example body per status, as the exception handler writes them.
ERROR_EXAMPLES = {
    400: _error("required", "This field is required.", "reason", kind="validation_error"),
    401: _error("not_authenticated", "Authentication credentials were not provided."),
    403: _error("permission_denied", "You do not have permission to perform this action."),
    404: _error("not_found", "No Pledge matches the given query."),
    409: _error(
        "transition_not_allowed", "The transition submit is not allowed for a pledge whose status is recorded.", None
    ),
    412: _error(
        "stale_version",
        "This pledge was changed by be_official at 2027-03-02T10:15:00+01:00: you edited version 2, the stored "
        "one is version 3. Reload it, then apply your change again.",
        "version",
        current={"current_version": 3, "changed_by": "be_official", "changed_at": "2027-03-02T10:15:00+01:00"},
    ),
    428: _error(
        "version_required",
        "Send the version you last read (If-Match header or the version field) so no change is lost.",
        "version",
    ),
    429: _error("throttled", "Request was throttled. Expected available in 42 seconds."),
}


def error_response(status_code: int, description: str) -> OpenApiResponse:
    """One documented error: the one shape, the status's meaning here, and an example body."""
    examples = []
    if status_code in ERROR_EXAMPLES:
        examples.append(
            OpenApiExample(
                f"Error {status_code}",
                value=ERROR_EXAMPLES[status_code],
                response_only=True,
                status_codes=[str(status_code)],
            )
        )
    return OpenApiResponse(ErrorResponseSerializer, description=description, examples=examples)


def error_responses(*statuses: int, meanings: Mapping[int, str] | None = None) -> dict:
    """``{status: OpenApiResponse}`` in the one error shape, for ``extend_schema(responses=...)``.

    ``meanings`` replaces the generic description of a status where an endpoint means something narrower.
    """
    meanings = {**_ERROR_MEANINGS, **(meanings or {})}
    return {status: error_response(status, meanings.get(status, "Error.")) for status in statuses}


def request_example(name: str, value: dict, *, description: str = "") -> OpenApiExample:
    """A request body as a client would send it, shown in /api/docs/ and sent by the API fuzz tests."""
    return OpenApiExample(name, value=value, description=description, request_only=True)


IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    # What check_version reads: a version, quoted or not, weak or strong; `*` (any version) is refused, as it
    # would let a write pass without saying which version it was made on.
    pattern=r'^(W/)?"?[0-9]{1,9}"?$',
    description='The ETag you last read, e.g. `"3"`. Either this or the `version` field is required.',
    examples=[OpenApiExample("Version 1", value='"1"')],
)
CHANGE_REASON_HELP = (
    "The reason for the change (UTF-8, at most {limit} characters), for a request without a body, such as a "
    "DELETE, or whose body gives no `reason`: when both are sent, the body's `reason` wins."
)
CHANGE_REASON = OpenApiParameter(
    name="X-Change-Reason",
    type={"type": "string", "maxLength": REASON_MAX_LENGTH},
    location=OpenApiParameter.HEADER,
    required=False,
    description=CHANGE_REASON_HELP.format(limit=REASON_MAX_LENGTH),
    examples=[OpenApiExample("A reason", value="Duplicate of scenario 12")],
)
CHANGE_REASON_NOT_READ = OpenApiParameter(
    name="X-Change-Reason",
    type={"type": "string", "maxLength": REASON_MAX_LENGTH},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Not read here: this operation's body must give the `reason` itself (if sent, checked as one).",
)
ETAG = OpenApiParameter(
    name="ETag",
    type=str,
    location=OpenApiParameter.HEADER,
    response=True,
    description='The object\'s version, e.g. `"3"`: send it back in If-Match to change the object.',
)


# --- Versioned writes ------------------------------------------------------------------------------------


CHANGE_REASON_HEADER = "X-Change-Reason"


def request_reason(request, *, header: bool = True):
    """The ``reason`` a write request gives, as sent, for ``require_reason`` to read: the body's ``reason``,
    else (with ``header``) the X-Change-Reason header, so that a DELETE needs no body. The body wins, but a
    header that is sent is read either way: one the schema does not allow (too long) is refused, not ignored."""
    getter = getattr(request.data, "get", None)
    value = getter("reason") if getter else None
    sent = _change_reason_header(request)
    if sent:
        require_reason(sent, omitted="")
    if not header:
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return sent
    return value


def _change_reason_header(request) -> str:
    sent = request.headers.get(CHANGE_REASON_HEADER, "")
    try:
        # WSGI hands headers over as latin-1: a reason sent in UTF-8 is read back as the client wrote it.
        return sent.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return sent


def update_locked(instance, *, changes: dict, expected_version, actor, reason: str):
    """Lock ``instance``'s row, check its version and set ``changes`` with a history row; the stored row."""
    with transaction.atomic():
        locked = lock(type(instance), instance.pk)
        update_fields(locked, changes=changes, expected_version=expected_version, actor=actor, reason=reason)
    return locked


class VersionedRetrieveMixin:
    """A detail response carries ``ETag: "<version>"``."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return with_etag(Response(self.get_serializer(instance).data), instance)


class VersionedUpdateMixin(VersionedRetrieveMixin):
    """PUT and PATCH with optimistic locking: If-Match (or the ``version`` field) is required.

    Order of refusals: 403 (permission), then 428 / 412 (version), then 400 (reason, input); the version is checked
    again under the row lock when the change is written, so a race between two writers still ends in 412.
    ``immutable_fields``, as read-only fields, may be sent unchanged but not changed (400 ``read_only``; the
    rule of ``solidarity.platform.body_fields``). Override
    ``perform_versioned_update`` to call the resource's service; the default locks and sets the fields.
    """

    immutable_fields: tuple[str, ...] = ()

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        expected = expected_version(request)
        check_version(instance, expected)
        reason = edit_reason(instance, request_reason(request))
        self.check_immutable_fields(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = {
            name: value
            for name, value in serializer.validated_data.items()
            if name not in CONTROL_KEYS and name not in self.immutable_fields
        }
        updated = self.perform_versioned_update(
            instance, changes=changes, expected_version=expected, actor=request.user, reason=reason
        )
        return with_etag(Response(self.get_serializer(updated).data), updated)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_versioned_update(self, instance, *, changes: dict, expected_version, actor, reason: str):
        return update_locked(instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason)

    def check_immutable_fields(self, request, instance) -> None:
        serializer = self.get_serializer(instance)
        check_body_fields(serializer, request.data, current=serializer.data, immutable=self.immutable_fields)


class ServiceCreateMixin:
    """POST with a reason, validated by the serializer, written by ``perform_service_create`` (a service).

    Answered 201 with the object, its ETag and its detail URL in ``Location``.
    """

    # Creating an object may go without a reason (the service records "created"); a viewset whose creation
    # also changes a submitted or binding object (an activation calls its pledge) sets this to True.
    reason_required_on_create = False

    def create(self, request, *args, **kwargs):
        required = self.reason_required_on_create
        reason = require_reason(request_reason(request, header=not required), omitted=None if required else "")
        serializer = self.get_serializer(data=request.data)
        check_body_fields(serializer, request.data)
        serializer.is_valid(raise_exception=True)
        fields = {name: value for name, value in serializer.validated_data.items() if name not in CONTROL_KEYS}
        instance = self.perform_service_create(fields, actor=request.user, reason=reason)
        return with_etag(created_object(self, instance, self.get_serializer(instance).data), instance)

    def perform_service_create(self, fields: dict, *, actor, reason: str):
        raise NotImplementedError


class TransitionActionMixin:
    """``POST <object>/transition/ {"transition": ..., "reason": ...}`` for a viewset of FSM objects.

    The permission named for ``"transition"`` in ``action_permissions`` (if any) is asked first (403), then
    the reason (400 ``reason_required``), then the body; ``perform_transition`` calls the service and returns
    the Response. Domain errors of the service map to 400 / 403 / 409 through the exception handler.
    """

    transition_serializer_class = TransitionRequestSerializer

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transition(self, request, *args, **kwargs):
        instance = self.get_object()
        # A transition's body names it and gives its reason: the header does not stand in for the body here.
        require_reason(request_reason(request, header=False))
        serializer = self.transition_serializer_class(data=request.data)
        check_body_fields(serializer, request.data)
        serializer.is_valid(raise_exception=True)
        return self.perform_transition(instance, data=serializer.validated_data, actor=request.user)

    def perform_transition(self, instance, *, data: dict, actor) -> Response:
        raise NotImplementedError


class ListFilterBackend(DjangoFilterBackend):
    """django-filter's backend for lists only: DRF also runs filter backends when it looks up one object,
    where building the filter set (a form and a copy of every filter) was a sixth of a detail request."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        return bound_filters(filterset) if filterset is not None else None


class ListFilterExtension(DjangoFilterExtension):
    """The schema's query parameters of ``ListFilterBackend``: django-filter's, as drf-spectacular reads them,
    with the bounds of ``bound_filters``; a choice among names is a string, whatever column it is compared to."""

    target_class = "solidarity.platform.api.ListFilterBackend"
    priority = 1  # before drf-spectacular's own, which matches the subclass too

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("type") != "array":
                # An empty value is no filter (as a form sends an unset field): say so, or it reads as a bad value.
                parameter["allowEmptyValue"] = True
            if issubclass(getattr(filter_field, "field_class", object), forms.IntegerField):
                # drf-spectacular documents every NumberFilter as a number; a whole-number one reads no 2.5.
                schema["type"] = "integer"
                schema.pop("format", None)
            schema.update(filter_schema_bounds(filter_field))
            names = schema.get("enum") or []
            if schema.get("type") == "integer" and names and all(isinstance(name, str) for name in names):
                schema["type"] = "string"
        return parameters


VERSION_HELP = "The version you last read; needed (here or in If-Match) to change the object. Ignored on create."


# ``version`` (read back, and accepted in place of If-Match) and the write-only ``reason``. A comment: drf-spectacular
# would describe every serializer built on this one by its docstring.
class WriteControlFields(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    reason = ReasonField()


# --- Viewsets ----------------------------------------------------------------------------------------------

WRITE_ERRORS = (400, 403, 404, 412, 428)
