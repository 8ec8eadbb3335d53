"""Celery application of the book_me reference API: ``celery --app tasks worker --loglevel INFO``.

The worker runs from the same image as the API and reads the same settings
(BROKER_URL is the Redis broker).
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("bookme")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="bookme.add")
def add(x, y):
    """Return ``x + y``: a sample task proving the worker receives and runs work."""
    return x + y
