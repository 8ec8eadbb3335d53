"""App configuration of the accounts app."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Accounts app (health check, WebSocket ping)."""

    name = "accounts"
