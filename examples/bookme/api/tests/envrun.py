"""Run Django code in a fresh interpreter with a controlled environment.

Settings are evaluated once per process, so tests of "settings from the environment"
start a child process with exactly the variables they name (plus PATH).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "TARGET_ENV": "production",
    "DJANGO_SECRET_KEY": "test-secret-key-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "api.example.test,.example.test",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://www.example.test",
    "DJANGO_CORS_ALLOWED_ORIGINS": "https://www.example.test,https://example.test",
    "DJANGO_CORS_ALLOW_CREDENTIALS": "true",
    "DJANGO_CORS_ORIGIN_ALLOW_ALL": "false",
    "POSTGRES_DB": "bookme",
    "POSTGRES_USER": "bookme_app",
    "POSTGRES_PASSWORD": "pw-not-printed",
    "POSTGRES_HOST": "db.internal.example.test",
    "POSTGRES_PORT": "5433",
    "BROKER_URL": "rediss://:token@cache.internal.example.test:6379/0?ssl_cert_reqs=required",
    "AWS_S3_STORAGE_BUCKET_NAME": "book-me-prod-static",
    "AWS_S3_REGION_NAME": "eu-central-1",
    "AWS_S3_CUSTOM_DOMAIN": "static.example.test",
    "SENDGRID_API_KEY": "SG.test",
    "SENDGRID_SENDER_EMAIL": "hello@example.test",
    "SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID": "d-123",
}

_DUMP = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
from django.conf import settings
names = json.loads(os.environ.pop("DUMP_NAMES"))
print(json.dumps({n: getattr(settings, n, None) for n in names}, default=str))
"""


def child_env(extra):
    """Return a minimal environment (PATH only) plus ``extra``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(extra)
    return env


def settings_in(extra, names):
    """Return the settings ``names`` as a dict, evaluated in a child with environment ``extra``."""
    env = child_env(extra)
    env["DUMP_NAMES"] = json.dumps(list(names))
    done = subprocess.run(
        [sys.executable, "-c", _DUMP], cwd=API_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise AssertionError(f"settings failed to load:\n{done.stderr}")
    return json.loads(done.stdout)


def manage(extra, *args):
    """Run ``manage.py args`` in a child with environment ``extra``; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=API_DIR,
        env=child_env(extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_python(extra, code, *args):
    """Run ``python -c code args`` from the api folder with environment ``extra``; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=API_DIR, env=child_env(extra), capture_output=True, text=True,
        timeout=60,
    )
