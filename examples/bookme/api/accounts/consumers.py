"""WebSocket consumers of the accounts app."""
from channels.generic.websocket import JsonWebsocketConsumer


class PingConsumer(JsonWebsocketConsumer):
    """Answer every JSON message on ``/ws/ping/`` with ``{"type": "pong", "echo": <message>}``."""

    def receive_json(self, content, **kwargs):
        """Reply to one message."""
        self.send_json({"type": "pong", "echo": content})
