"""Typed readers for the environment variables the settings are built from.

Every setting of this project comes from the environment (the ECS task loads
``/service-config/api/production.env`` through ``environmentFiles``). These helpers
turn strings into values and fail with one clear line when a value is missing or
malformed, so a bad env file stops the container at start, not at the first request.
"""
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def string(name, default=None, required=False):
    """Return the variable ``name``; raise if ``required`` and it is unset or empty."""
    value = os.environ.get(name, "")
    if value == "":
        if required:
            raise ImproperlyConfigured(
                f"environment variable {name} is required (TARGET_ENV={target_env()}); "
                f"set it in the service's env file"
            )
        return default
    return value


def boolean(name, default=False):
    """Return the variable ``name`` read as a boolean (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"environment variable {name}={value!r} is not a boolean; use true or false")


def integer(name, default):
    """Return the variable ``name`` read as an integer, or ``default`` when unset."""
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"environment variable {name}={value!r} is not an integer") from None


def string_list(name, default=(), required=False):
    """Return the comma-separated variable ``name`` as a list with blanks removed."""
    value = string(name, required=required)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def target_env():
    """Return TARGET_ENV (``development`` by default); raise on any other value than the two known ones."""
    value = os.environ.get("TARGET_ENV", "") or "development"
    if value not in ("development", "production"):
        raise ImproperlyConfigured(f"TARGET_ENV={value!r} is not valid; use production or development")
    return value
