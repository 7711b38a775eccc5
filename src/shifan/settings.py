"""Settings for Shifan, read from environment variables with safe defaults.

Without any variable set this is a production configuration on SQLite: DEBUG off, HTTPS
cookies and redirects on. `make demo` and `make test` set the few variables they need
(see the Makefile and pyproject.toml); `docs/deployment.md` lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shifan.accounts.sso import parse_providers as parse_sso_providers

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("SHIFAN_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# The demo accounts skip two-factor login only while this is on; a deploy check refuses it.
SHIFAN_DEMO = env_bool("SHIFAN_DEMO", False)
SHIFAN_HTTPS = env_bool("SHIFAN_HTTPS", not DEBUG)
# bench/load.py's ceiling: a bare view at /bench/ceiling/, served only while this is on.
SHIFAN_BENCH_CEILING = env_bool("SHIFAN_BENCH_CEILING", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or SHIFAN_DEMO or not SHIFAN_HTTPS:
        # Local runs only (demo, tests, benchmarks over plain HTTP on 127.0.0.1).
        SECRET_KEY = "insecure-local-only-key-" + "x" * 40
    else:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SHIFAN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "shifan.core",
    "shifan.accounts",
    "shifan.programs",
    "shifan.eligibility",
    "shifan.applications",
    "shifan.reviews",
    "shifan.expert_review",
    "shifan.publicity",
    "shifan.cases",
    "shifan.tracking",
    "shifan.documents",
    "shifan.similarity",
    "shifan.dashboard",
    "shifan.api",
    "shifan.demo",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form renderer finds widget templates through the template engine
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "captcha",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# The open API (/api/v1/, docs/api.md, docs/decisions/0020-rest-api.md): clients authenticate with
# their bearer token only (no session, so no CSRF), answers are JSON, errors problem+json.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["shifan.api.authentication.ClientTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["shifan.api.permissions.IsClient"],
    "DEFAULT_THROTTLE_CLASSES": ["shifan.api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shifan.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "广东省服务型制造示范 开放接口",
    "DESCRIPTION": "征集批次、申报书、认定通告与国家级遴选推荐的只读接口，"
    "以及信用核查结果、地市处理两项写入。令牌由省工信厅在“接口客户端”页面签发。",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page describe the contract, not data: readable without a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStateEnum": "shifan.applications.models.ApplicationState",
        "NoticePhaseEnum": "shifan.publicity.models.NoticePhase",
        "ObjectionStateEnum": "shifan.publicity.models.ObjectionState",
    },
}
# Calls a client may make, per second, minute, hour or day ("120/min"); 429 with Retry-After beyond.
SHIFAN_API_RATE = os.environ.get("SHIFAN_API_RATE", "120/min")
# How long each API call stays in its client's log (pruned as the client calls, once a minute).
SHIFAN_API_CALL_DAYS = int(os.environ.get("SHIFAN_API_CALL_DAYS", "90"))

# Prometheus' /metrics (shifan.core.metrics): answered only when one of these is set, 404 otherwise.
# A bearer token Prometheus sends, and/or the addresses or networks (CIDR) it may ask from.
SHIFAN_METRICS_TOKEN = os.environ.get("SHIFAN_METRICS_TOKEN", "")
SHIFAN_METRICS_ALLOWED_ADDRESSES = env_list("SHIFAN_METRICS_ALLOWED_ADDRESSES", [])
SHIFAN_METRICS = bool(SHIFAN_METRICS_TOKEN or SHIFAN_METRICS_ALLOWED_ADDRESSES)

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before the HTTPS redirect, the host check and the session.
    "shifan.core.health.HealthCheckMiddleware",
    # Before everything that may log: each request's id (X-Request-ID) and its line in the log.
    "shifan.core.requestlog.RequestIdMiddleware",
    # Counts and times every request by URL name and status, only while /metrics is on: the
    # request path pays nothing for figures nobody reads.
    *(["shifan.core.metrics.RequestMetricsMiddleware"] if SHIFAN_METRICS else []),
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and CSRF middleware, so that it sees the cookies they set.
    "shifan.core.middleware.PrivateUnlessPublicMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shifan.accounts.middleware.SecondFactorMiddleware",
    "shifan.accounts.middleware.TwoFactorRequiredMiddleware",
    "shifan.accounts.middleware.EmailVerificationRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the authentication failures of every view above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shifan.urls"
WSGI_APPLICATION = "shifan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shifan.core.context_processors.shifan",
            ],
        },
    }
]

# Database: SQLite by default (WAL, immediate transactions so concurrent writers wait for the
# lock instead of failing with "database is locked", and queue for it in order: shifan.core.sqlite),
# PostgreSQL when DATABASE_URL says so.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "shifan.core.sqlite",
            "NAME": os.environ.get("SHIFAN_SQLITE_PATH", str(VAR_DIR / "shifan.sqlite3")),
            # Kept open across requests, as for PostgreSQL: opening one (and its PRAGMAs) for each
            # request was a tenth of a busy server's time (docs/performance.md).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
                ),
            },
            # Tests use a file too: an in-memory database locks differently (it refuses concurrent
            # writers at once instead of letting them wait), so it would not test what runs.
            "TEST": {"NAME": str(VAR_DIR / "test-shifan.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Accounts and login
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "shifan.accounts.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shifan.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Single sign-on through the province's identity services (OpenID Connect; docs/deployment.md):
# a JSON list of providers, each {"key", "name", "discovery_url", "client_id", "client_secret",
# "claims", "link_claim", "credit_code_claim", "mfa_amr", "mfa_acr", "contact"}. Empty: no SSO.
_SSO_FILE = os.environ.get("SHIFAN_SSO_PROVIDERS_FILE", "")
SHIFAN_SSO_PROVIDERS = parse_sso_providers(
    os.environ.get("SHIFAN_SSO_PROVIDERS") or (Path(_SSO_FILE).read_text() if _SSO_FILE else "")
)
# Seconds of clock difference allowed with a provider when checking a token's times.
SHIFAN_SSO_CLOCK_SKEW = int(os.environ.get("SHIFAN_SSO_CLOCK_SKEW", "120"))
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # three days: long enough for an invitation sent on a Friday
SESSION_ENGINE = "shifan.accounts.sessions"  # Django's database sessions, read leaner
SESSION_COOKIE_AGE = 60 * 60 * 8  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The CAPTCHA (the objection and claim forms, the login after failures): drawn by the server (no
# outside service), kept in the database so every server process can check it; four characters
# without the easily confused ones, or a question in words (shifan.core.captcha).
CAPTCHA_LENGTH = 4
CAPTCHA_CHALLENGE_FUNCT = "shifan.core.captcha.challenge"
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_2X_IMAGE = False

# Password guessing (shifan.accounts.login_guard): failures lock one account at one address, never
# the account everywhere nor everyone behind an address; a few failures on the account or from the
# address ask for the CAPTCHA first; an address the account logged in from before is never locked.
SHIFAN_LOGIN_FAILURE_LIMIT = int(os.environ.get("SHIFAN_LOGIN_FAILURE_LIMIT", "5"))
SHIFAN_LOGIN_CAPTCHA_AFTER = int(os.environ.get("SHIFAN_LOGIN_CAPTCHA_AFTER", "3"))
SHIFAN_LOGIN_KNOWN_ADDRESS_DAYS = 180
# Login forms sent from one address: enough for an office behind one address starting the day.
SHIFAN_LOGIN_POSTS_PER_ADDRESS = int(os.environ.get("SHIFAN_LOGIN_POSTS_PER_ADDRESS", "30"))
SHIFAN_LOGIN_POSTS_WINDOW = 300  # seconds
AXES_FAILURE_LIMIT = "shifan.accounts.login_guard.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SHIFAN_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "shifan.accounts.login_guard.username_of"
AXES_CLIENT_IP_CALLABLE = "shifan.accounts.login_guard.client_ip"
AXES_LOCKOUT_CALLABLE = "shifan.accounts.login_guard.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Every failure is kept for its account's holder to see (the failed-logins page).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLED = env_bool("SHIFAN_AXES_ENABLED", True)
# Behind the TLS proxy every request comes from the proxy: the visitor's address is in the header
# the proxy sets (nginx: `proxy_set_header X-Real-IP $remote_addr;` → HTTP_X_REAL_IP). Rate limits
# and the login lock-out count by it. Empty: the connection's address (no proxy, or the demo).
CLIENT_IP_HEADER = os.environ.get("SHIFAN_CLIENT_IP_HEADER", "")

OTP_TOTP_ISSUER = "广东省服务型制造示范"

# Internationalisation: Chinese first, English through locale/en.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files: Bootstrap, Bootstrap Icons and htmx come from npm (node_modules) and are
# served by the project itself; government intranets have no internet.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"]
# From the npm packages, only what the pages load (and what those files refer to): shifan.core.staticfiles.
VENDOR_FILES = [
    (
        "vendor/bootstrap",
        NODE_MODULES / "bootstrap" / "dist",
        ["css/bootstrap.min.css*", "js/bootstrap.bundle.min.js*"],
    ),
    (
        "vendor/bootstrap-icons",
        NODE_MODULES / "bootstrap-icons" / "font",
        ["bootstrap-icons.min.css", "fonts/*"],
    ),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist", ["htmx.min.js"]),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist", ["echarts.common.min.js"]),
]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "shifan.core.staticfiles.VendorFinder",
]
# Uploaded files: the local disk by default; an S3-compatible object store (MinIO, OSS, COS, …)
# when SHIFAN_S3_BUCKET is set, through django-storages.
S3_BUCKET = os.environ.get("SHIFAN_S3_BUCKET", "")
DEFAULT_STORAGE: dict[str, object] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("SHIFAN_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("SHIFAN_S3_REGION") or None,
            "access_key": os.environ.get("SHIFAN_S3_ACCESS_KEY", ""),
            "secret_key": os.environ.get("SHIFAN_S3_SECRET_KEY", ""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("SHIFAN_COLLECTED_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not env_bool("SHIFAN_COLLECTED_STATIC", False)
# Without collected files (demo, tests) look assets up per request instead of scanning STATIC_ROOT.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Uploads are bounded while they stream and, for Office files, by what they expand to
# (shifan.core.uploads). The largest file any upload takes: attachments, sealed scans and the
# city's letter take 20 MB (objection evidence 10 MB, case pictures and the expert list 5 MB); a
# programme spec allowing more is refused. The reverse proxy's body limit matches these
# (docs/deployment.md).
SHIFAN_UPLOAD_MAX_MB = int(os.environ.get("SHIFAN_UPLOAD_MAX_MB", "20"))
# An Office file (docx, xlsx: a ZIP) is refused before anything decompresses it when its entries
# declare more than this in total, when it has more entries than this, or when one entry above a
# megabyte is compressed more than this many times (ordinary documents: a few times to a few dozen).
SHIFAN_UPLOAD_MAX_EXPANDED_MB = int(os.environ.get("SHIFAN_UPLOAD_MAX_EXPANDED_MB", "200"))
SHIFAN_UPLOAD_MAX_ARCHIVE_ENTRIES = int(os.environ.get("SHIFAN_UPLOAD_MAX_ARCHIVE_ENTRIES", "5000"))
SHIFAN_UPLOAD_MAX_COMPRESSION_RATIO = int(os.environ.get("SHIFAN_UPLOAD_MAX_COMPRESSION_RATIO", "200"))
FILE_UPLOAD_HANDLERS = [
    # First: it stops a file at SHIFAN_UPLOAD_MAX_MB before the others store more of it.
    "shifan.core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A request up to this size keeps its files in memory; a larger one writes them to temporary files.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
# The fields of one request, files apart: the whole application form, saved at once, is well under
# a megabyte of text even with every section long; larger bodies get the 413 page (core.views).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest form (the enterprise application with its tables full) posts about 600 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The most files one form takes at once is the objection's five pieces of evidence; a few more are
# parsed so that the form, not a bare error page, says how many it takes.
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# Mail: console in the demo, SMTP by settings.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# For the file-based backend (django.core.mail.backends.filebased.EmailBackend): the crash benchmark
# counts the mails sent.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shifan@localhost")

# Background tasks: the database is the queue (one worker beside the web server in the demo,
# several at scale); tests run tasks immediately.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("SHIFAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A submitted book's PDF is made by a background task once the submission commits, so its first
# download and the bulk export find it stored (docs/decisions/0016-books-rendered-on-submission.md).
# Off by default under the immediate backend (the tests'), where it would make every submission
# wait for its PDF; a test that needs it turns it on.
SHIFAN_RENDER_BOOKS_ON_SUBMIT = env_bool(
    "SHIFAN_RENDER_BOOKS_ON_SUBMIT", not TASKS["default"]["BACKEND"].endswith(".ImmediateBackend")
)
# /readyz (shifan.core.health): the worker counts as stopped when a task has waited this long and no
# task started or finished meanwhile; the queue is behind when its oldest due task waited this long.
SHIFAN_READY_WORKER_MINUTES = int(os.environ.get("SHIFAN_READY_WORKER_MINUTES", "10"))
SHIFAN_READY_QUEUE_MINUTES = int(os.environ.get("SHIFAN_READY_QUEUE_MINUTES", "15"))
# A task RUNNING this long on a worker of another host (whose process cannot be looked at) counts as
# abandoned and is queued again (shifan.core.workers). Longer than any task: a bulk export that
# still progresses (documents.exports.STALLED_AFTER, 10 minutes without a book) is left to its run.
SHIFAN_TASK_LEASE_MINUTES = int(os.environ.get("SHIFAN_TASK_LEASE_MINUTES", "30"))
# Processes a bulk export renders its PDFs in (each about a second per book): every core by default.
SHIFAN_EXPORT_PROCESSES = max(1, int(os.environ.get("SHIFAN_EXPORT_PROCESSES") or os.cpu_count() or 1))
# Processes a batch's similarity check computes its signatures in (shifan.similarity): every core.
SHIFAN_SIMILARITY_PROCESSES = max(
    1, int(os.environ.get("SHIFAN_SIMILARITY_PROCESSES") or os.cpu_count() or 1)
)

# Security headers. Content Security Policy allows only the project's own assets: no inline
# script or style anywhere in the templates.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SHIFAN_HTTPS
CSRF_COOKIE_SECURE = SHIFAN_HTTPS
SECURE_SSL_REDIRECT = SHIFAN_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SHIFAN_HTTPS else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SHIFAN_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SHIFAN_HTTPS
SECURE_HSTS_PRELOAD = SHIFAN_HTTPS

# Logs go to the standard error. SHIFAN_LOG_FORMAT=json writes one JSON object a line, each with
# the request id, the user's number and the path, and one line more at the end of every request
# with its status and duration (shifan.core.requestlog); the plain format writes only messages.
SHIFAN_LOG_FORMAT = os.environ.get("SHIFAN_LOG_FORMAT", "text").strip().lower()
if SHIFAN_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("SHIFAN_LOG_FORMAT must be text or json.")
LOG_JSON = SHIFAN_LOG_FORMAT == "json"
LOGGING: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "shifan.core.requestlog.RequestContextFilter"}},
    "formatters": {"json": {"()": "shifan.core.requestlog.JsonFormatter"}},
    "handlers": {
        "console": (
            {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request"]}
            if LOG_JSON
            else {"class": "logging.StreamHandler"}
        )
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SHIFAN_LOG_LEVEL", "WARNING")},
    "loggers": {"shifan.request": {"level": "INFO" if LOG_JSON else "WARNING"}},
}

SHIFAN_NAME = _("广东省服务型制造示范管理系统")
# Application numbers: GD-SMD-2024-E-0001 (广东 · 服务型制造示范 · year · category · sequence).
SHIFAN_NUMBER_PREFIX = os.environ.get("SHIFAN_NUMBER_PREFIX", "GD-SMD")
# The programme's targets, from 《广东省服务型制造示范行动工作方案》 (粤工信生产合作函〔2024〕2号),
# 一、主要目标: about 160 units by 2027 (about 80 示范企业 and 80 示范平台), 200 by 2030. They belong
# to the work plan, not to one batch's spec, so they live here (docs/decisions/0010-dashboard.md).
SHIFAN_TARGETS = [
    {"year": 2027, "total": 160, "categories": {"enterprise": 80, "platform": 80}},
    {"year": 2030, "total": 200, "categories": {}},
]
# Programme spec files a province officer can open a batch from.
SHIFAN_PROGRAMS_DIR = Path(os.environ.get("SHIFAN_PROGRAMS_DIR", PROJECT_DIR / "programs"))

FORM_RENDERER = "shifan.core.forms.ShifanFormRenderer"
