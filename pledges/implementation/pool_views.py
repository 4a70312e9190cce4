"""The pool dashboard: one cycle's pool against its reference numbers, and each state's pledges and
implementation, with its charts and downloads."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pledges.implementation import charts, exports, pool, refusals
from pledges.implementation.view_support import BadFormat, all_cycles, cycle_from_query, export_format
from pledges.pledging.models import PledgeKind

TEMPLATE = "pledges/implementation/pool.html"


def _pool_download(request, export_format: str, context: dict):
    """One of the dashboard's tables (``?table=``, the states' by default) as a download."""
    table = request.GET.get("table", "states")
    if table not in exports.POOL_TABLES:
        return HttpResponseBadRequest(f"Unknown table {table!r}: use {', '.join(exports.POOL_TABLES)}.")
    overview = context["overview"]
    if table == "states" and overview.key_error is not None:
        # No fair share, no table by state: the page says why.
        return render(request, TEMPLATE, context, status=409)
    return exports.pool_table(export_format, table, overview)


def _dashboard_context(overview: pool.PoolOverview, viewer) -> dict:
    cycle = overview.cycle
    return {
        # AMMR Art. 57(2): the SAR indicative share against the distribution; Art. 60(3): refusals still due.
        "sar": pool.sar_share(cycle, viewer=viewer, pool_equivalent=overview.relocation_equivalent),
        "not_implemented": refusals.not_implemented_by_state(cycle, viewer=viewer),
        "charts": charts.pool_charts(overview),
        "in_key_rows": overview.in_key_rows,
        "outside_rows": overview.outside_rows,
        "totals": overview.state_totals(),
        "relocation_total": overview.kind_total(PledgeKind.RELOCATION),
        "financial_total": overview.kind_total(PledgeKind.FINANCIAL),
        "alternative_total": overview.kind_total(PledgeKind.ALTERNATIVE),
        "export_queries": {table: f"cycle={cycle.year}&table={table}" for table in exports.POOL_TABLES},
    }


@login_required
@require_GET
def pool_dashboard(request):
    """The pool of one cycle against its reference numbers, and each state's pledges and implementation."""
    cycles = all_cycles()
    cycle = cycle_from_query(request, cycles)
    try:
        download = export_format(request)
    except BadFormat as error:
        return error.response()
    if cycle is None:
        return render(request, TEMPLATE, {"cycles": cycles, "cycle": None})
    context = {"cycles": cycles, "cycle": cycle, "overview": pool.pool_overview(cycle, viewer=request.user)}
    if download:
        return _pool_download(request, download, context)
    return render(request, TEMPLATE, {**context, **_dashboard_context(context["overview"], request.user)})
