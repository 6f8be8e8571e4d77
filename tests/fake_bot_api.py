"""A local stand-in for Telegram's Bot API, shared by every app's tests (fixtures `fake_bot_api`, `telegram_bot`).

Also a process of its own for the notification benchmark:

    python -m tests.fake_bot_api --port 8081 --rate 25

serves the same fake until SIGTERM; `GET /stats` answers what it saw (messages per chat, the
per-chat and global limit checks) as JSON.
"""

import argparse
import itertools
import json
import signal
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Telegram's limits as the fake checks them. JITTER is what may come between a worker's decision
# (the limiter's yes, on Redis's clock) and the message's arrival here: the worker's thread waiting
# for the GIL or a core, the claim's UPDATE, the loopback. On the shared 2-core machine under load
# it reached 50 ms; a limit broken by more than that shows.
CHAT_INTERVAL = 1.0
JITTER = 0.1


@dataclass
class Arrival:
    """A `sendMessage` as the fake received it: monotonic time, chat, and what it answered."""

    at: float
    chat_id: object
    text: str
    status: int  # 200 delivered; 429/403/5xx refused; 0 hung (never answered)


@dataclass
class Trouble:
    """A scripted misbehaviour for the next `sendMessage` (to `chat_id`, or to any chat when None)."""

    status: int = 0  # 0: hang
    description: str = ""
    retry_after: int | None = None
    chat_id: int | None = None
    hang_seconds: float = 30.0
    then_answer: bool = False  # after the hang, answer (and deliver) normally
    released: threading.Event = field(default_factory=threading.Event)


def read_body(content_type: str, raw: bytes) -> dict:
    """A Bot API call's parameters: a JSON body, or multipart/form-data (an uploaded photo), whose files are bytes."""
    if not content_type.startswith("multipart/form-data"):
        return json.loads(raw)
    form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    body = {}
    for part in form.iter_parts():
        content = part.get_payload(decode=True)
        body[part.get_param("name", header="content-disposition")] = (
            content if part.get_filename() else content.decode()
        )
    return body


