"""Sessions live in Redis (Django's RedisCache), so every API task sees every session."""
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.test import TestCase, override_settings

from tests.envrun import run_python

REDIS_SERVER = shutil.which("redis-server")


class SessionEngineTests(TestCase):
    def test_sessions_use_the_cache_and_the_cache_is_redis(self):
        self.assertEqual(settings.SESSION_ENGINE, "django.contrib.sessions.backends.cache")
        backend = settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"]
        self.assertEqual(backend, "django.core.cache.backends.redis.RedisCache")
        self.assertEqual(settings.CACHES[settings.SESSION_CACHE_ALIAS]["LOCATION"], settings.BROKER_URL)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(REDIS_SERVER, "redis-server not on PATH: install Debian's redis-server to run the round trip")
class RedisSessionRoundTripTests(TestCase):
    """A real redis-server on a free loopback port, started and stopped by the test."""

    @classmethod
    def setUpClass(cls):
        cls.port = _free_port()
        cls.workdir = tempfile.TemporaryDirectory()
        cls.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(cls.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", cls.workdir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        cls.url = f"redis://127.0.0.1:{cls.port}/3"
        client = redis.Redis.from_url(cls.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    cls.proc.kill()
                    raise
                time.sleep(0.05)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.workdir.cleanup()

    def test_login_session_is_stored_in_redis_and_readable_by_another_process(self):
        # override_settings(CACHES=...) makes Django drop its cache connections.
        with override_settings(CACHES={"default": dict(settings.CACHES["default"], LOCATION=self.url)}):
            User.objects.create_user("alice", password="pw-12345")
            self.assertTrue(self.client.login(username="alice", password="pw-12345"))
            session_key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
            user_id = str(User.objects.get(username="alice").pk)

        keys = [k.decode() for k in redis.Redis.from_url(self.url).keys("*")]
        self.assertTrue(any(k.endswith(session_key) for k in keys), f"session {session_key} not in {keys}")

        # Another process, as another API task would be, reads the same session from Redis.
        done = run_python({"BROKER_URL": self.url}, READ_SESSION, session_key)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), user_id)


READ_SESSION = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
import django
django.setup()
from django.contrib.sessions.backends.cache import SessionStore
print(SessionStore(session_key=sys.argv[1]).load().get("_auth_user_id", "missing"))
"""
