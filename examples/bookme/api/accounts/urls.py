"""URL routes of the accounts app (mounted under /auth/)."""
from django.urls import path

from accounts import views

urlpatterns = [path("ping/", views.ping, name="ping")]
