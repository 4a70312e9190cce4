"""The page "Legal basis": every rule the registry applies, with its article, quote and status."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from solidarity.platform.legal_basis import RULES, rules_by_article


@login_required
@require_GET
def legal_basis(request):
    """Read from the registry in code (``solidarity.platform.legal_basis``): no query beyond the session's."""
    groups = rules_by_article()
    unverified = sum(not entry.verified for entry in RULES)
    return render(
        request, "solidarity/legal_basis.html", {"groups": groups, "rule_count": len(RULES), "unverified": unverified}
    )
