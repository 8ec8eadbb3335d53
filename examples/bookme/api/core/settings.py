"""Settings of the book_me reference API, read only from environment variables.

TARGET_ENV selects the profile:

* ``development`` (default): every variable is optional; SQLite is used when
  POSTGRES_HOST is unset, local files for static and media, the console for e-mail.
* ``production``: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, POSTGRES_*, BROKER_URL and
  AWS_S3_STORAGE_BUCKET_NAME are required; static and media files go to S3.

Sessions always live in Redis (cache-backed sessions on Django's RedisCache, at
BROKER_URL), never in the container's memory, so the API scales out without
long load-balancer stickiness.
"""
import ssl
from pathlib import Path

from core import env

BASE_DIR = Path(__file__).resolve().parent.parent

TARGET_ENV = env.target_env()
PRODUCTION = TARGET_ENV == "production"

# --- core -------------------------------------------------------------------------------
SECRET_KEY = env.string(
    "DJANGO_SECRET_KEY",
    default="development-only-insecure-key-do-not-use-in-production",
    required=PRODUCTION,
)
DEBUG = env.boolean("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.string_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"], required=PRODUCTION
)
CSRF_TRUSTED_ORIGINS = env.string_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",  # ASGI runserver in development; the production server is the daphne command
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "channels",
    "accounts",
    "offers",
]

MIDDLEWARE = [
    # First: answers the load balancer's health check before host validation and
    # HTTPS redirects (the ALB probes by task IP over plain HTTP).
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.urls"
ASGI_APPLICATION = "core.asgi.application"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
if PRODUCTION or env.string("POSTGRES_HOST"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env.string("POSTGRES_DB", required=PRODUCTION, default="bookme"),
            "USER": env.string("POSTGRES_USER", required=PRODUCTION, default="bookme"),
            "PASSWORD": env.string("POSTGRES_PASSWORD", required=PRODUCTION, default=""),
            "HOST": env.string("POSTGRES_HOST", required=PRODUCTION),
            "PORT": env.integer("POSTGRES_PORT", 5432),
            "CONN_MAX_AGE": 60,
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache and sessions -------------------------------------------
# One URL for all three. With ElastiCache in-transit encryption and an auth token use
# rediss://:<token>@<host>:6379/0?ssl_cert_reqs=required
BROKER_URL = env.string("BROKER_URL", default="redis://localhost:6379/0", required=PRODUCTION)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": BROKER_URL,
        "KEY_PREFIX": "bookme",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"

CELERY_BROKER_URL = BROKER_URL
CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED} if BROKER_URL.startswith("rediss://") else None
CELERY_TASK_DEFAULT_QUEUE = "bookme"
CELERY_LOG_LEVEL = env.string("CELERY_LOG_LEVEL", default="INFO")

# --- CORS ---------------------------------------------------------------------------------
CORS_ALLOW_ALL_ORIGINS = env.boolean("DJANGO_CORS_ORIGIN_ALLOW_ALL", default=False)
CORS_ALLOWED_ORIGINS = env.string_list("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = env.boolean("DJANGO_CORS_ALLOW_CREDENTIALS", default=False)

# --- static and media files ---------------------------------------------------------------
# Production: one public bucket, static files under static/, media under media/, served
# from https://<AWS_S3_CUSTOM_DOMAIN>/ when set. Code that reads an uploaded file must use
# storage.open() / file.open() and file.url, never .path (S3 has no local paths).
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = BASE_DIR / "media"

if PRODUCTION:
    AWS_STORAGE_BUCKET_NAME = env.string("AWS_S3_STORAGE_BUCKET_NAME", required=True)
    AWS_S3_REGION_NAME = env.string("AWS_S3_REGION_NAME", default=None)
    # Empty keys mean "use the task role" (boto3's default credential chain).
    AWS_S3_ACCESS_KEY_ID = env.string("AWS_S3_ACCESS_KEY_ID", default=None)
    AWS_S3_SECRET_ACCESS_KEY = env.string("AWS_S3_SECRET_ACCESS_KEY", default=None)
    AWS_S3_CUSTOM_DOMAIN = env.string("AWS_S3_CUSTOM_DOMAIN", default=None)
    # Not part of the production env file: lets collectstatic run against an S3 emulator.
    AWS_S3_ENDPOINT_URL = env.string("AWS_S3_ENDPOINT_URL", default=None)
    AWS_DEFAULT_ACL = None  # the bucket policy makes objects public; ACLs stay disabled
    AWS_QUERYSTRING_AUTH = False
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=86400"}

    _s3 = "storages.backends.s3boto3.S3Boto3Storage"
    STORAGES = {
        "default": {"BACKEND": _s3, "OPTIONS": {"location": "media"}},
        "staticfiles": {"BACKEND": _s3, "OPTIONS": {"location": "static", "file_overwrite": True}},
    }
    _host = AWS_S3_CUSTOM_DOMAIN or f"{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"
    STATIC_URL = f"https://{_host}/static/"
    MEDIA_URL = f"https://{_host}/media/"
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    STATIC_URL = "static/"
    MEDIA_URL = "media/"

# --- e-mail (SendGrid over SMTP when a key is set) ---------------------------------------
SENDGRID_API_KEY = env.string("SENDGRID_API_KEY", default="")
SENDGRID_SENDER_EMAIL = env.string("SENDGRID_SENDER_EMAIL", default="no-reply@localhost")
SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID = env.string("SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID", default="")
DEFAULT_FROM_EMAIL = SENDGRID_SENDER_EMAIL
if SENDGRID_API_KEY:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "smtp.sendgrid.net"
    EMAIL_PORT = 587
    EMAIL_USE_TLS = True
    EMAIL_HOST_USER = "apikey"
    EMAIL_HOST_PASSWORD = SENDGRID_API_KEY
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- HTTPS behind the load balancer ------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 3600
    # HSTS for subdomains and preload are decisions about the owner's whole domain,
    # not about this service; leave them off and say so instead of warning on every check.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- logging (to stderr; ECS ships it to CloudWatch) -----------------------------------
# Celery's loggers are left to the worker (its --loglevel; CELERY_LOG_LEVEL above is the
# value a task definition can pass there): configuring them here after the worker has
# redirected its output would swallow the worker's own messages.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": env.string("DJANGO_LOG_LEVEL", default="INFO"), "propagate": False},
    },
}
