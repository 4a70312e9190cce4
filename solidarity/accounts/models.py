from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import StringAgg, Value
from django.utils.functional import cached_property

from solidarity.platform.history import audited


class Role(models.TextChoices):
    """Role groups. The names are a contract with API clients and acceptance tests."""

    OFFICIAL = "official", "Official"
    NEGOTIATOR = "negotiator", "Negotiator"
    COORDINATOR = "coordinator", "Coordinator"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    AUDITOR = "auditor", "Auditor"


ROLE_LIST = "role_list"
ROLE_SEPARATOR = "\x1f"  # the ASCII unit separator: never in a group's name


def with_role_names(queryset: models.QuerySet, path: str = "") -> models.QuerySet:
    """``queryset`` with the role names of its users (``path`` leads from its rows to the user, e.g. ``user__``)
    read in the same query: every request reads its user and then needs the roles, one query fewer."""
    return queryset.annotate(
        **{ROLE_LIST: StringAgg(f"{path}groups__name", delimiter=Value(ROLE_SEPARATOR), default=Value(""))}
    )


class User(AbstractUser):
    # By label: the platform names the domain's model without importing it (docs/architecture.md).
    member_state = models.ForeignKey(
        "solidarity.MemberState",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="The delegation an official or negotiator acts for; empty for EU-level roles.",
    )

    history = audited(excluded_fields=["password", "last_login"], m2m_fields=["groups"])

    @cached_property
    def role_names(self) -> frozenset[str]:
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        listed = getattr(self, ROLE_LIST, None)  # read with the user by `with_role_names`
        if listed is not None:
            return frozenset(name for name in listed.split(ROLE_SEPARATOR) if name)
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.role_names
