"""A stand-in OpenSearch for the Lambda smoke test: answers index creation and _bulk the way the
REST API documents (every item 201). Usage: python3 scripts/fake_opensearch.py PORT"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self):
        self.send_response(200)
        self.end_headers()

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer(200, {"acknowledged": True})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        if self.path.startswith("/_bulk"):
            items = []
            for line in body.splitlines():
                action = json.loads(line)
                for kind in ("index", "delete"):
                    if kind in action:
                        items.append({kind: {"_id": action[kind]["_id"], "status": 201 if kind == "index" else 200}})
            self._answer(200, {"took": 1, "errors": False, "items": items})
        else:
            self._answer(200, {"hits": {"hits": []}})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
