"""What compliance asks of the pledges layer above it (see ``solidarity.platform.hooks``).

A confirmed systemic-shortcoming finding concerns the activations towards its state (AMMR Art. 60(3)):
those live in ``pledges.implementation``, which implements these in ``PledgesConfig.ready()``.
"""

from compliance.models import Finding
from solidarity.platform.hooks import Hook


def _findings_alone(*, viewer, state) -> list[dict]:
    findings = Finding.objects.filter(member_state=state).select_related("cycle").order_by("-cycle__year", "-id")
    return [
        {"finding": finding, "declined": [], "open": [], "open_total": 0, "open_proposed": 0} for finding in findings
    ]


# findings_with_effect(*, viewer, state) -> [{"finding", "declined", "open", "open_total", "open_proposed"}]:
# the state's findings, each with the activations it let contributing states decline and, while confirmed,
# the open activations towards the state (the activations only where ``viewer`` may see them).
findings_with_effect = Hook("findings_with_effect", default=_findings_alone)

# finding_decided(*, finding_id): a finding was confirmed or lifted; called after the commit.
finding_decided = Hook("finding_decided", default=lambda *, finding_id: None)
