"""The Celery app loads the Django settings and runs its sample task."""
from django.conf import settings
from django.test import SimpleTestCase

import tasks


class CeleryAppTests(SimpleTestCase):
    def test_broker_is_the_settings_broker_url(self):
        self.assertEqual(tasks.app.conf.broker_url, settings.BROKER_URL)

    def test_sample_task_runs(self):
        self.assertIn("bookme.add", tasks.app.tasks)
        self.assertEqual(tasks.add.apply(args=(2, 3)).get(timeout=5), 5)
