"""Accounts: the log-in with an optional second factor, idle sessions and the 2FA set-up (API tokens: ``tokens``).

The log-in takes two steps for a user with a TOTP device: the password (checked by Django, counted by
django-axes), then the six-digit code; nobody is logged in between the two. The middleware is the
backstop for every other way into a session (the admin's log-in form, a session older than the device,
``REQUIRE_2FA`` turned on later): a session that owes a second factor reaches only the pages that give it.
"""

import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts.models import Role, with_role_names

log = logging.getLogger("solidarity.security")

# Session keys.
PENDING_LOGIN = "registry_pending_login"  # the user who gave a right password and owes a code
LAST_SEEN = "registry_last_seen"  # epoch seconds of the session's last request (to the minute)
HAS_DEVICE = "registry_has_otp_device"
PRIVILEGED = "registry_privileged"

PENDING_LIFETIME_SECONDS = 5 * 60
PENDING_MAX_FAILURES = 5
LAST_SEEN_RESOLUTION_SECONDS = 60  # the session is written at most once a minute for the idle clock
DEVICE_NAME = "Authenticator app"

# What a session that owes a second factor may still reach.
OPEN_WHILE_UNVERIFIED = {"login", "logout", "two-factor", "two-factor-verify"}


# --- Services ---------------------------------------------------------------------------------------


