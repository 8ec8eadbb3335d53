"""Project package of the book_me reference API (settings, URLs, ASGI entry point)."""
