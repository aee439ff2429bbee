"""Watchpost settings: one module, read from the environment (see .env.example).

With no environment at all this is the embedded default: SQLite, in-memory channel layer,
Celery tasks run in process, email printed to the console.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from portal.env import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.string("DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.boolean("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-watchpost-embedded-default-never-use-in-production"  # noqa: S105
SECRET_KEY = env.string("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY: set a secret key of your own when DEBUG is off")

# The audit log's key (docs/audit.md): outside the database, so that whoever can write to the
# database cannot make records, seals or checkpoints that verify.
AUDIT_KEY = env.key("AUDIT_KEY", required=not DEBUG, derive_from=SECRET_KEY, label="watchpost audit log")
# Signed checkpoints of the audit chain's head, appended outside the database at most this often.
AUDIT_CHECKPOINT_FILE = Path(env.string("AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.log")))
AUDIT_CHECKPOINT_SECONDS = env.integer("AUDIT_CHECKPOINT_SECONDS", 30, minimum=0)

ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
# Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed
# (portal/requests.py TrustedProxies); from anyone else those headers are ignored. Empty: none.
TRUSTED_PROXIES = env.networks("TRUSTED_PROXIES")
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS")
# The address people reach the portal at, for the links in emails (invitations, password resets,
# notifications; portal/links.py). Set: every link uses it. Unset: a link made while answering a
# request uses that request's own scheme, host and port, and one made without a request (a worker's
# notification) uses HOST and PORT, where `make run` and `make web` listen.
PUBLIC_URL_IS_SET = bool(env.string("PUBLIC_URL"))
_SERVED_HOST = env.string("HOST", "127.0.0.1")
if _SERVED_HOST in ("0.0.0.0", "::"):  # noqa: S104 (listening everywhere: this machine's name for itself)
    _SERVED_HOST = "localhost"
_SERVED_PORT = env.integer("PORT", 8000, minimum=1)
PUBLIC_URL = env.string("PUBLIC_URL", f"http://{_SERVED_HOST}:{_SERVED_PORT}").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "accounts",
    "incidents",
    "dispatch",
    "debriefs",
    "bulletins",
    "patrols",
    "exports",
    "analytics",
    "notifications",
    "preparedness",
    "audit",
    "seeding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.RequireMfaMiddleware",
    "accounts.middleware.TimeZoneMiddleware",
    "preparedness.middleware.AcknowledgementMiddleware",
]

ROOT_URLCONF = "portal.urls"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"  # widget templates may live in templates/
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "accounts.context_processors.membership",
                "audit.context_processors.audit",
                "dispatch.context_processors.panic",
                "notifications.context_processors.notifications",
                "debriefs.context_processors.debriefs",
                "bulletins.context_processors.bulletins",
                "analytics.context_processors.analytics",
            ],
            # The time-zone rule's filters (site_time, site_date) and {% timezone %} need no {% load %}.
            "builtins": ["django.templatetags.tz", "portal.templatetags.time_zones"],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (psycopg 3, Django's pool) from DATABASE_URL.
DATABASES = {"default": env.database("DATABASE_URL", sqlite_default=str(DATA_DIR / "db.sqlite3"))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, so that a server process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# A read replica (docs/scaling.md): reads outside a transaction go there, writes and every query
# inside a transaction stay on the primary (portal/db.py). Unset: everything on the primary.
if env.raw("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = env.database("DATABASE_REPLICA_URL", sqlite_default="")
    # Tests: the replica alias is the test database itself, not a second one to create.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["portal.db.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(0, "portal.db.ReplicaScopeMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: channel layer, Celery broker and cache when REDIS_URL is set.
REDIS_URL = env.redis_url("REDIS_URL")
if REDIS_URL:
    # redis-py 8 times out idle reads after 5 s and caps pools at 100 (STACK_NOTES.md).
    # The channel layer may be sharded over several Redis servers (docs/scaling.md): channels_redis
    # spreads groups and channels over REDIS_CHANNEL_URLS by hash; every web process must list the same
    # servers in the same order. Unset: REDIS_URL alone.
    REDIS_CHANNEL_URLS = env.redis_urls("REDIS_CHANNEL_URLS") or [REDIS_URL]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": url, "socket_timeout": None, "max_connections": 10_000}
                    for url in REDIS_CHANNEL_URLS
                ],
                "group_expiry": env.integer("CHANNEL_GROUP_EXPIRY", 6 * 3600, minimum=60),
                "capacity": 500,
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    if env.raw("REDIS_CHANNEL_URLS"):
        raise ImproperlyConfigured("REDIS_CHANNEL_URLS: set REDIS_URL too (the broker and the cache)")
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: in process without Redis; workers and beat on Redis otherwise.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", default=REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's consumer exits the worker when Redis goes away with a message unacknowledged (nearly always,
# with ACKS_LATE): this one reconnects instead (portal/worker.py; found by the fault run).
CELERY_WORKER_CONSUMER = "portal.worker:BrokerLossConsumer"
# On a broker connection loss a running task goes on to its end (Celery 5's behaviour, written out
# because Celery 6 turns it round): a delivery half-way through an SMTP or webhook send finishes and
# records its outbox state in PostgreSQL, which has not gone away. Cancelling it would leave its row
# leased until the lease runs out and send it again later; its message, unacknowledged, comes back
# after the visibility timeout either way and finds the row done (docs/RELIABILITY.md).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = env.string("CELERY_QUEUE", "watchpost")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Redis lists emulate priorities, 0 served first: the beat's ladder timers and sweeps (priority 0,
# portal/celery.py) go ahead of a backlog of deliveries and follow-ups (this default). The fault run
# found the timers expiring in the queue behind deliveries and firing up to a minute late.
CELERY_TASK_DEFAULT_PRIORITY = 6
CELERY_TIMEZONE = "UTC"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email login, no open sign-up (org admins invite people).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
INVITATION_VALID_DAYS = env.integer("INVITATION_VALID_DAYS", 7, minimum=1)
# API tokens: how long one is valid unless its issuer chooses (up to the maximum), in days.
API_TOKEN_DEFAULT_DAYS = env.integer("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
API_TOKEN_MAX_DAYS = env.integer("API_TOKEN_MAX_DAYS", 365, minimum=1)
if API_TOKEN_DEFAULT_DAYS > API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DEFAULT_DAYS: must not be longer than API_TOKEN_MAX_DAYS")
# Lockout: LOGIN_FAILURES_ALLOWED failed logins (5) within LOGIN_LOCKOUT_MINUTES (10) lock the account,
# and the address, for up to that many minutes; the sign-in page says so. The address is REMOTE_ADDR,
# which TrustedProxies already resolved: allauth must not read X-Forwarded-For itself.
LOGIN_FAILURES_ALLOWED = env.integer("LOGIN_FAILURES_ALLOWED", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env.integer("LOGIN_LOCKOUT_MINUTES", 10, minimum=1)
_LOGIN_RATE = f"{LOGIN_FAILURES_ALLOWED}/{LOGIN_LOCKOUT_MINUTES}m"
ACCOUNT_RATE_LIMITS = {"login_failed": f"{_LOGIN_RATE}/ip,{_LOGIN_RATE}/key"}
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
# Idle timeouts (seconds): liaisons and admins 30 minutes, everyone else 8 hours.
IDLE_TIMEOUT_PRIVILEGED = env.integer("IDLE_TIMEOUT_PRIVILEGED", 30 * 60, minimum=60)
IDLE_TIMEOUT = env.integer("IDLE_TIMEOUT", 8 * 3600, minimum=60)
# MFA (django-allauth): authenticator-app TOTP and recovery codes; required for liaisons and admins.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Watchpost"
# A code is accepted in its own 30-second step and the one before (RFC 6238's allowance for the time it
# takes to type and send): otherwise a code typed at the end of its step is refused. Each code still
# works once (allauth marks it used for the whole window).
MFA_TOTP_TOLERANCE = 1
# The second-factor step says when a code was right but already used (accounts/forms.py).
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm"}

# Email: console unless an SMTP host is configured.
EMAIL_HOST = env.string("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Watchpost <no-reply@watchpost.local>")
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 10, minimum=1)

# Notifications (docs/notifications.md): the outbox's retries, webhooks and the SMS provider.
NOTIFY_LEASE_SECONDS = env.integer("NOTIFY_LEASE_SECONDS", 60, minimum=2)
NOTIFY_MAX_ATTEMPTS = env.integer("NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_TIMEOUT = env.integer("WEBHOOK_TIMEOUT", 10, minimum=1)
WEBHOOK_REQUIRE_HTTPS = env.boolean("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.boolean("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
SMS_PROVIDER = env.string("SMS_PROVIDER", "json")
SMS_PROVIDER_URL = env.string("SMS_PROVIDER_URL")
SMS_API_KEY = env.string("SMS_API_KEY")
SMS_FROM = env.string("SMS_FROM")
# Reminders (docs/notifications.md): an accepted escalation with no dispatch or on-scene update after
# this many minutes reminds its liaisons; a corrective action reminds its owner this many hours
# before its due day.
ESCALATION_STALE_MINUTES = env.integer("ESCALATION_STALE_MINUTES", 15, minimum=1)
ACTION_DUE_REMINDER_HOURS = env.integer("ACTION_DUE_REMINDER_HOURS", 24, minimum=1)
# Delivery confirmed by a person (docs/notifications.md, "Acknowledgements"): an alert whose ladder's
# last step has waited this many seconds without a human acknowledgement is broadcast to every admin
# and supervisor on every channel. No setting turns that broadcast off; this only says when.
ALERT_ACK_SECONDS = env.integer("ALERT_ACK_SECONDS", 300, minimum=10)
# Heartbeats (the platform admins' health page and /healthz detail): seconds after which each signal
# is slow, then expired.
HEARTBEAT_OUTBOX_SLOW = env.integer("HEARTBEAT_OUTBOX_SLOW", 30, minimum=1)
HEARTBEAT_OUTBOX_EXPIRED = env.integer("HEARTBEAT_OUTBOX_EXPIRED", 120, minimum=2)
HEARTBEAT_BEAT_SLOW = env.integer("HEARTBEAT_BEAT_SLOW", 30, minimum=1)
HEARTBEAT_BEAT_EXPIRED = env.integer("HEARTBEAT_BEAT_EXPIRED", 120, minimum=2)
HEARTBEAT_QUEUE_SLOW = env.integer("HEARTBEAT_QUEUE_SLOW", 30, minimum=1)
HEARTBEAT_QUEUE_EXPIRED = env.integer("HEARTBEAT_QUEUE_EXPIRED", 120, minimum=2)
HEARTBEAT_WEBHOOK_SLOW = env.integer("HEARTBEAT_WEBHOOK_SLOW", 600, minimum=1)
HEARTBEAT_WEBHOOK_EXPIRED = env.integer("HEARTBEAT_WEBHOOK_EXPIRED", 3600, minimum=2)
HEARTBEAT_BOARD_SLOW = env.integer("HEARTBEAT_BOARD_SLOW", 35, minimum=1)
HEARTBEAT_BOARD_EXPIRED = env.integer("HEARTBEAT_BOARD_EXPIRED", 60, minimum=2)
# The worker queues whose pong the beat asks for (the default queue unless more are named).
HEARTBEAT_QUEUES = tuple(
    name.strip()
    for name in env.string("HEARTBEAT_QUEUES", CELERY_TASK_DEFAULT_QUEUE).split(",")
    if name.strip()
)
# The synthetic canary (off by default): every CANARY_MINUTES a test alert goes by CANARY_CHANNEL to
# the user whose email is CANARY_RECIPIENT; not delivered within CANARY_DEADLINE_SECONDS, the
# platform admins are alerted.
CANARY_MINUTES = env.integer("CANARY_MINUTES", 0, minimum=0)
CANARY_CHANNEL = env.string("CANARY_CHANNEL", "email")
CANARY_RECIPIENT = env.string("CANARY_RECIPIENT")
CANARY_DEADLINE_SECONDS = env.integer("CANARY_DEADLINE_SECONDS", 120, minimum=5)
for _slow, _expired in (
    ("HEARTBEAT_OUTBOX_SLOW", "HEARTBEAT_OUTBOX_EXPIRED"),
    ("HEARTBEAT_BEAT_SLOW", "HEARTBEAT_BEAT_EXPIRED"),
    ("HEARTBEAT_QUEUE_SLOW", "HEARTBEAT_QUEUE_EXPIRED"),
    ("HEARTBEAT_WEBHOOK_SLOW", "HEARTBEAT_WEBHOOK_EXPIRED"),
    ("HEARTBEAT_BOARD_SLOW", "HEARTBEAT_BOARD_EXPIRED"),
):
    if globals()[_slow] >= globals()[_expired]:
        raise ImproperlyConfigured(f"{_slow} must be less than {_expired}")
if CANARY_CHANNEL not in ("email", "in_app", "sms"):
    raise ImproperlyConfigured("CANARY_CHANNEL: choose email, in_app or sms")
if max(EMAIL_TIMEOUT, WEBHOOK_TIMEOUT) >= NOTIFY_LEASE_SECONDS:
    # A send still running when its lease ends would be retried beside it.
    raise ImproperlyConfigured("NOTIFY_LEASE_SECONDS: must be longer than EMAIL_TIMEOUT and WEBHOOK_TIMEOUT")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(DATA_DIR / "media")))
# Evidence files: never under a public URL (served only through the policy-checked view).
EVIDENCE_ROOT = Path(env.string("EVIDENCE_ROOT", str(DATA_DIR / "evidence")))
EVIDENCE_MAX_BYTES = env.integer("EVIDENCE_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
# Thumbnails are made by a worker, only for photos of at most this many pixels (width x height):
# a small file can hold a huge image (a 292 KB PNG of 100 megapixels took 770 MiB to decode).
THUMBNAIL_MAX_PIXELS = env.integer("THUMBNAIL_MAX_PIXELS", 40_000_000, minimum=10_000)
# Evidence bundles are signed with the deployment's Ed25519 key: the PEM text itself
# (EXPORT_SIGNING_KEY, for secret stores) or a file (made by `manage.py generate_signing_key`,
# outside the repository; never committed). Bundles are written in EXPORTS_ROOT, never in memory.
EXPORT_SIGNING_KEY = env.string("EXPORT_SIGNING_KEY")
EXPORT_SIGNING_KEY_FILE = Path(
    env.string("EXPORT_SIGNING_KEY_FILE", str(DATA_DIR / "export-signing-key.pem"))
)
EXPORTS_ROOT = Path(env.string("EXPORTS_ROOT", str(DATA_DIR / "exports")))
# Evidence fixity: the beat re-hashes stored evidence a little at a time (each run at most this many
# files and bytes, oldest check first), so that each file is checked again every interval.
FIXITY_INTERVAL_HOURS = env.integer("FIXITY_INTERVAL_HOURS", 24 * 7, minimum=1)
FIXITY_FILES_PER_RUN = env.integer("FIXITY_FILES_PER_RUN", 20, minimum=1)
FIXITY_BYTES_PER_RUN = env.integer("FIXITY_BYTES_PER_RUN", 256 * 1024 * 1024, minimum=1024 * 1024)
# Purpose-bound access (README, "Who sees what"): the hourly review flags to an agency's org admins
# a person who opened the personal data of at least ACCESS_REVIEW_MANY_INCIDENTS incidents outside
# open escalations of their agency within ACCESS_REVIEW_WINDOW_HOURS, or did so in hours that held
# under ACCESS_REVIEW_ODD_HOUR_PERCENT % of their own accesses of the ACCESS_REVIEW_HISTORY_DAYS
# before (when that history holds ACCESS_REVIEW_MIN_HISTORY accesses at least).
ACCESS_REVIEW_WINDOW_HOURS = env.integer("ACCESS_REVIEW_WINDOW_HOURS", 24, minimum=1)
ACCESS_REVIEW_MANY_INCIDENTS = env.integer("ACCESS_REVIEW_MANY_INCIDENTS", 20, minimum=2)
ACCESS_REVIEW_HISTORY_DAYS = env.integer("ACCESS_REVIEW_HISTORY_DAYS", 30, minimum=1)
ACCESS_REVIEW_ODD_HOUR_PERCENT = env.integer("ACCESS_REVIEW_ODD_HOUR_PERCENT", 5, minimum=1)
ACCESS_REVIEW_MIN_HISTORY = env.integer("ACCESS_REVIEW_MIN_HISTORY", 40, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    # Token first: its challenge makes DRF answer 401 (not 403) to calls without credentials.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.authentication.TokenScope",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Watchpost API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "incidents.models.Severity",
        "EvidenceKindEnum": "incidents.models.Evidence.Kind",
        "TimelineKindEnum": "incidents.models.TimelineEntry.Kind",
        "OrganizationKindEnum": "accounts.models.Organization.Kind",
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "EscalationStatusEnum": "dispatch.models.Escalation.Status",
        "EscalationSourceEnum": "dispatch.models.Escalation.Source",
        "RejectionCauseEnum": "dispatch.models.RejectionCause",
        "VerificationLevelEnum": "dispatch.models.VerificationLevel",
    },
}

X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): no inline scripts anywhere; websockets to this host only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        # The guard app's service worker (/sw.js) and manifest, from this origin only.
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# The deploy's name for itself (a release tag or commit): the guard app's service worker and its
# caches carry it, so that phones take the new pages and files. Unset: the static files' fingerprint.
APP_RELEASE = env.string("APP_RELEASE")
# The liaison's board: how long a cleared escalation stays under "Recently cleared", and an optional
# tile server of the operator's for the map (e.g. https://tiles.example/{z}/{x}/{y}.png). Without one
# the map draws the sites' outlines on a plain projection: nothing is fetched from the internet.
BOARD_RECENT_HOURS = env.integer("BOARD_RECENT_HOURS", 12, minimum=1)


def _tile_url(name: str) -> str:
    """An operator's tile server (``https://tiles.example/{z}/{x}/{y}.png``), or "" for none; its
    origin, and only it, is added to the CSP's img-src."""
    url = env.string(name)
    if url:
        tiles = urlsplit(url)
        if (
            tiles.scheme not in ("http", "https")
            or not tiles.netloc
            or not all(part in url for part in ("{z}", "{x}", "{y}"))
        ):
            raise ImproperlyConfigured(
                f"{name}: give an http(s) address with {{z}}, {{x}} and {{y}}, "
                "e.g. https://tiles.example/{z}/{x}/{y}.png"
            )
        origin = f"{tiles.scheme}://{tiles.netloc}"
        if origin not in CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]:
            CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(origin)
    return url


