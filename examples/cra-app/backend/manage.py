#!/usr/bin/env python3
"""Django-shaped entry point of the CRA example's API: migrate, collectstatic, runserver."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.rstrip("/") == "/api/health":
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "help"
    if cmd == "migrate":
        print("No migrations to apply.")
    elif cmd == "collectstatic":
        print("0 static files copied.")
    elif cmd == "runserver":
        port = int(os.environ.get("APP_PORT", "8000"))
        ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
    else:
        print("usage: manage.py migrate|collectstatic|runserver", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