class PasswordBackend(ModelBackend):
    """Checks usernames and passwords; grants nothing. What a user may do is decided by the rules of each app
    (``rules.py``) alone: Django's per-model permission tables are never granted here, and reading them on
    every ``has_perm`` the rules answer "no" to cost two queries per page. The user of a session is read
    with its roles."""

    def get_user(self, user_id):
        user = with_role_names(get_user_model()._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()


def is_privileged(user) -> bool:
    """Coordinators and admins: the accounts that must have a second factor when REQUIRE_2FA is on."""
    return bool(user.is_staff or user.is_superuser or user.groups.filter(name=Role.COORDINATOR).exists())


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def second_factor_required(user, *, has_device: bool | None = None, privileged: bool | None = None) -> bool:
    """Whether a session of ``user`` must be verified with a code before it may do anything."""
    if has_device is None:
        has_device = django_otp.user_has_device(user)
    if has_device:
        return True
    if not settings.REQUIRE_2FA:
        return False
    return is_privileged(user) if privileged is None else privileged


def start_totp_setup(user) -> TOTPDevice:
    """A new, unconfirmed device (any earlier unconfirmed one is dropped); confirmed by a first code."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def confirm_totp_setup(device: TOTPDevice, code: str) -> bool:
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    log.info("second factor set up for user %s", device.user_id)
    return True


def remove_second_factor(user) -> int:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    log.info("second factor removed for user %s", user.pk)
    return deleted


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no script, no style attribute)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    label = "QR code to scan with an authenticator app"
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


@receiver(user_logged_in, dispatch_uid="registry_remember_login_facts")
def _remember_login_facts(sender, request, user, **kwargs):
    """Keep in the session what the middleware needs on every request, so it costs no query there."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(PENDING_LOGIN, None)
    session[LAST_SEEN] = int(time.time())
    session[HAS_DEVICE] = django_otp.user_has_device(user)
    session[PRIVILEGED] = is_privileged(user)


# --- Middleware -------------------------------------------------------------------------------------


class AccountSecurityMiddleware:
    """Ends idle sessions, and holds a session that owes a second factor on the pages that take it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie there is no session to guard (anonymous or token clients): no work.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            if self._idle_expired(request):
                minutes = settings.SESSION_IDLE_TIMEOUT // 60
                auth_logout(request)
                messages.info(request, f"You were logged out after {minutes} minutes without activity.")
            else:
                held = self._hold_for_second_factor(request)
                if held is not None:
                    return held
        return self.get_response(request)

    @staticmethod
    def _idle_expired(request) -> bool:
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        timeout = settings.SESSION_IDLE_TIMEOUT
        if timeout and last_seen is not None and now - last_seen > timeout:
            return True
        if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            request.session[LAST_SEEN] = now
        return False

    @staticmethod
    def _hold_for_second_factor(request):
        user = request.user
        if user.is_verified():
            return None
        session = request.session
        if session.get(HAS_DEVICE) is None or session.get(PRIVILEGED) is None:  # a session older than this
            session[HAS_DEVICE] = django_otp.user_has_device(user)
            session[PRIVILEGED] = is_privileged(user)
        has_device = session[HAS_DEVICE]
        if not second_factor_required(user, has_device=has_device, privileged=session[PRIVILEGED]):
            return None
        try:
            if resolve(request.path_info).url_name in OPEN_WHILE_UNVERIFIED:
                return None
        except Resolver404:
            pass
        if request.path_info.startswith("/api/"):
            detail = "Confirm the log-in with the code of your authenticator app first (or use an API token)."
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [{"code": "second_factor_required", "detail": detail, "attr": None}],
                },
                status=403,
            )
        target = reverse("two-factor-verify" if has_device else "two-factor")
        return redirect(f"{target}?next={quote(request.get_full_path())}")


# --- Forms ------------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        help_text="The six digits your authenticator app shows now for the solidarity registry.",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "size": 8}
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("Enter the digits only.")
        return code


# --- Views ------------------------------------------------------------------------------------------


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@dataclass
class PendingLogin:
    user: object
    backend: str
    next: str
    failures: int


def _pending_login(request) -> PendingLogin | None:
    data = request.session.get(PENDING_LOGIN)
    if not data:
        return None
    if time.time() - data["since"] > PENDING_LIFETIME_SECONDS:
        del request.session[PENDING_LOGIN]
        return None
    user = get_user_model()._default_manager.filter(pk=data["user"], is_active=True).first()
    if user is None:
        del request.session[PENDING_LOGIN]
        return None
    return PendingLogin(user=user, backend=data["backend"], next=data["next"], failures=data["failures"])


class LoginView(auth_views.LoginView):
    """Django's log-in; a user with a second factor is sent on to the code instead of being logged in."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not django_otp.user_has_device(user):
            return super().form_valid(form)
        self.request.session[PENDING_LOGIN] = {
            "user": user.pk,
            "backend": user.backend,
            "since": int(time.time()),
            "next": self.get_success_url(),
            "failures": 0,
        }
        return redirect("two-factor-verify")


def _throttle_message(device: TOTPDevice) -> str | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    wait = max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1) if info else 1
    return f"Too many wrong codes in a row: wait {wait} seconds, then enter the code your app shows then."


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of the log-in (or of a session opened without it): the code of the TOTP device."""
    pending = None if request.user.is_authenticated else _pending_login(request)
    if request.user.is_authenticated:
        user = request.user
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
        if user.is_verified():
            return redirect(next_url)
    elif pending is not None:
        user, next_url = pending.user, pending.next
    else:
        messages.info(request, "Log in with your username and password first.")
        return redirect("login")

    device = totp_device(user)
    if device is None:  # removed meanwhile: the password was enough after all
        request.session[HAS_DEVICE] = False
        if pending is not None:
            auth_login(request, user, backend=pending.backend)
            return redirect(next_url)
        return redirect(f"{reverse('two-factor')}?next={quote(next_url)}")

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message(device)
        verified = None if throttled else django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"])
        if verified is not None:
            if pending is not None:
                auth_login(request, user, backend=pending.backend)
            django_otp.login(request, verified)
            request.session[HAS_DEVICE] = True
            return redirect(next_url)
        if pending is not None:
            failures = pending.failures + 1
            if failures >= PENDING_MAX_FAILURES:
                del request.session[PENDING_LOGIN]
                log.warning("log-in of user %s abandoned after %s wrong codes", user.pk, failures)
                messages.error(request, "Too many wrong codes: log in again with your password.")
                return redirect("login")
            request.session[PENDING_LOGIN] = {**request.session[PENDING_LOGIN], "failures": failures}
        form.add_error("code", throttled or "This code is not right, or no longer valid. Enter the code shown now.")
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url, "pending": pending is not None},
    )


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Set up, or remove, the user's TOTP second factor."""
    user = request.user
    device = totp_device(user)
    if device is not None and not user.is_verified():
        # A session opened with the password alone may not replace or remove the second factor.
        return redirect(f"{reverse('two-factor-verify')}?next={quote(request.get_full_path())}")
    required_by_role = settings.REQUIRE_2FA and is_privileged(user)
    next_url = request.POST.get("next") or request.GET.get("next")
    pending_device = None if device is not None else totp_device(user, confirmed=False)
    form = CodeForm(request.POST or None) if request.method == "POST" else CodeForm()
    action = request.POST.get("action")

    if request.method == "POST":
        if action == "start" and device is None:
            start_totp_setup(user)
            return redirect(request.get_full_path())
        if action == "cancel" and pending_device is not None:
            pending_device.delete()
            messages.info(request, "The set-up was cancelled; nothing was changed.")
            return redirect("two-factor")
        if action == "confirm" and pending_device is not None and form.is_valid():
            if confirm_totp_setup(pending_device, form.cleaned_data["code"]):
                pending_device.refresh_from_db()
                django_otp.login(request, pending_device)
                request.session[HAS_DEVICE] = True
                messages.success(request, "Two-factor authentication is on: each log-in now asks for a code.")
                return redirect(_safe_next(request, next_url) if next_url else "two-factor")
            form.add_error(
                "code", "This code is not right. Check the clock of your device, then try the code shown now."
            )
        elif action == "remove" and device is not None and form.is_valid():
            if required_by_role:
                form.add_error(None, "Your role requires two-factor authentication: it cannot be turned off.")
            elif (throttled := _throttle_message(device)) is not None:
                form.add_error("code", throttled)
            elif django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"]) is None:
                form.add_error("code", "This code is not right, or no longer valid. Enter the code shown now.")
            else:
                remove_second_factor(user)
                request.session[HAS_DEVICE] = False
                request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
                messages.success(request, "Two-factor authentication is off: the password alone logs you in.")
                return redirect("two-factor")
        elif action not in {"confirm", "remove"}:
            return redirect("two-factor")

    context = {
        "device": device,
        "pending_device": pending_device,
        "required_by_role": required_by_role,
        "form": form,
        "next": next_url or "",
    }
    if pending_device is not None:
        context["qr_code"] = qr_code_svg(pending_device)
        context["secret"] = _grouped(pending_device.config_url.split("secret=", 1)[1].split("&", 1)[0])
    return render(request, "account/two_factor.html", context)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


password_change = auth_views.PasswordChangeView.as_view(template_name="registration/password_change_form.html")
password_change_done = auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html")