class FakeBotApi:
    """A local stand-in for api.telegram.org that records every Bot API call.

    It answers like Telegram: `sendMessage` with the Message it "sent" (a message_id per call),
    `answerCallbackQuery` with `true`. `press()` builds the `callback_query` update Telegram would
    deliver to the webhook when the user presses an inline button of a message the bot sent.

    A test can make the next `sendMessage` fail (`fail_next`: 429 with `retry_after`, 403, 5xx) or
    hang (`hang_next`, until `release()` or `hang_seconds`). Only answered-200 calls are in `calls`
    (what Telegram delivered); every `sendMessage` is in `arrivals` with its arrival time, which
    `chat_violations()` and `peak_per_second()` check against Telegram's limits.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.arrivals: list[Arrival] = []
        self.troubles: deque[Trouble] = deque()
        self.hanging: list[Trouble] = []
        self.update_ids = itertools.count(20001)
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = read_body(
                    self.headers.get("Content-Type", ""), self.rfile.read(int(self.headers["Content-Length"]))
                )
                status, reply = recorder.handle(self.path, body)
                if status == 0:
                    return  # hung: the client gave up (or was killed); nothing is written back
                encoded = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(encoded)))
                    self.end_headers()
                    self.wfile.write(encoded)
                except OSError:
                    pass  # the client went away

            def do_GET(self) -> None:
                # /stats, or /stats?limit=N to also count the seconds over N.
                path, _, query = self.path.partition("?")
                limit = int(query.removeprefix("limit=")) if query.startswith("limit=") else None
                encoded = json.dumps(recorder.stats(limit)).encode()
                self.send_response(200 if path == "/stats" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        # A short poll interval: shutdown() waits for the serving loop to notice, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    # -- scripting ---------------------------------------------------------------------------------
    def fail_next(
        self, status: int, *, description: str = "", retry_after: int | None = None, chat_id: int | None = None
    ) -> None:
        """The next `sendMessage` (to `chat_id`) is answered `status` as Telegram would."""
        default = {429: "Too Many Requests: retry after {}", 403: "Forbidden: bot was blocked by the user"}
        text = description or default.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
        with self.lock:
            self.troubles.append(Trouble(status, text.format(retry_after), retry_after, chat_id))

    def hang_next(self, *, seconds: float = 30.0, chat_id: int | None = None, then_answer: bool = False) -> None:
        """The next `sendMessage` (to `chat_id`) gets no answer for `seconds` or until `release()`.

        It is not delivered, unless `then_answer`: then it is answered (and delivered) once released.
        """
        with self.lock:
            self.troubles.append(Trouble(status=0, chat_id=chat_id, hang_seconds=seconds, then_answer=then_answer))

    def reset(self) -> None:
        with self.lock:
            self.release()
            self.calls.clear()
            self.arrivals.clear()
            self.troubles.clear()
            self.hanging.clear()

    def release(self) -> None:
        for trouble in self.hanging:
            trouble.released.set()

    def hung(self) -> int:
        """How many requests are being held right now (a worker is inside its Bot API call)."""
        return sum(not trouble.released.is_set() for trouble in self.hanging)

    # -- answering ---------------------------------------------------------------------------------
    def handle(self, path: str, body: dict) -> tuple[int, dict]:
        now = time.monotonic()
        trouble = None
        with self.lock:
            if path.endswith("/sendMessage"):
                trouble = next((t for t in self.troubles if t.chat_id in (None, body.get("chat_id"))), None)
                if trouble is not None:
                    self.troubles.remove(trouble)
                status = trouble.status if trouble else 200
                self.arrivals.append(Arrival(now, body.get("chat_id"), str(body.get("text", "")), status))
            if trouble is None:
                self.calls.append((path, body))
                return 200, {"ok": True, "result": self.result(path, body)}
            if trouble.status == 0:
                self.hanging.append(trouble)
        if trouble.status == 0:
            trouble.released.wait(trouble.hang_seconds)
            trouble.released.set()
            if not trouble.then_answer:
                return 0, {}
            with self.lock:
                self.arrivals.append(Arrival(time.monotonic(), body.get("chat_id"), str(body.get("text", "")), 200))
                self.calls.append((path, body))
                return 200, {"ok": True, "result": self.result(path, body)}
        reply: dict = {"ok": False, "error_code": trouble.status, "description": trouble.description}
        if trouble.retry_after is not None:
            reply["parameters"] = {"retry_after": trouble.retry_after}
        return trouble.status, reply

    def result(self, path: str, body: dict) -> object:
        if path.endswith("/answerCallbackQuery"):
            return True
        chat = {"id": body.get("chat_id"), "type": "private"}
        return {"message_id": body.get("message_id", len(self.calls)), "chat": chat, "text": body.get("text")}

    # -- what was delivered ------------------------------------------------------------------------
    def sent(self, method: str = "sendMessage") -> list[tuple[int, dict]]:
        """(message_id, body) of every call of `method`; a sent message's id is its call's number."""
        return [(number, body) for number, (path, body) in enumerate(self.calls, 1) if path.endswith(f"/{method}")]

    def messages_to(self, chat_id: int) -> list[str]:
        return [body["text"] for _, body in self.sent() if body.get("chat_id") == chat_id]

    def delivered(self) -> list[Arrival]:
        with self.lock:
            return sorted((arrival for arrival in self.arrivals if arrival.status == 200), key=lambda a: a.at)

    def keyboard_to(self, chat_id: int) -> list[list[dict]]:
        """The inline keyboard of the last message sent to `chat_id` that has one."""
        marked = [body for _, body in self.sent() if body.get("chat_id") == chat_id and "reply_markup" in body]
        return marked[-1]["reply_markup"]["inline_keyboard"] if marked else []

    def photos_to(self, chat_id: int) -> list[dict]:
        """`sendPhoto` uploads to `chat_id`: form fields are strings, `photo` the uploaded bytes."""
        return [body for _, body in self.sent("sendPhoto") if body.get("chat_id") == str(chat_id)]

    def callback_answers(self) -> list[dict]:
        return [body for _, body in self.sent("answerCallbackQuery")]

    def edits_to(self, chat_id: int) -> list[dict]:
        return [body for _, body in self.sent("editMessageText") if body.get("chat_id") == chat_id]

    # -- Telegram's limits, as checked on arrival --------------------------------------------------
    def chat_violations(self, *, interval: float = CHAT_INTERVAL, jitter: float = JITTER) -> list[tuple[object, float]]:
        """(chat, gap in s) for every two delivered messages to one chat closer than `interval` (less `jitter`)."""
        last: dict[object, float] = {}
        violations = []
        for arrival in self.delivered():
            previous = last.get(arrival.chat_id)
            if previous is not None and arrival.at - previous < interval - jitter:
                violations.append((arrival.chat_id, round(arrival.at - previous, 4)))
            last[arrival.chat_id] = arrival.at
        return violations

    def peak_per_second(self, *, jitter: float = JITTER) -> int:
        """The most delivered messages in any window of one second (less `jitter`), over every chat."""
        times = [arrival.at for arrival in self.delivered()]
        peak, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0 - jitter:
                start += 1
            peak = max(peak, end - start + 1)
        return peak

    def windows_over(self, limit: int, *, jitter: float = JITTER) -> int:
        """How many delivered messages arrived with more than `limit` in the second (less `jitter`) they end."""
        times = [arrival.at for arrival in self.delivered()]
        over, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0 - jitter:
                start += 1
            over += end - start + 1 > limit
        return over

    def stats(self, limit: int | None = None) -> dict:
        delivered = self.delivered()
        per_chat = Counter(str(arrival.chat_id) for arrival in delivered)
        with self.lock:
            refused = Counter(str(arrival.status) for arrival in self.arrivals if arrival.status != 200)
        return {
            "delivered": len(delivered),
            "chats": len(per_chat),
            "duplicates": sum(count - 1 for count in per_chat.values()),
            "refused": dict(refused),
            "chat_violations": len(self.chat_violations()),
            "peak_per_second": self.peak_per_second(),
            "windows_over_limit": self.windows_over(limit) if limit else None,
            "first_at": delivered[0].at if delivered else None,
            "last_at": delivered[-1].at if delivered else None,
        }

    def start(self) -> "FakeBotApi":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def press(self, label: str, *, chat_id: int, presser: int | None = None) -> dict:
        """The update Telegram delivers when `presser` (default: the chat's user) presses `label`."""
        message_id, body = next(
            (number, body)
            for number, body in reversed(self.sent())
            if body.get("chat_id") == chat_id and "reply_markup" in body
        )
        [button] = [b for row in body["reply_markup"]["inline_keyboard"] for b in row if b["text"] == label]
        presser = chat_id if presser is None else presser
        return {
            "update_id": next(self.update_ids),
            "callback_query": {
                "id": f"cbq-{message_id}-{presser}",
                "from": {"id": presser, "is_bot": False, "first_name": "Anna"},
                "message": {
                    "message_id": message_id,
                    "chat": {"id": chat_id, "type": "private"},
                    "date": 1795000000,
                    "text": body["text"],
                },
                "chat_instance": "-1234567890",
                "data": button["callback_data"],
            },
        }


@pytest.fixture
def fake_bot_api():
    api = FakeBotApi().start()
    yield api
    api.stop()


@pytest.fixture
def telegram_bot(settings, fake_bot_api):
    from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, WEBHOOK_SECRET

    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_API_BASE = fake_bot_api.url
    return fake_bot_api


def main() -> None:
    parser = argparse.ArgumentParser(description="The fake Bot API as a process (for benchmarks).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    api = FakeBotApi(host=args.host, port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=api.server.shutdown).start())
    print(f"fake Bot API on {api.url}", flush=True)
    api.server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
