"""Settings, read from the environment so one build runs anywhere.

DATABASE_URL    default: SQLite file in COMPLAINTDESK_DATA_DIR (./data)
SECRET_KEY      required when DEBUG is off; the demo generates and keeps one in the data dir
ALLOWED_HOSTS   comma-separated; default localhost names
TIME_ZONE       default Asia/Shanghai
SMS_GATEWAY     dotted path of the SMS gateway class; default: one that only logs
EMAIL_HOST      SMTP server; unset: emails are written to the console, not sent
                (with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS/SSL)
DEFAULT_FROM_EMAIL  sender of notification emails
MAIL_DOMAIN     domain of the Message-IDs of our e-mails; default: that of DEFAULT_FROM_EMAIL
                (with MAIL_IMAP_TIMEOUT, MAIL_CA_FILE, MAIL_POLL_BATCH, MAIL_MAX_BYTES: complaintdesk/mail/)
HTTPS           1: the site is served over HTTPS only: secure cookies and HSTS
                (HSTS_SECONDS, default one year; HSTS_INCLUDE_SUBDOMAINS, default off)
TRUST_X_FORWARDED_PROTO  1: a reverse proxy in front terminates TLS and sets X-Forwarded-Proto
SIGNIN_LOCKOUT_ACCOUNT_FAILURES  failed sign-ins of one staff number (from any address) that lock it; default 5
SIGNIN_LOCKOUT_IP_FAILURES       failed sign-ins from one address (any staff number) that lock it; default 30
SIGNIN_LOCKOUT_MINUTES           how long a lock-out lasts; default 15
TRUSTED_PROXIES                  reverse proxies in front of the app, whose X-Forwarded-For is believed
                                 (sign-in throttle and portal rate limits); default 0
SESSION_IDLE_MINUTES             a staff session ends after this long without a request; default 30
SESSION_MAX_HOURS                and after this long in any case; default 12
PASSWORD_MIN_LENGTH              shortest password accepted; default 10
TASK_QUEUE_URL  background jobs (huey): unset → a SQLite file in the data dir (embedded, no
                server); redis://… → Redis; postgres://… → PostgreSQL; "immediate" → tasks
                run in the calling process (the default under pytest)
"""

import datetime as dt
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# The checkout: node_modules/ (browser assets from npm, see package.json) lives here.
PROJECT_DIR = Path(os.environ.get("COMPLAINTDESK_ASSETS_DIR", BASE_DIR.parent)).resolve()
DATA_DIR = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", Path.cwd() / "data")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    # Never a key in the source: from the environment, or a random one kept beside the
    # SQLite file so that sessions survive a restart of the embedded demo.
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
# The key of the ticket events' hash chain (audit/chain.py); unset: a key kept in DATA_DIR.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # The admin with our sign-in (throttled, with the TOTP step): complaintdesk/web/admin_site.py.
    "complaintdesk.web.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "treebeard",
    "ninja",
    "huey.contrib.djhuey",
    "complaintdesk.core",
    "complaintdesk.org",
    "complaintdesk.accounts",
    "complaintdesk.customers",
    "complaintdesk.taxonomy",
    "complaintdesk.tickets",
    "complaintdesk.incidents",
    "complaintdesk.sla",
    "complaintdesk.notifications",
    "complaintdesk.demo",
    "complaintdesk.web",
    "complaintdesk.workbench",
    "complaintdesk.portal",
    "complaintdesk.reports",
    "complaintdesk.search",
    "complaintdesk.backups",
    "complaintdesk.audit",
    "complaintdesk.answers",
    "complaintdesk.screening",
    "complaintdesk.imports",
    "complaintdesk.capa",
    "complaintdesk.monthly",
    "complaintdesk.mail",
    "complaintdesk.bulletins",
    "complaintdesk.stats",
    "complaintdesk.desk",
    "complaintdesk.regulators",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "complaintdesk.web.middleware.IdleSessionTimeout",  # after messages: it says why
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a sign-in refused by the throttle into the lock-out page (see below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "complaintdesk.config.urls"
WSGI_APPLICATION = "complaintdesk.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "complaintdesk.web.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'complaintdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
    # BEGIN, so two transitions on one ticket serialise instead of failing at COMMIT.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # A file, not :memory:, so that tests with several connections see real SQLite locking.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_NAME") or str(DATA_DIR / "test_complaintdesk.sqlite3")
    }
