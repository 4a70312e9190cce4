"""Settings of the solidarity registry.

One module for every environment: each value that differs between a laptop and production comes from a
typed environment variable, and a bad value stops the process at start-up instead of running half-set.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Development only: a key that is useless anywhere else.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Under /api/ a failed CSRF check is a 403 in the API's error shape.
CSRF_FAILURE_VIEW = "solidarity.platform.error_views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "solidarity",
    "pledges",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "solidarity.platform.middleware.RequestIdMiddleware",
    # A GET whose answer carries an ETag the client holds already is a 304 without a body.
    "solidarity.platform.conditional.NotModifiedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Within the security headers: an address longer than the registry reads is a 414 (the API's error shape
    # under /api/), a page's query string or form holding a NUL character a 400 (the API answers it after
    # authentication, solidarity.platform.hostile_input).
    "solidarity.platform.error_views.UrlLengthMiddleware",
    "solidarity.platform.hostile_input.NullCharacterMiddleware",
    # Idle sessions end; a second factor is asked where one is set up or required (after CSP: its
    # redirects carry the headers too).
    "solidarity.accounts.security.AccountSecurityMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # axes must come last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "solidarity.urls"
WSGI_APPLICATION = "solidarity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "pledges.implementation.context_processors.finding_banner",
            ],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Covering indexes (the positions matrix) are a PostgreSQL optimisation; SQLite keeps their key columns only.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "solidarity.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "solidarity.accounts.security.PasswordBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# A login lasts SESSION_COOKIE_AGE at most (absolute), and ends after SESSION_IDLE_TIMEOUT seconds without a
# request (0: no idle limit); closing the browser ends it too.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if not DEBUG:
    # Browsers accept these names only from HTTPS, for this host exactly and for the whole site.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline scripts or styles anywhere: every asset is a file served from our own origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Second factor (TOTP, django-otp): optional for everyone; with REQUIRE_2FA on, coordinators and admins
# (staff) must set one up before they can do anything else.
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Solidarity registry"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Every failed log-in is kept (who, from where, when) besides the counters that lock: a security log.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

LANGUAGE_CODE = "en"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "registry@solidarity.invalid")

# API tokens (django-rest-knox, solidarity.accounts.tokens): stored as a digest, several per user, each named,
# expiring after API_TOKEN_TTL_DAYS (the longest a user may choose), refused while the user is locked out.
KNOX_TOKEN_MODEL = "solidarity.ApiToken"
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_DAYS must be at least 1, not {API_TOKEN_TTL_DAYS}")
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 10)
# knox's own token model is replaced by ApiToken (KNOX_TOKEN_MODEL): its migrations would make an unused table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS), "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}

REST_FRAMEWORK = {
    # Token first: its `WWW-Authenticate` header makes a request without credentials a 401, not a 403. The
    # session's class, last, counts the requests that bring no credentials against their address's rate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "solidarity.accounts.tokens.TokenAuthentication",
        "solidarity.accounts.tokens.SessionAuthentication",
    ],
    # JSON, and `?format=csv` exports any list (solidarity.platform.renderers.CSVRenderer); the browsable HTML API
    # in DEBUG only.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
        "solidarity.platform.renderers.CSVRenderer",
    ],
    # JSON bodies only (a form is a 415), but in DEBUG, where the browsable API posts forms. A body that is too
    # deep, too large or holds a NUL character is a 400 or 413 (solidarity.platform.parsers), never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "solidarity.platform.parsers.StrictJSONParser",
        *(
            ["solidarity.platform.parsers.StrictFormParser", "solidarity.platform.parsers.StrictMultiPartParser"]
            if DEBUG
            else []
        ),
    ],
    # Tests send JSON unless they say otherwise, as clients of the API do.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "solidarity.platform.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "solidarity.platform.api.ListFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "solidarity.platform.schema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "solidarity.platform.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Counted in the shared cache (CACHES below): every worker process counts against the same budget. A request
    # that does not authenticate (no credentials, or a refused token) counts against its address's `anon` rate in
    # the authentication classes (solidarity.accounts.tokens), so that it meets the 429 before any 401; an
    # authenticated one against its user's `user` rate.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "100000/hour"),
    },
    # A client is its REMOTE_ADDR (the deployment sets it from the PROXY protocol), never an X-Forwarded-For
    # header any client could make up to start afresh.
    "NUM_PROXIES": 0,
}

# The shared cache, where the API's throttles count: Redis when REDIS_URL is set (production; e.g.
# redis://127.0.0.1:6379/0), so that every worker and machine counts together; otherwise the database's cache
# table (`registry_cache`, made by every `migrate`), the embedded default that needs no other service.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "registry"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "registry_cache",
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "registry"),
        }
    }

SPECTACULAR_SETTINGS = {
    "TITLE": "Solidarity registry API",
    "DESCRIPTION": (
        "The annual solidarity cycle of Regulation (EU) 2024/1351 (AMMR): Member States, cycles, "
        "reference figures, fair shares, pledges, negotiation positions and compliance.\n\n"
        "**Authentication**: the session of the pages, or a user's token as `Authorization: Token <key>`. "
        "Without credentials every endpoint answers 401. A user makes, names and revokes tokens on the page "
        "/accounts/api-tokens/; each expires (at most `API_TOKEN_TTL_DAYS`, 90 days by default), an expired "
        "one answers 401 `token_expired`, and while the user is locked out after failed log-ins every request "
        "with their tokens answers 403 `account_locked`.\n\n"
        "**Errors** share one JSON shape: `type` (`validation_error`, `client_error`, `server_error`) and "
        "`errors`, a list of `{code, detail, attr}` where `code` is machine-readable and `attr` names the field "
        "(or null); a 412 adds `current`. 400 invalid input (always a `validation_error`), 401 not logged in, "
        "403 not permitted (nothing written), 404 not found within your scope (on a write, also an object the "
        "body names: `does_not_exist`), 409 not allowed from the object's current state or for want of a "
        "precondition (no Council act, no confirmed finding, a duplicate), 412 stale version, 428 version "
        "missing, 413 body too large, 414 address too long, 415 body not JSON, 429 throttled.\n\n"
        "**Formats**: request bodies are JSON (`Content-Type: application/json`); answers are JSON, or CSV where "
        "a list offers `?format=csv`. Text may not contain the NUL character (U+0000); every number and text sent "
        "has its bounds in this schema (`minimum`, `maximum`, `maxLength`), beyond them a 400 "
        "(`max_value`, `max_length`, `too_large`).\n\n"
        "**Versions**: every updatable object has a `version` and answers with an `ETag`; PUT and PATCH need "
        "it back in `If-Match` (or the `version` field). A GET with an `ETag` answers `If-None-Match` with 304; "
        "a 201 names the new object in `Location`.\n\n"
        "**Reasons**: every change is justified in the audit trail by a `reason` of at most 2000 characters, in "
        "the body or the `X-Change-Reason` header (the body wins). Transitions need it, as does every change to "
        "a submitted or binding object; creating an object or editing a draft may omit it (the history records "
        "`created` / `draft edited`).\n\n"
        "**Bodies**: on POST, PUT and PATCH alike, a key that is not a field of the resource is refused (400 "
        "`unknown_field`), and so is a read-only field (400 `read_only`) unless it is sent with its current value, "
        "as a GET shows it (so a client may send back what it read; on a create nothing has a value yet)."
        "\n\n"
        "**Lists** are paged (`page` from 1 to the last page, `page_size` from 1 to 500; outside, 400 "
        "`invalid_page` / `invalid_page_size`) in one shape (`count`, `next`, `previous`, `results`) with a "
        "`Link` header (RFC 8288: `first`, `prev`, `next`, `last`), filtered by the parameters each documents and "
        "sorted by `ordering`; `?format=csv` exports the whole filtered list as CSV.\n\n"
        "**Throttling**: requests that do not authenticate (without credentials or with a refused token) count "
        "per client address (`API_THROTTLE_ANON`, default 60 a minute), before any 401; each user's requests "
        "per user (`API_THROTTLE_USER`); beyond it 429 with `Retry-After`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "solidarity.platform.schema.forbid_unknown_fields",
        "solidarity.platform.schema.refuse_null_characters_in_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "solidarity.domain.models.CycleStatus",
        "DesignationKindEnum": "solidarity.domain.models.DesignationKind",
        "DesignationGroundEnum": "solidarity.domain.models.DesignationGround",
        "PledgeStatusEnum": "pledges.pledging.models.PledgeStatus",
        "PledgeKindEnum": "pledges.pledging.models.PledgeKind",
        "ActivationStatusEnum": "pledges.implementation.models.ActivationStatus",
        "DeductionStatusEnum": "pledges.pledging.models.DeductionStatus",
        "OffsetStatusEnum": "pledges.implementation.models.OffsetStatus",
        "FindingStatusEnum": "compliance.models.FindingStatus",
        "ActionPlanStatusEnum": "compliance.models.ActionPlanStatus",
        "PeriodKindEnum": "compliance.models.PeriodKind",
        "StanceEnum": "pledges.negotiation.models.Stance",
        "VisibilityEnum": "pledges.negotiation.models.Visibility",
        "ForumLevelEnum": "pledges.negotiation.models.ForumLevel",
    },
}

# History rows are the audit trail: nobody rewrites an object to an old version from the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True
# A change's reason is text in every history table (a minister's justification runs past 100 characters);
# its bound is REASON_MAX_LENGTH in solidarity.platform.workflow.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "solidarity.platform.api.RegistryExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}
