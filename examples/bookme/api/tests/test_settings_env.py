"""Settings come only from environment variables: production values, development defaults, clear errors."""
from django.test import SimpleTestCase

from tests.envrun import PRODUCTION_ENV, manage, run_python, settings_in

NAMES = [
    "TARGET_ENV", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASES", "CACHES",
    "SESSION_ENGINE", "CELERY_BROKER_URL", "CELERY_BROKER_USE_SSL", "STORAGES", "STATIC_URL", "MEDIA_URL",
    "AWS_STORAGE_BUCKET_NAME", "AWS_S3_REGION_NAME", "AWS_S3_ACCESS_KEY_ID", "AWS_S3_CUSTOM_DOMAIN",
    "CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS", "CORS_ALLOW_ALL_ORIGINS", "EMAIL_BACKEND",
    "DEFAULT_FROM_EMAIL", "SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
]
S3 = "storages.backends.s3boto3.S3Boto3Storage"
S3_URLS = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
import django
django.setup()
from django.core.files.storage import storages
media, static = storages["default"], storages["staticfiles"]
print(media.location, static.location, media.url("offers/a.png"), static.url("app.css"))
"""


class ProductionSettingsTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = settings_in(PRODUCTION_ENV, NAMES)

    def test_core(self):
        s = self.s
        self.assertEqual(s["TARGET_ENV"], "production")
        self.assertFalse(s["DEBUG"])
        self.assertEqual(s["SECRET_KEY"], PRODUCTION_ENV["DJANGO_SECRET_KEY"])
        self.assertEqual(s["ALLOWED_HOSTS"], ["api.example.test", ".example.test"])
        self.assertEqual(s["CSRF_TRUSTED_ORIGINS"], ["https://www.example.test"])
        self.assertTrue(s["SECURE_SSL_REDIRECT"])
        self.assertTrue(s["SESSION_COOKIE_SECURE"])

    def test_database_from_postgres_variables(self):
        db = self.s["DATABASES"]["default"]
        self.assertEqual(db["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual(
            (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]),
            ("bookme", "bookme_app", "pw-not-printed", "db.internal.example.test", 5433),
        )

    def test_redis_for_broker_cache_and_sessions(self):
        s = self.s
        self.assertEqual(s["CELERY_BROKER_URL"], PRODUCTION_ENV["BROKER_URL"])
        self.assertIsNotNone(s["CELERY_BROKER_USE_SSL"], "rediss:// broker must turn on TLS for Celery")
        self.assertEqual(s["CACHES"]["default"]["BACKEND"], "django.core.cache.backends.redis.RedisCache")
        self.assertEqual(s["CACHES"]["default"]["LOCATION"], PRODUCTION_ENV["BROKER_URL"])
        self.assertEqual(s["SESSION_ENGINE"], "django.contrib.sessions.backends.cache")

    def test_s3_storage_for_static_and_media(self):
        s = self.s
        self.assertEqual(s["STORAGES"]["default"]["BACKEND"], S3)
        self.assertEqual(s["STORAGES"]["default"]["OPTIONS"]["location"], "media")
        self.assertEqual(s["STORAGES"]["staticfiles"]["BACKEND"], S3)
        self.assertEqual(s["STORAGES"]["staticfiles"]["OPTIONS"]["location"], "static")
        self.assertEqual(s["STATIC_URL"], "https://static.example.test/static/")
        self.assertEqual(s["MEDIA_URL"], "https://static.example.test/media/")
        self.assertEqual(s["AWS_STORAGE_BUCKET_NAME"], "book-me-prod-static")
        self.assertEqual(s["AWS_S3_REGION_NAME"], "eu-central-1")
        self.assertIsNone(s["AWS_S3_ACCESS_KEY_ID"], "empty keys must fall back to the task role")

    def test_s3_storages_are_built_with_their_options(self):
        # Builds the real S3Boto3Storage objects (no network) and asks them for URLs.
        done = run_python(PRODUCTION_ENV, S3_URLS)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.split(), [
            "media", "static",
            "https://static.example.test/media/offers/a.png",
            "https://static.example.test/static/app.css",
        ])

    def test_cors_and_email(self):
        s = self.s
        self.assertEqual(s["CORS_ALLOWED_ORIGINS"], ["https://www.example.test", "https://example.test"])
        self.assertTrue(s["CORS_ALLOW_CREDENTIALS"])
        self.assertFalse(s["CORS_ALLOW_ALL_ORIGINS"])
        self.assertEqual(s["EMAIL_BACKEND"], "django.core.mail.backends.smtp.EmailBackend")
        self.assertEqual(s["DEFAULT_FROM_EMAIL"], "hello@example.test")
        self.assertEqual(s["SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID"], "d-123")

    def test_check_deploy_is_clean(self):
        done = manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
        self.assertEqual(done.returncode, 0, done.stderr + done.stdout)

    def test_url_without_custom_domain_uses_the_bucket(self):
        env = dict(PRODUCTION_ENV)
        del env["AWS_S3_CUSTOM_DOMAIN"]
        s = settings_in(env, ["STATIC_URL"])
        self.assertEqual(s["STATIC_URL"], "https://book-me-prod-static.s3.amazonaws.com/static/")


class RequiredVariableTests(SimpleTestCase):
    def test_each_required_production_variable_fails_with_its_name(self):
        for name in ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "POSTGRES_HOST", "POSTGRES_PASSWORD",
                     "BROKER_URL", "AWS_S3_STORAGE_BUCKET_NAME"]:
            with self.subTest(name=name):
                env = dict(PRODUCTION_ENV)
                del env[name]
                done = manage(env, "check")
                self.assertNotEqual(done.returncode, 0)
                self.assertIn(f"environment variable {name} is required", done.stderr)
                self.assertNotIn("pw-not-printed", done.stderr)

    def test_unknown_target_env_is_rejected(self):
        done = manage({"TARGET_ENV": "staging"}, "check")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("TARGET_ENV='staging' is not valid", done.stderr)

    def test_malformed_boolean_is_rejected(self):
        done = manage({"DJANGO_DEBUG": "maybe"}, "check")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("DJANGO_DEBUG='maybe' is not a boolean", done.stderr)


class DevelopmentDefaultsTests(SimpleTestCase):
    def test_nothing_set_gives_a_working_development_profile(self):
        s = settings_in({}, NAMES)
        self.assertEqual(s["TARGET_ENV"], "development")
        self.assertTrue(s["DEBUG"])
        self.assertEqual(s["DATABASES"]["default"]["ENGINE"], "django.db.backends.sqlite3")
        self.assertEqual(s["CACHES"]["default"]["LOCATION"], "redis://localhost:6379/0")
        self.assertEqual(s["SESSION_ENGINE"], "django.contrib.sessions.backends.cache")
        self.assertEqual(s["STORAGES"]["default"]["BACKEND"], "django.core.files.storage.FileSystemStorage")
        self.assertEqual(s["EMAIL_BACKEND"], "django.core.mail.backends.console.EmailBackend")
        self.assertIsNone(s["CELERY_BROKER_USE_SSL"])

    def test_postgres_host_switches_development_to_postgres(self):
        s = settings_in({"POSTGRES_HOST": "db", "POSTGRES_PASSWORD": "pw"}, ["DATABASES"])
        db = s["DATABASES"]["default"]
        self.assertEqual((db["ENGINE"], db["HOST"], db["NAME"], db["PORT"]),
                         ("django.db.backends.postgresql", "db", "bookme", 5432))