else:
    # Assigned, not setdefault(): dj_database_url.parse() always sets CONN_MAX_AGE (to 0), so
    # setdefault() never applied and every request opened a new PostgreSQL connection.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: our queries are short, and a search's row-by-row subqueries inflate the cost
    # estimate past jit_above_cost, so PostgreSQL spent ~1 s compiling a 100 ms query.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = (
        DATABASES["default"]["OPTIONS"].get("options", "") + " -c jit=off").strip()
    # Prepared statements (complaintdesk/core/postgresql/base.py: which, and why): PostgreSQL
    # plans a point read or write once per connection instead of on every request. Off
    # (PG_PREPARED_STATEMENTS=0) behind a transaction-mode pooler such as PgBouncer without
    # max_prepared_statements, which cannot keep a connection's statements.
    if os.environ.get("PG_PREPARED_STATEMENTS", "1") != "0":
        DATABASES["default"]["ENGINE"] = "complaintdesk.core.postgresql"
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Password policy (docs/security.md §2): Django's validators, messages in both languages through
# Django's own catalogues. The demo and the test accounts are given hashes directly, never
# through these checks, but their passwords pass them all the same (tests/test_signin_password.py).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email", "display_name", "employee_no")},
    },
    {
        "NAME": "complaintdesk.accounts.passwords.MinimumLengthValidator",  # Django's, translated
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling with django-axes (docs/security.md §2). Failures are rows in the database,
# so every gunicorn worker and every machine on the same database sees the same counts.
# The axes backend refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SIGNIN_LOCKOUT_ACCOUNT_FAILURES = int(os.environ.get("SIGNIN_LOCKOUT_ACCOUNT_FAILURES", "5"))
# Higher than the account limit: a call centre signs in from behind one NAT address.
SIGNIN_LOCKOUT_IP_FAILURES = int(os.environ.get("SIGNIN_LOCKOUT_IP_FAILURES", "30"))
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
PORTAL_TRUSTED_PROXIES = TRUSTED_PROXIES
AXES_HANDLER = "complaintdesk.accounts.throttle.SignInThrottle"
# Two lock-outs, each with its own limit (the handler scales the counts): one staff number from
# anywhere, and one address whatever staff numbers it tries.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = SIGNIN_LOCKOUT_ACCOUNT_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("SIGNIN_LOCKOUT_MINUTES", "15")))
# A try while locked out does not restart the clock: the page can say when the lock ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A good sign-in forgives that account's failures from that address (SignInThrottle).
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "complaintdesk.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "complaintdesk.web.views.signin_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]  # masked in the log lines

