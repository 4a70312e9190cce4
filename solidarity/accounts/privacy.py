"""A person's data: what the registry keeps about a user (export), and how it forgets who they were (anonymise).

Personal data of users is kept minimal: a username, optionally a first and last name and an e-mail
address, the delegation and the roles. The audit trail refers to users by key (``history_user``), so
replacing the name, e-mail and username of a user by a pseudonym (``user-<id>``) anonymises every history
row at once and leaves it readable: who did what is still one consistent, if nameless, actor. History rows
of the domain models are never rewritten (the database refuses it); only the user's own history, which
holds the earlier names, is, and only so: its trigger lets through the UPDATE that blanks a person's identity
and nothing else (solidarity.platform.integrity).
"""

import datetime
import logging

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts.models import ApiToken, User
from solidarity.platform.audit import AuditFilters, iter_audit_log
from solidarity.platform.audit_export import EXPORT_HEADERS, export_row, plain
from solidarity.platform.history import stamp
from solidarity.platform.integrity import PSEUDONYM_PREFIX

log = logging.getLogger("solidarity.security")

EXPORT_FORMAT = 2  # 2: several API tokens, each with its name and expiry


class PrivacyError(Exception):
    """The request cannot be carried out; the message says why."""


def pseudonym_for(user: User) -> str:
    return f"{PSEUDONYM_PREFIX}{user.pk}"


def is_anonymised(user: User) -> bool:
    return user.username == pseudonym_for(user) and not (user.first_name or user.last_name or user.email)


# --- Export (GDPR Art. 15 and 20) ------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


def _audit_rows(filters: AuditFilters) -> list[dict]:
    keys = [header.lower().replace(" ", "_") for header in EXPORT_HEADERS]
    return [dict(zip(keys, (plain(v) for v in export_row(entry)), strict=True)) for entry in iter_audit_log(filters)]


def _records_referring_to(user: User) -> list[dict]:
    """Objects of the registry's own models with a foreign key to the user (e.g. ``recorded_by``)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in {"solidarity", "pledges", "compliance"}:
            continue
        if model.__name__.startswith("Historical") or model in (User, ApiToken):  # the tokens: listed on their own
            continue
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "related_model", None) is not User:
                continue
            pks = list(
                model._default_manager.filter(**{model_field.name: user}).order_by("pk").values_list("pk", flat=True)
            )
            if pks:
                found.append(
                    {"model": model._meta.label_lower, "field": model_field.name, "ids": [str(p) for p in pks]}
                )
    return found


def export_user_data(user: User) -> dict:
    """Everything the registry keeps about ``user``, as JSON-ready data (no secret: no password, key or seed)."""
    login_filter = {"username": user.get_username()}
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "member_state": user.member_state_id,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "api_tokens": [
            {"name": t.name, "created": _when(t.created), "expiry": _when(t.expiry)}
            for t in ApiToken.objects.filter(user=user).order_by("created")
        ],
        "second_factor_devices": [
            {
                "name": d.name,
                "confirmed": d.confirmed,
                "created_at": _when(d.created_at),
                "last_used_at": _when(d.last_used_at),
            }
            for d in TOTPDevice.objects.filter(user=user).order_by("pk")
        ],
        "account_history": _audit_rows(AuditFilters(model="solidarity.user", object_id=str(user.pk))),
        "changes_made": _audit_rows(AuditFilters(user_id=user.pk)),
        "records_referring_to_the_user": _records_referring_to(user),
        "log_ins": [
            {
                "attempt_time": _when(a.attempt_time),
                "logout_time": _when(a.logout_time),
                "ip_address": a.ip_address,
                "user_agent": a.user_agent,
            }
            for a in AccessLog.objects.filter(**login_filter).order_by("attempt_time")
        ],
        "failed_log_ins": [
            {"attempt_time": _when(a.attempt_time), "ip_address": a.ip_address, "user_agent": a.user_agent}
            for a in AccessFailureLog.objects.filter(**login_filter).order_by("attempt_time")
        ],
    }


# --- Anonymisation (GDPR Art. 17) --------------------------------------------------------------------------


def _user_session_keys(user: User) -> list[str]:
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.append(session.session_key)
    return keys


def anonymise_user(user: User, *, reason: str = "Personal data anonymised on request") -> str:
    """Replace the user's identity by ``user-<id>`` everywhere it is kept, close the account; return the pseudonym.

    Kept: the account row (so every history row still points at one actor), its delegation and roles (what
    the actor acted as), and every history row of the domain models. Removed: names, e-mail, username (also
    from the account's own past versions and the admin's log), password, API tokens, second factor, open
    sessions and log-in records.
    """
    pseudonym = pseudonym_for(user)
    if User.objects.filter(username=pseudonym).exclude(pk=user.pk).exists():
        raise PrivacyError(f"another account is already called {pseudonym}; rename it first")
    old_username = user.get_username()
    with transaction.atomic():
        user.username = pseudonym
        user.first_name = ""
        user.last_name = ""
        user.email = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        stamp(user, actor=None, reason=reason)
        user.save()
        # The account's own versions: its earlier names go too. The database lets through this one rewrite of
        # a history row, and only of the identity (solidarity.platform.integrity); the versions already
        # anonymised are left alone, as the trigger refuses an UPDATE that changes nothing.
        # Row by row: these rows are the history itself, and the admin's log is no audited model.
        anonymised = {"username": pseudonym, "first_name": "", "last_name": "", "email": ""}
        for version in User.history.filter(id=user.pk).exclude(**anonymised, history_ip_address=None):
            version.username, version.first_name, version.last_name, version.email = pseudonym, "", "", ""
            version.history_ip_address = None
            version.save(update_fields=["username", "first_name", "last_name", "email", "history_ip_address"])
        for entry in LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ):
            entry.object_repr = pseudonym
            entry.save(update_fields=["object_repr"])
        ApiToken.objects.filter(user=user).delete()
        TOTPDevice.objects.filter(user=user).delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username=old_username).delete()
        Session.objects.filter(session_key__in=_user_session_keys(user)).delete()
    log.info("user %s anonymised", user.pk)
    return pseudonym
