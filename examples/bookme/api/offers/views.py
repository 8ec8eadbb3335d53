"""Views of the offers app."""
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from offers.images import image_info
from offers.models import Offer


@require_safe
def detail(request, offer_id):
    """Return one offer as JSON, with its image's URL and size read through the storage."""
    offer = get_object_or_404(Offer, pk=offer_id)
    return JsonResponse({"id": offer.pk, "title": offer.title, "image": image_info(offer.image)})
