"""The auditors' pages: the audit log (filters, diffs, keyset pages, CSV/XLSX) and one object's history."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from solidarity.platform import exports
from solidarity.platform.audit import (
    Cursor,
    InvalidCursor,
    audit_log_page,
    count_up_to,
    iter_audit_log,
    known_transitions,
    source_for,
)
from solidarity.platform.audit_as_of import object_as_of
from solidarity.platform.audit_export import EXPORT_CAP, EXPORT_HEADERS, export_row
from solidarity.platform.audit_forms import AuditFilterForm, MomentField
from solidarity.platform.history import object_history
from solidarity.platform.wording import with_article


def _require_auditor(user) -> None:
    # DESIGN "Roles": the auditor reads every history row; nobody else reads the log (it spans every state).
    if not user.has_perm("solidarity.view_history"):
        raise PermissionDenied("Only auditors may read the audit log.")


def _export(export_format: str, filters):
    columns = [exports.Column(header) for header in EXPORT_HEADERS]
    rows = (export_row(entry) for entry in iter_audit_log(filters))
    stamp = timezone.localtime().strftime("%Y-%m-%d %H%M")
    return exports.export_response(export_format, title=f"Audit log {stamp}", columns=columns, rows=rows)


@login_required
@require_GET
def audit_log(request):
    """Every change of every audited object, newest first, filtered and paged by keyset."""
    _require_auditor(request.user)
    form = AuditFilterForm(request.GET)
    context = {"form": form, "transitions": known_transitions(), "export_cap": EXPORT_CAP, "entries": []}
    problems = []
    export_format = request.GET.get("format", "")
    if export_format and export_format not in exports.FORMATS:
        problems.append(f"Unknown download format {export_format!r}: use csv or xlsx.")
    cursor = None
    if request.GET.get("cursor"):
        try:
            cursor = Cursor.decode(request.GET["cursor"])
        except InvalidCursor as error:
            problems.append(f"{error} Start again from the newest changes.")
    if not form.is_valid() or problems:
        context["problems"] = problems
        return render(request, "audit/log.html", context, status=400)

    filters = form.filters()
    context["filters_active"] = filters.active
    if export_format:
        if count_up_to(filters, EXPORT_CAP + 1) > EXPORT_CAP:
            context["problems"] = [
                f"More than {EXPORT_CAP:,} changes match these filters: too many for one download. Narrow them "
                "(a date range, an object type or a user), or ask an administrator to run "
                "“manage.py export_audit”, which has no limit."
            ]
            return render(request, "audit/log.html", context, status=400)
        return _export(export_format, filters)

    page = audit_log_page(filters, cursor=cursor)
    context.update(
        entries=page.entries,
        older=page.older.encode() if page.older else "",
        newer=page.newer.encode() if page.newer else "",
        first_page=cursor is None,
    )
    return render(request, "audit/log.html", context)


class AsOfForm(forms.Form):
    as_of = MomentField(
        label="Show the object as it was on",
        required=False,
        help_text="A date and time, e.g. 2026-07-01T00:00 (Brussels time).",
        widget=forms.TextInput(attrs={"type": "datetime-local"}),
    )


@login_required
@require_GET
def object_history_page(request, model: str, pk: str):
    """One object's history with readable diffs, and its values as of a chosen moment."""
    _require_auditor(request.user)
    source = source_for(model)
    if source is None:
        raise Http404(f"No audited object type is called {model!r}.")
    try:
        pk = source.parse_pk(pk)
    except ValidationError:
        raise Http404(f"{pk!r} is not an id of {with_article(source.verbose_name)}.") from None
    raw_page = request.GET.get("history_page", "1")
    page_number = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    instance = source.model._default_manager.filter(pk=pk).first()
    # A deleted object keeps its history: ask it through an unsaved instance carrying the primary key.
    entries, has_more = object_history(instance or source.model(pk=pk), page=page_number)
    if instance is None and not entries and page_number == 1:
        raise Http404(f"No {source.verbose_name} {pk} has ever been recorded.")

    form = AsOfForm(request.GET)
    as_of = None
    if form.is_valid() and form.cleaned_data["as_of"]:
        as_of = object_as_of(source, pk, form.cleaned_data["as_of"])
    context = {
        "source": source,
        "object_id": source.display_id(pk),
        "instance": instance,
        "entries": entries,
        "has_more": has_more,
        "next_history_page": page_number + 1,
        "form": form,
        "as_of": as_of,
    }
    return render(request, "audit/object.html", context, status=200 if form.is_valid() else 400)