BOARD_TILE_URL = _tile_url("BOARD_TILE_URL")
# The analytics' hotspot map: the same kind of tile server, for a real base map under the clusters
# (Web Mercator); without one, the plain projection and nothing fetched.
HOTSPOT_TILE_URL = _tile_url("HOTSPOT_TILE_URL")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True


# The guard's panic button: how long a guard may cancel a false press, and how near a site must be
# (device location against the sites' coordinates) to be chosen as the panic's site.
PANIC_CANCEL_SECONDS = env.integer("PANIC_CANCEL_SECONDS", 10, minimum=1)
PANIC_SITE_RADIUS_M = env.integer("PANIC_SITE_RADIUS_M", 1500, minimum=10)

# Drills (preparedness): the rule incidents asks, by name, whether a report filed now is part of a
# drill (incidents stands below preparedness and never imports it).
INCIDENT_DRILL_RULE = "preparedness.selectors.exercise_mark"
# Shifts (patrols): the rule patrols asks, by name, what a guard must read before a shift at a site
# starts (preparedness's post orders and plans in force; peers never import each other).
SHIFT_READINESS_RULE = "preparedness.selectors.unread_before_shift"
# Targeted patrols (patrols): the sites whose incident counts are rising for a user, by name
# (analytics' hotspots; a peer patrols never imports). Empty: no site is suggested, any may be chosen.
PATROL_HOTSPOTS = "analytics.selectors.rising_sites"
# What a webhook that asks for EIDO receives: the incident as exports builds it (exports is above
# notifications, which names the builder here and never imports it).
WEBHOOK_EIDO_BUILDER = "exports.eido.eido_document"
# Residents' names and emails of a community event are deleted this many days after it.
COMMUNITY_REGISTRATION_RETENTION_DAYS = env.integer("COMMUNITY_REGISTRATION_RETENTION_DAYS", 30, minimum=1)
# A public registration sent sooner than this after its form was shown is refused (a bot).
COMMUNITY_FORM_MIN_SECONDS = env.integer("COMMUNITY_FORM_MIN_SECONDS", 3, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
