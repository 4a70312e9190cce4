"""The audit trail: every domain model keeps a history row per change, with who, why, from where."""

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class AuditFields(models.Model):
    """Columns every history table carries beside django-simple-history's own."""

    history_ip_address = models.GenericIPAddressField(null=True, blank=True)
    history_request_id = models.CharField(max_length=64, blank=True, default="")
    history_transition = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        abstract = True


def audited(**options) -> HistoricalRecords:
    """The HistoricalRecords every domain model uses."""
    return HistoricalRecords(bases=[AuditFields], **options)


def stamp(instance, *, actor, reason: str, transition: str = "") -> None:
    """Attach who and why to the next save of ``instance``; its history row takes them."""
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason
    instance._history_transition = transition


@receiver(pre_create_historical_record)
def _fill_request_context(sender, instance, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        history_instance.history_ip_address = client_ip(request)
        history_instance.history_request_id = getattr(request, "request_id", "")
    history_instance.history_transition = getattr(instance, "_history_transition", "") or ""


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the peer the server saw; behind a proxy the deployment sets it from the proxy
    # header (see docs/deployment.md) rather than trusting a header any client can forge here.
    return request.META.get("REMOTE_ADDR") or None
