import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A key prefix of its own per test: throttle counters never leak between tests or runs."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"accounts-test-{uuid.uuid4().hex}"}}


class FakeBotApi:
    """A local stand-in for api.telegram.org that records every Bot API call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                recorder.calls.append((self.path, body))
                reply = json.dumps({"ok": True, "result": {"message_id": len(recorder.calls)}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: shutdown() waits for the serving loop to notice, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def messages_to(self, chat_id: int) -> list[str]:
        return [body["text"] for path, body in self.calls if body.get("chat_id") == chat_id]


@pytest.fixture
def fake_bot_api():
    api = FakeBotApi()
    api.thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def telegram_bot(settings, fake_bot_api):
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_API_BASE = fake_bot_api.url
    return fake_bot_api
