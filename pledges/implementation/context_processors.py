"""The Art. 60(3) banner: officials of a contributing state see, on every page, the confirmed findings that
let their state decline open activations (issue 5, point 5)."""

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils.functional import SimpleLazyObject

from compliance.models import Finding
from pledges.implementation.models import OPEN_ACTIVATION_STATUSES, ActivationStatus
from solidarity.accounts.models import Role


@dataclass(frozen=True)
class BannerItem:
    finding: Finding
    open_activations: int
    proposed: int  # still open to a decline: only a proposed activation can be declined


def findings_concerning(user) -> list[BannerItem]:
    """Confirmed findings on states towards which ``user``'s state has open activations in the same cycle.

    One query. The same notion as the e-mails of ``compliance.notifications``: an activation is open while
    proposed or accepted, and a finding governs the activations of its own cycle.
    """
    towards = "member_state__activations_received"
    findings = (
        Finding.objects.confirmed()
        # Filtering before annotating makes the counts use the same join: only this state's open activations.
        .filter(
            **{
                f"{towards}__pledge__member_state_id": user.member_state_id,
                f"{towards}__pledge__cycle": F("cycle"),
                f"{towards}__status__in": OPEN_ACTIVATION_STATUSES,
            }
        )
        .annotate(
            open_activations=Count(towards, distinct=True),
            proposed=Count(towards, filter=Q(**{f"{towards}__status": ActivationStatus.PROPOSED}), distinct=True),
        )
        .select_related("member_state", "cycle")
        .order_by("member_state__protocol_order", "-cycle__year", "-confirmed_on", "-id")
    )
    items, seen = [], set()
    for finding in findings:
        # Several confirmed findings on one state and cycle give one line: the latest is the one a decline cites.
        key = (finding.member_state_id, finding.cycle_id)
        if key not in seen:
            seen.add(key)
            items.append(BannerItem(finding, finding.open_activations, finding.proposed))
    return items


def finding_banner(request) -> dict:
    """``finding_banner``: the items above for an official of a delegation, else nothing; lazy, so a page that
    does not show the banner runs no query for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.member_state_id:
        return {}

    def items():
        # role_names is cached on the user; the layout's user menu reads it anyway.
        return findings_concerning(user) if user.has_role(Role.OFFICIAL) else []

    return {"finding_banner": SimpleLazyObject(items)}
