"""The commands the ECS task definitions run exist and load this project."""
import shutil
import subprocess

from django.test import SimpleTestCase

from tests.envrun import API_DIR, child_env


class CommandTests(SimpleTestCase):
    def test_daphne_and_celery_are_on_path(self):
        # Debian ships them in separate packages (daphne, celery) from the python3-* modules.
        for command in ("daphne", "celery"):
            with self.subTest(command=command):
                self.assertIsNotNone(shutil.which(command), f"{command} not on PATH; install Debian's {command}")

    def test_celery_loads_the_tasks_app(self):
        done = subprocess.run(
            ["celery", "--app", "tasks", "report"],
            cwd=API_DIR, env=child_env({}), capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("transport:redis", done.stdout)
