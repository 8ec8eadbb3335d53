"""Accounts app: the health-check endpoint and a WebSocket ping consumer."""
