"""What the implementation pages share: the cycle asked for, the download format, paging, the call of a service
with its refusals written on the form, the optimistic lock of a form, the stale-version notice, the history tab.

Objects are read through the selectors scoped to the viewer, so anything outside a user's scope is a 404;
an action the role may not take is a 403; everything else the service refuses (a wrong stage, an amount
beyond the pledge) comes back as a message on the field it concerns, and nothing is written.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest

from solidarity.domain.models import SolidarityCycle
from solidarity.platform import exports
from solidarity.platform.errors import DomainError, NotPermitted
from solidarity.platform.history import object_history
from solidarity.platform.workflow import check_version, lock

PAGE_SIZE = 50


def all_cycles() -> list[SolidarityCycle]:
    return list(SolidarityCycle.objects.order_by("-year"))


def cycle_from_query(request, cycles: list[SolidarityCycle]) -> SolidarityCycle | None:
    """The cycle named by ``?cycle=<year>`` among ``cycles`` (404 for any other), else the current cycle."""
    raw = request.GET.get("cycle", "").strip()
    if not raw:
        return SolidarityCycle.objects.current()
    if not raw.isdigit():
        raise Http404("A cycle is named by its year.")
    for cycle in cycles:
        if cycle.year == int(raw):
            return cycle
    raise Http404(f"There is no solidarity cycle {raw}.")


class BadFormat(Exception):
    """A download asked in a format the exports do not know."""

    def response(self) -> HttpResponseBadRequest:
        return HttpResponseBadRequest(f"Unknown format {self.args[0]!r}: use csv or xlsx.")


def export_format(request) -> str:
    """The download format asked (``?format=csv|xlsx``), or "" for the page; ``BadFormat`` for any other."""
    value = request.GET.get("format", "")
    if value and value not in exports.FORMATS:
        raise BadFormat(value)
    return value


def query_without(request, *names: str) -> str:
    """The current query string minus ``names`` (the page, the format), to build links that keep filters."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def paginate(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def list_context(request, filters, page_obj) -> dict:
    """The context every filtered list shares: its filters, its page, and the query that keeps them."""
    return {"filters": filters, "page_obj": page_obj, "query": query_without(request, "page", "format")}


def attempt(form, action: Callable):
    """Run ``action`` (a service call); returns (result, None), or (None, HTTP status) with the domain error
    written on the form. A refusal of the role is a 403 page, as for any forbidden action."""
    try:
        return action(), None
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        form.add_domain_error(error)
        return None, error.status


def locked_at_version(model, pk, version, *, first=None):
    """Lock the row (after ``first``, the row the service locks before it, to keep the services' lock order)
    and refuse a form read at an older version. Call inside ``transaction.atomic``: the service then acts
    on rows no one else can change before it commits."""
    if first is not None:
        lock(*first)
    locked = lock(model, pk)
    check_version(locked, version)
    return locked


def keep_current_version(form, current_version: int) -> None:
    """After a stale refusal, the re-shown form keeps what the user typed but carries the stored version,
    so that saving again (after checking the stored values) is possible."""
    if form.stale is not None:
        form.data = form.data.copy()
        form.data["version"] = str(current_version)


def stale_notice(form, stored) -> dict:
    """The context of ``includes/stale_notice.html``: when ``form`` was refused because the object changed
    meanwhile, the refusal and what is stored now (``stored()`` gives the (label, value) pairs)."""
    stale = form.stale if form is not None else None
    return {"stale": stale, "stored": stored() if stale else None}


def history_context(request, instance) -> dict:
    """The history tab, loaded only when it is open (two queries per page of history)."""
    shown = request.GET.get("tab") == "history" or "history_page" in request.GET
    if not shown:
        return {"tab": "details"}
    try:
        page = max(int(request.GET.get("history_page", "1")), 1)
    except ValueError:
        page = 1
    entries, has_more = object_history(instance, page=page)
    return {"tab": "history", "entries": entries, "has_more": has_more, "next_history_page": page + 1}


def status_code(status: int | None) -> int:
    return status or 200
