"""A stand-in for the payment provider's HTTP API (club/payment_provider.py), served on a local port."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connection

from club.models import Payment


class FakePaymentProvider:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                # Seen from another connection: is the payment committed before the provider hears of it?
                body["_committed"] = Payment.objects.filter(pk=body["payment_id"]).exists()
                connection.close()
                provider.requests.append({"path": self.path, "body": body})
                if provider.fail:
                    self.send_response(502)
                    self.end_headers()
                    return
                answer = {
                    "reference": f"prov-{body['payment_id']}",
                    "pay_url": f"https://pay.example/{body['payment_id']}",
                }
                payload = json.dumps(answer).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakePaymentProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
