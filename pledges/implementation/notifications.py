"""E-mails to the officials of contributing states when a finding changes what they may decline."""

from django.core.mail import send_mass_mail

from compliance.models import Finding, FindingStatus
from pledges.implementation.models import OPEN_ACTIVATION_STATUSES
from solidarity.accounts.models import Role, User


def officials_with_open_activations_towards(finding: Finding):
    return (
        User.objects.filter(
            is_active=True,
            groups__name=Role.OFFICIAL,
            member_state__pledges__cycle=finding.cycle,
            member_state__pledges__activations__benefitting_state=finding.member_state,
            member_state__pledges__activations__status__in=OPEN_ACTIVATION_STATUSES,
        )
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def notify_contributing_officials(*, finding_id) -> int:
    finding = Finding.objects.select_related("member_state", "cycle").get(pk=finding_id)
    if finding.status == FindingStatus.CONFIRMED:
        subject = f"Systemic shortcomings confirmed for {finding.member_state.name} ({finding.cycle.year})"
        body = (
            f"A systemic-shortcoming finding on {finding.member_state.name} has been confirmed: {finding.scope}.\n"
            "While it stands, your state may decline activations towards that state on Art. 60(3) grounds. "
            "Your pledge itself is not reduced."
        )
    else:
        subject = f"Systemic-shortcoming finding lifted for {finding.member_state.name} ({finding.cycle.year})"
        body = (
            f"The finding on {finding.member_state.name} ({finding.scope}) has been lifted: activations towards "
            "that state can no longer be declined on Art. 60(3) grounds."
        )
    recipients = list(officials_with_open_activations_towards(finding))
    messages = [(subject, body, None, [user.email]) for user in recipients]
    return send_mass_mail(messages) if messages else 0
