"""URL routes of the offers app (mounted under /offers/)."""
from django.urls import path

from offers import views

urlpatterns = [path("<int:offer_id>/", views.detail, name="offer-detail")]
