"""/api/v1/history/: the audit log for auditors' tools, with the same filters and keyset cursors as the page."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from solidarity.platform.api import error_responses
from solidarity.platform.audit import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    AuditEntry,
    Cursor,
    InvalidCursor,
    audit_log_page,
    audit_sources,
)
from solidarity.platform.audit_as_of import object_as_of
from solidarity.platform.audit_export import plain
from solidarity.platform.audit_forms import MOMENT_MAX_LENGTH, AuditFilterForm, MomentField
from solidarity.platform.hostile_input import RefusesNullCharacters
from solidarity.platform.pagination import link_header, whole_at_least_one
from solidarity.platform.wording import with_article

# --- Serializers (the response shapes; rows are built by the functions below) -------------------------


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text=(
            "The field's name, e.g. `status` or `amount_eur`. A relation's values are its id, but a cycle's year, "
            "a user's username and a Member State's code."
        )
    )
    old = serializers.JSONField(allow_null=True, help_text="The value before; null on creation or when it was empty.")
    new = serializers.JSONField(allow_null=True, help_text="The value after. Decimals and dates are strings.")


class HistoryEntrySerializer(serializers.Serializer):
    model = serializers.CharField(help_text="The object's type as `app.model`, e.g. `pledges.pledge`.")
    object_id = serializers.CharField(
        help_text="The object's id; a Member State's is its code, a cycle's its year and a user's the username."
    )
    history_id = serializers.IntegerField(help_text="The history row's id within its model's history.")
    date = serializers.DateTimeField(help_text="When the change was written.")
    user = serializers.CharField(allow_null=True, help_text="Username of who made it; null for the system.")
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    transition = serializers.CharField(help_text="The workflow transition, e.g. `submit`; empty for other edits.")
    reason = serializers.CharField(allow_null=True, help_text="The reason given with the change.")
    ip_address = serializers.IPAddressField(allow_null=True, help_text="The client's address, for web requests.")
    request_id = serializers.CharField(help_text="The request id (X-Request-ID) of the web request, if any.")
    member_state = serializers.CharField(
        allow_null=True, help_text="The state the object belongs to, where its model has one."
    )
    changes = ChangeSerializer(many=True, help_text="Each field that differs from the object's previous row.")


@extend_schema_serializer(many=False)  # one page object, not a list of them, although it answers `list`
class HistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Older changes (a `cursor` link), or null at the end.")
    previous = serializers.URLField(allow_null=True, help_text="Newer changes, or null on the first page.")
    results = HistoryEntrySerializer(many=True)


class AsOfSerializer(serializers.Serializer):
    model = serializers.CharField()
    object_id = serializers.CharField()
    # In UTC: the moment asked about may lie before time zones had whole-minute offsets (Brussels was
    # +00:17:30 in 1000), which RFC 3339 cannot write.
    at = serializers.DateTimeField(default_timezone=datetime.UTC, help_text="The moment asked about, in UTC.")
    status = serializers.ChoiceField(
        choices=["existed", "not_created_yet", "deleted"], help_text="Whether the object existed at that moment."
    )
    history_id = serializers.IntegerField(allow_null=True, help_text="The history row in force at that moment.")
    recorded_at = serializers.DateTimeField(allow_null=True, help_text="When that row was written.")
    recorded_by = serializers.CharField(allow_null=True, help_text="Who wrote it (username), or null.")
    fields = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        allow_null=True,
        help_text=(
            "Every field's value at that moment (relations by id, cycles by year, users by username, states by "
            "code); null when it did not exist."
        ),
    )


def entry_payload(entry: AuditEntry) -> dict:
    record = entry.record
    return {
        "model": entry.source.label,
        "object_id": entry.object_id,
        "history_id": record.history_id,
        "date": record.history_date,
        "user": entry.username,
        "type": entry.kind,
        "transition": record.history_transition,
        "reason": record.history_change_reason,
        "ip_address": record.history_ip_address,
        "request_id": record.history_request_id,
        "member_state": entry.member_state,
        "changes": [{"field": c.field, "old": plain(c.old), "new": plain(c.new)} for c in entry.changes],
    }


# --- Who may read it --------------------------------------------------------------------------------------


class ReadsAuditLog(permissions.BasePermission):
    """DESIGN "Roles": auditors read every history row; the log spans every state, so nobody else does."""

    message = "Only auditors may read the audit log."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("solidarity.view_history"))


def _form_errors(form) -> ValidationError:
    return ValidationError(
        {
            name: [ErrorDetail(error["message"], code=error["code"] or "invalid") for error in errors]
            for name, errors in form.errors.get_json_data().items()
        }
    )


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


def _page_size(raw: str | None) -> int:
    if raw is None:
        return PAGE_SIZE
    size = whole_at_least_one(raw)
    if size is None or size > MAX_PAGE_SIZE:
        message = _("Give the page size as a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}
        raise _invalid("page_size", message, "invalid_page_size")
    return size


# --- The endpoints ----------------------------------------------------------------------------------------


def _text(
    name: str, max_length: int, description: str, *, required: bool = False, pattern: str | None = None
) -> OpenApiParameter:
    """A text parameter with the longest value its form field (or the view) reads (and its form, if it has one)."""
    schema = {"type": "string", "maxLength": max_length, **({"pattern": pattern} if pattern else {})}
    return OpenApiParameter(name, schema, required=required, description=description)


# The dates and moments MomentField reads: ISO 8601, a day or a moment to the minute or finer, with or without
# its offset from UTC.
MOMENT_PATTERN = (
    r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?$"
)
# A filter left empty filters nothing (as a form's empty field): the schema says so.
OPTIONAL_MOMENT_PATTERN = f"^$|{MOMENT_PATTERN}"


# The longest cursor any link carries is far shorter (a moment, a model's label and an id, in base64).
CURSOR_MAX_LENGTH = 300
OBJECT_ID_MAX_LENGTH = AuditFilterForm.base_fields["object_id"].max_length
FILTERS = [
    OpenApiParameter(
        "model",
        {"type": "string", "enum": ["", *audit_sources()]},
        description="The object type as `app.model`, one of the audited models; empty: every one.",
    ),
    _text(
        "object_id",
        OBJECT_ID_MAX_LENGTH,
        "The object's id (with `model`): a Member State's code, a cycle's year, a user's username (their ids are "
        "read too), any other object's id.",
    ),
    _text("user", AuditFilterForm.base_fields["user"].max_length, "Username of who made the change."),
    _text("member_state", 2, "Eurostat code: changes of objects belonging to that state."),
    _text(
        "date_after",
        MOMENT_MAX_LENGTH,
        "From this date (`2026-07-01`) or moment (ISO 8601), included; empty: no bound.",
        pattern=OPTIONAL_MOMENT_PATTERN,
    ),
    _text(
        "date_before",
        MOMENT_MAX_LENGTH,
        "Up to this date (included) or moment (excluded); empty: no bound.",
        pattern=OPTIONAL_MOMENT_PATTERN,
    ),
    _text(
        "transition",
        AuditFilterForm.base_fields["transition"].max_length,
        "A workflow transition, e.g. `submit`, `adopt`, `confirm`.",
    ),
    _text("cursor", CURSOR_MAX_LENGTH, "The opaque position from a `next` or `previous` link."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE}); else 400 `invalid_page_size`.",
    ),
    OpenApiParameter(
        "Link",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        description="RFC 8288 links to the `next` (older) and `prev` (newer) pages, those that exist.",
    ),
]
AS_OF_PARAMETERS = [
    OpenApiParameter(
        "model",
        {"type": "string", "enum": list(audit_sources())},
        required=True,
        description="The object type as `app.model`, e.g. `pledges.pledge`.",
    ),
    _text(
        "object_id",
        OBJECT_ID_MAX_LENGTH,
        "The object's id (a state's code, a cycle's year, a username).",
        required=True,
    ),
    _text(
        "at",
        MOMENT_MAX_LENGTH,
        "The moment, e.g. `2026-07-01T00:00` (Brussels time).",
        required=True,
        pattern=MOMENT_PATTERN,
    ),
]
AUDITORS_ONLY = {403: "Only auditors may read the audit log."}


@extend_schema_view(
    list=extend_schema(
        summary="The audit log (auditors)",
        description=(
            "Every change of every audited object, newest first: who, when, from where (IP address, request "
            "id), the transition, the reason and each changed field before and after. Paged by an opaque "
            "keyset `cursor`: follow `next` for older changes and `previous` for newer ones; a page costs the "
            "same however deep it is. As CSV (`?format=csv`) too a page at a time, one row per change with its "
            "fields as `changes.<n>.field` / `.old` / `.new`, the `next` and `previous` links in the `Link` header. "
            "400 on an unknown filter value or cursor, 403 for anyone but an auditor."
        ),
        parameters=FILTERS,
        responses={200: HistoryPageSerializer, **error_responses(400, 401, 403, meanings=AUDITORS_ONLY)},
    ),
    as_of=extend_schema(
        summary="One object as it was at a moment (auditors)",
        description=(
            "The object's stored values at `at`, from its history: `status` says whether it existed, did not "
            "exist yet, or had been deleted. 400 on an unknown model or a bad moment."
        ),
        parameters=AS_OF_PARAMETERS,
        responses={200: AsOfSerializer, **error_responses(400, 401, 403, meanings=AUDITORS_ONLY)},
    ),
)
class HistoryViewSet(RefusesNullCharacters, viewsets.ViewSet):
    permission_classes = [ReadsAuditLog]

    def list(self, request, *args, **kwargs):  # kwargs: the router's format suffix (history.json)
        form = AuditFilterForm(request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        cursor = None
        if request.query_params.get("cursor"):
            try:
                cursor = Cursor.decode(request.query_params["cursor"])
            except InvalidCursor as error:
                raise _invalid("cursor", str(error), "invalid_cursor") from None
        size = _page_size(request.query_params.get("page_size"))
        page = audit_log_page(form.filters(), cursor=cursor, size=size)
        url = request.build_absolute_uri()
        body = {
            "next": replace_query_param(url, "cursor", page.older.encode()) if page.older else None,
            "previous": replace_query_param(url, "cursor", page.newer.encode()) if page.newer else None,
            "results": [entry_payload(entry) for entry in page.entries],
        }
        links = link_header({"next": body["next"], "prev": body["previous"]})
        return Response(HistoryPageSerializer(body).data, headers={"Link": links} if links else None)

    @action(detail=False, methods=["get"], url_path="as-of")
    def as_of(self, request, *args, **kwargs):
        # The exact label, as the schema's list of values gives it.
        source = audit_sources().get(request.query_params.get("model", ""))
        if source is None:
            known = ", ".join(audit_sources())
            raise _invalid("model", f"Give the object type as app.model, one of: {known}.", "unknown_model")
        raw_id = request.query_params.get("object_id", "")
        if len(raw_id) > OBJECT_ID_MAX_LENGTH:
            raise _invalid("object_id", f"Give an id of at most {OBJECT_ID_MAX_LENGTH} characters.", "max_length")
        try:
            pk = source.parse_pk(raw_id)
        except DjangoValidationError:
            # No object has that id (the schema cannot say which exist): it names nothing, 404.
            raise _invalid(
                "object_id", f"{raw_id!r} is not an id of {with_article(source.verbose_name)}.", "does_not_exist"
            ) from None
        try:
            at = MomentField(required=True).clean(request.query_params.get("at", ""))
        except DjangoValidationError as error:
            raise _invalid("at", error.messages[0], "invalid_date") from None
        state = object_as_of(source, pk, at)
        record = state.record
        body = {
            "model": source.label,
            "object_id": state.object_id,
            "at": at,
            "status": state.status,
            "history_id": record.history_id if record else None,
            "recorded_at": record.history_date if record else None,
            "recorded_by": record.history_user.get_username() if record and record.history_user else None,
            "fields": {item.name: plain(item.value) for item in state.values} if state.existed else None,
        }
        return Response(AsOfSerializer(body).data)


def register(router) -> None:
    """Add the audit log to the /api/v1/ router."""
    router.register("history", HistoryViewSet, basename="history")
