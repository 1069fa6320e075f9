"""Settings, read from the environment (and an optional `.env` in the working directory).

Everything a deployment may change is an environment variable; `.env.example` lists them.
"""

from datetime import timedelta
from pathlib import Path

import environ

PACKAGE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# In a source checkout the project root holds .env and var/; an installed package uses the
# working directory unless BANGBAN_HOME says otherwise.
_CHECKOUT = PACKAGE_DIR.parent.parent
_DEFAULT_HOME = _CHECKOUT if (_CHECKOUT / "pyproject.toml").exists() else Path.cwd()
HOME_DIR = Path(env.str("BANGBAN_HOME", default=str(_DEFAULT_HOME)))
environ.Env.read_env(HOME_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("BANGBAN_VAR_DIR", default=str(HOME_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
# Key for personal data encrypted at rest (Fernet, urlsafe base64 of 32 bytes). Losing it loses
# the encrypted ID and phone numbers, so it is kept apart from the database backups.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The reverse proxies (nginx) whose X-Real-IP header gives the client's address; none by default
# (ClientAddressMiddleware). Behind nginx on the same machine: 127.0.0.1.
BANGBAN_TRUSTED_PROXIES = env.list("BANGBAN_TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "bangban.core",
    "bangban.org",
    "bangban.catalog",
    "bangban.notify",
    "bangban.cases",
    "bangban.documents",
    "bangban.feedback",
    "bangban.supervision",
    "bangban.portal",
    "bangban.demo",
    "bangban.assessment",
    "bangban.manual",
]

MIDDLEWARE = [
    "bangban.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "bangban.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After SessionMiddleware: it marks the session for saving, which SessionMiddleware does.
    "bangban.core.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bangban.core.middleware.ApplicationErrorMiddleware",
    # Last, as django-axes requires, so that it sees every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bangban.config.urls"
WSGI_APPLICATION = "bangban.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bangban.portal.elder.elder_mode",
                "bangban.manual.context_processors.help_link",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'bangban.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep each web worker's connection for this many seconds instead of opening one per request:
# a new PostgreSQL connection costs its start-up and then plans and reads its first queries
# against cold caches (a queue page's first query: 7.6 ms on a new connection, 1.2 ms on a
# used one). Checked before reuse, so a restarted database costs one failed check, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("BANGBAN_DB_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Wait for a writer instead of failing at once with "database is locked"; and take the
    # write lock when a transaction begins, so that two writers queue instead of deadlocking
    # (the second then sees the first one's work and is refused cleanly).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # Tests use a file too: an in-memory database locks whole tables instead of queueing
    # writers, which is not how a deployment behaves.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test-bangban.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's unit with the user (one query less a request).
    "bangban.org.authentication.UnitModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "bangban.core.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# 等保 level 3: lock an account for 30 minutes after 5 failed logins.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
# Locking per account is the 等保 requirement; locking per IP address as well would lock out a
# whole town office that reaches the server through one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# 等保 level 3: a session ends after 30 idle minutes. Activity renews it at most once a minute
# (SessionRefreshMiddleware), not by writing the session on every request: it ends 29 to 30
# minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

HTTPS = env.bool("BANGBAN_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LANGUAGE_CODE = "zh-hans"
# Chinese for everybody: a browser that asks for English still gets the zh-hans pages (the
# English source strings are not a maintained translation).
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bangban.org.authentication.UnitTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "bangban.core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "bangban.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "bangban.core.api_schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "bangban API",
    "DESCRIPTION": "帮办代办平台接口 (API of the 帮办代办 platform)",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Two "kind" fields (case, meeting) and two fields sharing the party choices need names.
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "bangban.cases.models.Kind",
        "MeetingKindEnum": "bangban.cases.models.Meeting.Kind",
        "PartyEnum": "bangban.cases.models.Party",
    },
}

# Background work (imports, exports, later notifications) runs in `bangban db_worker`, queued
# in the database: no extra server. Tests may switch to the immediate backend.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# With several workers (or machines), the Redis-backed queue:
# TASKS_BACKEND=django_tasks_rq.RQBackend and the Redis of BANGBAN_RQ_URL; the workers run
# `bangban rqworker --job-class django_tasks_rq.Job` (docs/operations.md).
RQ_QUEUES = {"default": {"URL": env.str("BANGBAN_RQ_URL", default="redis://127.0.0.1:6379/0")}}
if TASKS["default"]["BACKEND"].startswith("django_tasks_rq."):
    INSTALLED_APPS.append("django_rq")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Serve static files straight from the source folders (tests, development) instead of
# collectstatic's output.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# Cases: "due soon" when this many working days or fewer remain; how many calendar days back
# an action done on paper may still be entered (补录).
BANGBAN_DUE_SOON_DAYS = env.int("BANGBAN_DUE_SOON_DAYS", default=1)
BANGBAN_BACK_ENTRY_DAYS = env.int("BANGBAN_BACK_ENTRY_DAYS", default=30)

# Documents: the address printed forms point to (their QR codes encode the case's public
# tracking page under it). It must be the address the public reaches, not an intranet name.
BANGBAN_PUBLIC_URL = env.str("BANGBAN_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long the rating link on an evaluation form (and in its SMS) works after the service ended.
BANGBAN_RATING_LINK_DAYS = env.int("BANGBAN_RATING_LINK_DAYS", default=30)
# Signed scans of paper forms: the largest upload accepted, in megabytes.
BANGBAN_SCAN_MAX_MB = env.int("BANGBAN_SCAN_MAX_MB", default=10)

# SMS: where messages go ("console" logs them, "file" appends them to BANGBAN_SMS_FILE, "gateway"
# sends them to an HTTP SMS provider), and how often a failing message is tried before it is
# dead-lettered for staff to re-send.
BANGBAN_SMS_BACKEND = env.str("BANGBAN_SMS_BACKEND", default="console")
BANGBAN_SMS_FILE = env.str("BANGBAN_SMS_FILE", default=str(VAR_DIR / "sms.jsonl"))
BANGBAN_SMS_MAX_ATTEMPTS = env.int("BANGBAN_SMS_MAX_ATTEMPTS", default=6)
# The "gateway" backend: an HTTP provider in the shape of Aliyun dysms SendSms (docs/operations.md).
# BANGBAN_SMS_TEMPLATES maps each message kind to the provider's approved template code:
# "accepted=SMS_100001,completed=SMS_100002,…"; a kind without one is not sent (dead-lettered).
BANGBAN_SMS_GATEWAY_URL = env.str(
    "BANGBAN_SMS_GATEWAY_URL", default="https://dysmsapi.aliyuncs.com/"
)
BANGBAN_SMS_ACCESS_KEY_ID = env.str("BANGBAN_SMS_ACCESS_KEY_ID", default="")
BANGBAN_SMS_ACCESS_KEY_SECRET = env.str("BANGBAN_SMS_ACCESS_KEY_SECRET", default="")
BANGBAN_SMS_SIGN_NAME = env.str("BANGBAN_SMS_SIGN_NAME", default="")
BANGBAN_SMS_TEMPLATES = env.dict("BANGBAN_SMS_TEMPLATES", default={})
BANGBAN_SMS_TIMEOUT = env.float("BANGBAN_SMS_TIMEOUT", default=10.0)
# The SMS reminding an applicant to rate goes this many calendar days after completion.
BANGBAN_RATE_REMINDER_DAYS = env.int("BANGBAN_RATE_REMINDER_DAYS", default=3)

# The cache (abuse-limit counters): the process's memory by default; with several web processes,
# point it at Redis (BANGBAN_CACHE_URL=redis://127.0.0.1:6379/1) so that they count together.
CACHES = {"default": env.cache_url("BANGBAN_CACHE_URL", default="locmemcache://")}

# Complaints and "办不成事" tickets: form posts accepted per address in a window of seconds.
BANGBAN_FEEDBACK_POST_LIMIT = env.int("BANGBAN_FEEDBACK_POST_LIMIT", default=10)
BANGBAN_FEEDBACK_POST_WINDOW = env.int("BANGBAN_FEEDBACK_POST_WINDOW", default=3600)
# Rectification of bad ratings (差评整改): working days to finish one; callbacks (回访): finished
# cases drawn per unit and month.
BANGBAN_RECTIFICATION_DAYS = env.int("BANGBAN_RECTIFICATION_DAYS", default=5)
BANGBAN_CALLBACK_SAMPLE_SIZE = env.int("BANGBAN_CALLBACK_SAMPLE_SIZE", default=10)

# The public portal: SMS codes (validity in minutes, wrong tries, sends per phone per minute and
# hour, per address per hour), form posts per address per hour, how long a verified phone stays
# verified (minutes), material photos (count, MB), booking slots (minutes, bookings per slot,
# days ahead).
BANGBAN_SMS_CODE_MINUTES = env.int("BANGBAN_SMS_CODE_MINUTES", default=5)
BANGBAN_SMS_CODE_MAX_TRIES = env.int("BANGBAN_SMS_CODE_MAX_TRIES", default=5)
BANGBAN_SMS_CODE_PER_PHONE_MINUTE = env.int("BANGBAN_SMS_CODE_PER_PHONE_MINUTE", default=1)
BANGBAN_SMS_CODE_PER_PHONE_HOUR = env.int("BANGBAN_SMS_CODE_PER_PHONE_HOUR", default=5)
BANGBAN_SMS_CODE_PER_IP_HOUR = env.int("BANGBAN_SMS_CODE_PER_IP_HOUR", default=20)
BANGBAN_PORTAL_POSTS_PER_IP_HOUR = env.int("BANGBAN_PORTAL_POSTS_PER_IP_HOUR", default=30)
BANGBAN_PORTAL_PHONE_MINUTES = env.int("BANGBAN_PORTAL_PHONE_MINUTES", default=30)
BANGBAN_PORTAL_MAX_PHOTOS = env.int("BANGBAN_PORTAL_MAX_PHOTOS", default=6)
BANGBAN_PORTAL_PHOTO_MAX_MB = env.int("BANGBAN_PORTAL_PHOTO_MAX_MB", default=5)
BANGBAN_BOOKING_SLOT_MINUTES = env.int("BANGBAN_BOOKING_SLOT_MINUTES", default=30)
BANGBAN_BOOKING_SLOT_CAPACITY = env.int("BANGBAN_BOOKING_SLOT_CAPACITY", default=4)
BANGBAN_BOOKING_DAYS = env.int("BANGBAN_BOOKING_DAYS", default=7)

# The user manual's Markdown chapters (docs/manual of the checkout, or of BANGBAN_HOME); the
# screenshots and the built HTML and PDF go under VAR_DIR/manual.
BANGBAN_MANUAL_DIR = Path(env.str("BANGBAN_MANUAL_DIR", default=str(HOME_DIR / "docs" / "manual")))
