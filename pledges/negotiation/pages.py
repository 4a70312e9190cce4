"""What every negotiation page shares: the cycle its URL names, the context it starts from (its section of the
sub-navigation and the stance legend) and a page number read from the query.
"""

from django.http import Http404

from pledges.negotiation.display import legend
from solidarity.domain.models import SolidarityCycle


def cycle_or_404(year: int) -> SolidarityCycle:
    cycle = SolidarityCycle.objects.filter(year=year).first()
    if cycle is None:
        raise Http404(f"There is no solidarity cycle {year}.")
    return cycle


def page_context(cycle: SolidarityCycle, section: str) -> dict:
    return {"cycle": cycle, "section": section, "legend": legend()}


def page_number(query, name: str) -> int:
    """The page ``name`` of the query string; 1 when it is missing or not a positive number."""
    raw = query.get(name, "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1
