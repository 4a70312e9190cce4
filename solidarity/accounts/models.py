from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import StringAgg, Value
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

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


API_TOKEN_NAME_MAX_LENGTH = 100


class ApiToken(AbstractAuthToken):
    """A user's API token (django-rest-knox): only a SHA-512 digest of its key is stored, so a copy of the
    database gives no working token. A user may hold several, each with a name and an expiry, each revocable."""

    name = models.CharField(
        _("name"),
        max_length=API_TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. the tool that uses it."),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
