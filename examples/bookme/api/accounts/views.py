"""Views of the accounts app."""
from django.http import JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def ping(request):
    """Return 200 ``{"status": "ok"}``: the load balancer's health check target."""
    return JsonResponse({"status": "ok"})
