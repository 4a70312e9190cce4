"""Timelines: a delegation's or a topic's positions in groups (per topic, per state), each with its change
since the one before, cut in pages that say when a group continues from the page before.
"""

from django.core.paginator import Paginator

from pledges.negotiation.display import ShownPosition, with_movements

TIMELINE_PAGE_SIZE = 200


def timeline_entries(positions, *, key, unit_of, keep) -> list[ShownPosition]:
    """Positions grouped by ``key`` (in the order given), each with its change since the one before.

    The change is measured against the previous visible position even when a filter hides that one.
    """
    groups: dict = {}
    for position in positions:
        groups.setdefault(key(position), []).append(position)
    return [entry for items in groups.values() for entry in with_movements(items, unit_of) if keep(entry.position)]


def timeline_page(query, entries: list[ShownPosition], *, key, heading) -> dict:
    """One page of a timeline (``query``: the request's GET), regrouped; a group cut by the page break says it
    continues."""
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(query.get("page"))
    before = entries[page.start_index() - 2] if page.start_index() > 1 else None
    groups: list[dict] = []
    for entry in page.object_list:
        if not groups or key(groups[-1]["entries"][-1].position) != key(entry.position):
            continued = not groups and before is not None and key(before.position) == key(entry.position)
            groups.append({"heading": heading(entry.position), "continued": continued, "entries": []})
        groups[-1]["entries"].append(entry)
    others = query.copy()
    others.pop("page", None)
    return {"page": page, "groups": groups, "page_query": others.urlencode(), "count": len(entries)}
