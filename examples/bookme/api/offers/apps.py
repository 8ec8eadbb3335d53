"""App configuration of the offers app."""
from django.apps import AppConfig


class OffersConfig(AppConfig):
    """Offers app."""

    name = "offers"
