"""API tokens: several per user, each named, expiring, stored as a digest, refused during a log-in lockout.

The tokens are django-rest-knox's: a token's key is shown once, when it is made; the database keeps a
SHA-512 digest of it (``ApiToken.digest``), so a copy of the database gives no working token. Clients send it
as ``Authorization: Token <key>``. A token expires after the lifetime its user chose, at most
``API_TOKEN_TTL_DAYS``; a user holds at most ``API_TOKENS_PER_USER`` of them.

A user locked out by django-axes (too many wrong passwords, `AXES_*` settings) is locked out of the API as
well: every request with one of their tokens is refused (403 ``account_locked``) until the lock ends, by the
same rule axes applies to the log-in page.

Clients that do not authenticate are rate-limited by address before anything answers them 401: a request
without credentials (counted by the session's class, the last to look at a request) and a request whose token
is refused each count against the ``anon`` rate of its address (``API_THROTTLE_ANON``); beyond it, 429.
"""

import logging
import re
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import authentication, exceptions, throttling

from solidarity.accounts.models import API_TOKEN_NAME_MAX_LENGTH, ROLE_LIST, ApiToken, User, with_role_names

log = logging.getLogger("solidarity.security")

# Keys are hexadecimal: 64 digits as knox makes them, 40 for those made before (kept by their digest).
KEY_PATTERN = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class TokenLimitReached(Exception):
    """The user already holds as many tokens as a user may."""


# --- Services ---------------------------------------------------------------------------------------


def api_tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first, expired ones included (until the user revokes them or makes a new one)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created"))


def token_lifetime(days: int | None = None) -> timedelta:
    """A token's lifetime: ``days`` if given, never more than ``API_TOKEN_TTL_DAYS``."""
    longest = settings.API_TOKEN_TTL_DAYS
    return timedelta(days=min(days or longest, longest))


def issue_api_token(user, *, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``, named ``name``, expiring after ``days`` (at most the longest lifetime).

    Returns the token and its key: the key exists nowhere else, so it is shown to the user once. The user's
    expired tokens are removed; beyond ``API_TOKENS_PER_USER`` live tokens, TokenLimitReached.
    """
    name = name.strip()[:API_TOKEN_NAME_MAX_LENGTH] or _("API token")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user: the count holds
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        if ApiToken.objects.filter(user=user).count() >= settings.API_TOKENS_PER_USER:
            raise TokenLimitReached(
                _("You already have %(count)d API tokens, the most a user may hold: revoke one first.")
                % {"count": settings.API_TOKENS_PER_USER}
            )
        token, key = ApiToken.objects.create(user=user, expiry=token_lifetime(days), name=name)
    log.info("API token %r issued for user %s, expiring %s", name, user.pk, token.expiry.isoformat())
    return token, key


def revoke_api_token(user, digest: str) -> bool:
    """Revoke one of ``user``'s tokens (named by its digest); requests that send it are refused at once."""
    deleted, _count = ApiToken.objects.filter(user=user, digest=digest).delete()
    if deleted:
        log.info("API token revoked for user %s", user.pk)
    return bool(deleted)


def revoke_all_api_tokens(user) -> int:
    deleted, _count = ApiToken.objects.filter(user=user).delete()
    if deleted:
        log.info("%s API tokens revoked for user %s", deleted, user.pk)
    return deleted


# --- The API's authentication and the rate of clients that do not authenticate ------------------------


class ClientAddressThrottle(throttling.AnonRateThrottle):
    """The ``anon`` rate, per client address, for requests that do not authenticate (no or refused credentials).

    Asked by the authentication classes, before the request has a user: its key is the address alone.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def check(self, request) -> None:
        if _is_schema_probe(request):
            return
        if not self.allow_request(request, None):
            raise exceptions.Throttled(self.wait())


def _is_schema_probe(request) -> bool:
    """One of the requests drf-spectacular makes up while it generates the schema: no client sent it."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return bool(getattr(view, "swagger_fake_view", False))


def _locked_out(request, user) -> bool:
    """Whether django-axes holds ``user`` locked out for a log-in from this request (its rule, its settings)."""
    return AxesProxyHandler.is_locked(getattr(request, "_request", request), {"username": user.get_username()})


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication (``Authorization: Token <key>``), reading the token, its user and the user's
    roles in one query; an expired token, an inactive user and a locked-out user are refused, each with its code.
    """

    def authenticate(self, request):
        try:
            authenticated = super().authenticate(request)
            if authenticated is not None and _locked_out(request, authenticated[0]):
                raise exceptions.PermissionDenied(
                    _(
                        "This account is locked after too many failed log-ins: its API tokens are refused until "
                        "the lock ends or an administrator lifts it."
                    ),
                    code="account_locked",
                )
        except (exceptions.AuthenticationFailed, exceptions.PermissionDenied):
            ClientAddressThrottle().check(request)  # beyond the rate, 429 instead
            raise
        return authenticated

    def authenticate_credentials(self, token: bytes):
        key = token.decode("latin-1")
        if not KEY_PATTERN.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        found = (
            with_role_names(ApiToken.objects.select_related("user"), "user__")
            .filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], digest=hash_token(key))
            .first()
        )
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if found.is_expired:
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s: make a new one on your API tokens page.")
                % {"date": timezone.localtime(found.expiry).strftime("%Y-%m-%d %H:%M")},
                code="token_expired",
            )
        user = found.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        setattr(user, ROLE_LIST, getattr(found, ROLE_LIST))
        return user, found


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; the last class asked, so a request it does not authenticate brought no
    credentials at all: it counts against its address's rate, and beyond it is answered 429 (not 401)."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is None:
            ClientAddressThrottle().check(request)
        return authenticated


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema, as before knox: ``Authorization: Token <key>``."""

    target_class = "solidarity.accounts.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


class RateLimitedSessionScheme(SessionScheme):
    target_class = "solidarity.accounts.tokens.SessionAuthentication"


# --- The page where a user makes, sees and revokes their tokens -------------------------------------------------


def lifetime_choices() -> list[tuple[int, str]]:
    longest = settings.API_TOKEN_TTL_DAYS
    days = sorted({d for d in (7, 30, 90, 365) if d < longest} | {longest})
    return [(d, _("%(days)d days") % {"days": d}) for d in days]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=API_TOKEN_NAME_MAX_LENGTH,
        help_text=gettext_lazy("What the token is for, e.g. the tool that uses it."),
    )
    days = forms.TypedChoiceField(label=gettext_lazy("Expires after"), coerce=int, choices=lifetime_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.API_TOKEN_TTL_DAYS


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's API tokens: make one (its key is shown once), see them with their expiry, revoke one or all."""
    user, action = request.user, request.POST.get("action")
    form = ApiTokenForm(request.POST if action == "create" else None)
    new_token = new_key = None
    if action == "create" and form.is_valid():
        try:
            new_token, new_key = issue_api_token(user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
            form = ApiTokenForm()
        except TokenLimitReached as error:
            form.add_error(None, str(error))
    elif action == "revoke":
        if revoke_api_token(user, request.POST.get("token", "")):
            messages.success(request, _("The API token was revoked: requests that send it are now refused."))
        return redirect("api-tokens")
    elif action == "revoke-all":
        if revoke_all_api_tokens(user):
            messages.success(request, _("All your API tokens were revoked: requests that send them are now refused."))
        return redirect("api-tokens")
    elif request.method == "POST" and action != "create":
        return redirect("api-tokens")
    context = {"tokens": api_tokens_of(user), "form": form, "new_token": new_token, "new_key": new_key}
    return render(request, "account/api_tokens.html", context)
