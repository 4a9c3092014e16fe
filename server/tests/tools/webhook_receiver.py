"""A webhook receiver for the tests: verifies every delivery with the published
`standardwebhooks` library and logs it. Prints its port on the first line of stdout.

  POST /_setup  {"secret": "whsec_…", "fail": N, "status": 500, "retryAfter": null}
                the next N deliveries are answered with `status` (and Retry-After if given)
  POST /hook    a delivery; 401 when the signature does not verify
  GET  /_log    every delivery received: id, type, verified, answered status, time
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

state = {"secret": None, "fail": 0, "status": 500, "retry_after": None, "log": []}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_log":
            with lock:
                body = json.dumps(state["log"]).encode()
            return self.reply(200, body, [("content-type", "application/json")])
        self.reply(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/_setup":
            cfg = json.loads(body)
            with lock:
                state["secret"] = cfg.get("secret", state["secret"])
                state["fail"] = cfg.get("fail", 0)
                state["status"] = cfg.get("status", 500)
                state["retry_after"] = cfg.get("retryAfter")
            return self.reply(204)
        if self.path != "/hook":
            return self.reply(404)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified, event = False, None
        try:
            event = Webhook(state["secret"]).verify(body, headers)
            verified = True
        except Exception:
            verified = False
        with lock:
            if not verified:
                status = 401
            elif state["fail"] > 0:
                state["fail"] -= 1
                status = state["status"]
            else:
                status = 200
            state["log"].append({
                "id": headers.get("webhook-id"),
                "type": event.get("type") if isinstance(event, dict) else None,
                "event": event,
                "verified": verified,
                "status": status,
                "at": time.time(),
            })
            retry_after = state["retry_after"]
        extra = [("retry-after", str(retry_after))] if retry_after is not None and status != 200 else []
        self.reply(status, b"", extra)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
