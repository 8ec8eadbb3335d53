"""Middleware of the book_me reference API."""
import os

from django.http import JsonResponse

HEALTH_PATHS = frozenset({"/auth/ping/", "/auth/ping"})


class HealthCheckMiddleware:
    """Answer ``GET /auth/ping/`` (with or without the slash) with 200 ``{"status": "ok"}``.

    It runs before every other middleware because the load balancer's health check
    reaches the task by its private IP (not an allowed host) over plain HTTP (which
    SECURE_SSL_REDIRECT would answer with 301). The check proves the process serves
    requests; it does not touch the database or Redis, so a slow dependency does not
    make every task unhealthy at once.

    The answer names the release that serves it in ``X-Bookme-Release`` (the commit the
    pipeline bakes into the image as ``BOOKME_RELEASE``): the deploy's smoke check proves
    the new release answers, not merely that something does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in HEALTH_PATHS and request.method in ("GET", "HEAD"):
            response = JsonResponse({"status": "ok"})
            response["X-Bookme-Release"] = os.environ.get("BOOKME_RELEASE", "")
            return response
        return self.get_response(request)