# Sign-in codes (TOTP) with django-otp: staff may enrol; an admin can require it per role or per
# account (complaintdesk/accounts/twofactor.py). The admin never shows a staff member's secret.
OTP_TOTP_ISSUER = "complaintdesk"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Idle timeout of staff sessions (complaintdesk/web/middleware.py); the portal has no sign-in.
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30")))
# A session never outlives a working day, however active.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MAX_HOURS", "12")) * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Browser libraries installed from the npm registry by scripts/setup (package.json), served by the
# app under /static/vendor/: no CDN (DESIGN.md; customers run it on intranets).
STATICFILES_DIRS = [
    ("vendor/chartjs", PROJECT_DIR / "node_modules" / "chart.js" / "dist"),
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"

# Uploads: attachments are checked by size, extension and content (see tickets/services/attachments.py).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Callbacks (issue 12 §3): after this many failed calls the ticket closes as "callback failed";
# a failed call without a time asked for is tried again this many minutes later.
CALLBACK_MAX_ATTEMPTS = int(os.environ.get("CALLBACK_MAX_ATTEMPTS", "3"))
CALLBACK_RETRY_MINUTES = int(os.environ.get("CALLBACK_RETRY_MINUTES", "120"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
HTTPS = not DEBUG and _env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS: once a browser has seen the site over HTTPS it never again tries plain HTTP (no
    # downgrade, no cookie sent in clear). SecurityMiddleware adds it to secure responses only.
    # Subdomains are left out unless asked: on an intranet they are often other, plain-HTTP hosts.
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
if _env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets (and overwrites) X-Forwarded-Proto: otherwise a client could
    # claim "https" itself. Without it, a TLS-terminating proxy makes every request look plain HTTP.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp; Django 5.2 has none of its own, 6.0 will). Scripts,
# styles, images and fonts come only from the app itself (its static files, no CDN): an injected
# <script>, on*= handler or style= attribute does not run, nor does eval(). Templates keep to it
# (tests/test_security_headers.py scans them); htmx is told not to inject its own <style>
# (htmx-config in web/base.html). Data for scripts goes through json_script (a data block).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

NINJA_PAGINATION_MAX_LIMIT = 200
# Messages in the session, not a cookie: the admin shows a new API token once through them.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Notifications (complaintdesk/notifications/channels.py). Safe defaults: nothing leaves the
# machine until an SMS gateway and an SMTP server are configured.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "complaintdesk.notifications.channels.LoggingSmsGateway")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30  # a hung SMTP server must not stall the sender
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "complaintdesk@localhost")
# Incoming and outgoing customer e-mail (complaintdesk/mail/): the domain of the Message-IDs we
# make (a customer's answer names one and so finds its ticket), the IMAP timeout, a CA file for
# an IMAP server with a private certificate, messages handled per mailbox and poll, the largest
# message read (larger ones are held for staff, not downloaded).
MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN") or DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
MAIL_IMAP_TIMEOUT = int(os.environ.get("MAIL_IMAP_TIMEOUT", "30"))
MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE", "")
MAIL_POLL_BATCH = int(os.environ.get("MAIL_POLL_BATCH", "200"))
MAIL_MAX_BYTES = int(os.environ.get("MAIL_MAX_BYTES", str(50 * 1024 * 1024)))

# Background jobs through huey (DESIGN.md: one existing task library with periodic jobs, no
# extra server by default). complaintdesk/*/tasks.py hold the tasks; `complaintdesk worker`
# runs the consumer (`complaintdesk demo` starts one beside the web server).
TASK_QUEUE_URL = os.environ.get("TASK_QUEUE_URL", "").strip()
# Under pytest tasks run at once in the caller (huey's immediate mode, in-memory storage).
TASK_QUEUE_IMMEDIATE = TASK_QUEUE_URL == "immediate" or (
    not TASK_QUEUE_URL and "pytest" in sys.modules and not _env_bool("TASK_QUEUE_REAL", False)
)
HUEY = {
    "name": "complaintdesk",
    "immediate": TASK_QUEUE_IMMEDIATE,
    "utc": True,
    "results": False,  # tasks report through the database and the log, not a result store
    "consumer": {
        "workers": int(os.environ.get("TASK_WORKERS", "2")),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
        "health_check_interval": 5,
    },
}
if TASK_QUEUE_IMMEDIATE:
    HUEY["huey_class"] = "huey.MemoryHuey"
elif TASK_QUEUE_URL.startswith(("redis://", "rediss://", "unix://")):
    HUEY.update(huey_class="huey.RedisHuey", url=TASK_QUEUE_URL)
elif TASK_QUEUE_URL.startswith(("postgres://", "postgresql://")):
    HUEY.update(huey_class="huey.PostgresHuey", dsn=TASK_QUEUE_URL)
elif TASK_QUEUE_URL:
    raise RuntimeError(f"TASK_QUEUE_URL: expected redis://, postgres:// or immediate, not {TASK_QUEUE_URL!r}")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY.update(huey_class="huey.SqliteHuey", filename=str(DATA_DIR / "tasks.sqlite3"), timeout=20)

# File imports (imports/): the largest upload, what an xlsx may unpack to (a zip bomb is
# refused before it is read), the most rows, rows per committed chunk, and how long a worker
# holds a batch without renewing (after that, a dead worker's batch is taken over).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_MB", "50")) * 1024 * 1024
IMPORT_MAX_UNPACKED_BYTES = 20 * IMPORT_MAX_BYTES
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "200"))
IMPORT_LEASE_SECONDS = int(os.environ.get("IMPORT_LEASE_SECONDS", "120"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"timed": {"format": "[%(asctime)s] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "worker": {"class": "logging.StreamHandler", "formatter": "timed"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The background worker's progress (started, job ran and took so long), once per line.
    "loggers": {"huey": {"handlers": ["worker"], "level": "INFO", "propagate": False}},
}
