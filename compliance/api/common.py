"""What the compliance viewsets share: who may call what, and writes through the compliance services."""

from rest_framework import mixins, serializers, viewsets

from compliance.services import compliance_record_create, compliance_record_update
from solidarity.platform.api import ActionPermission, ListFilterBackend, ServiceCreateMixin, VersionedUpdateMixin
from solidarity.platform.hostile_input import RefusesNullCharacters

READ = "compliance.view"
MANAGE = "compliance.manage"

# Every member reads compliance records; only compliance officers write them (DESIGN.md, roles).
PERMISSIONS = {
    "list": READ,
    "retrieve": READ,
    "series": READ,
    "create": MANAGE,
    "update": MANAGE,
    "partial_update": MANAGE,
    "transition": MANAGE,
}

WRITE_ERRORS = (400, 403, 404, 412, 428)
CREATE_ERRORS = (400, 403, 409)
READ_ERRORS = (403, 404)
LIST_ERRORS = (400, 403)


def decimal_out(max_digits: int, places: int, help_text: str):
    return serializers.DecimalField(
        max_digits=max_digits, decimal_places=places, read_only=True, allow_null=True, help_text=help_text
    )


class ComplianceRecordViewSet(
    RefusesNullCharacters,
    ServiceCreateMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Read by every member; created and changed by compliance officers through the compliance services.

    ``model`` names the record type ``compliance_record_create`` makes. Updates need If-Match (or
    ``version``): 428 without it, 412 when stale; the version is checked again under the row lock.
    """

    model = None
    permission_classes = [ActionPermission]
    action_permissions = PERMISSIONS
    filter_backends = [ListFilterBackend]

    def perform_service_create(self, fields, *, actor, reason):
        return compliance_record_create(model=self.model, actor=actor, reason=reason, **fields)

    def perform_versioned_update(self, instance, *, changes, expected_version, actor, reason):
        return compliance_record_update(
            instance=instance, changes=changes, expected_version=expected_version, actor=actor, reason=reason
        )
