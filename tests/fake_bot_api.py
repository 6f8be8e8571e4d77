"""A local stand-in for Telegram's Bot API, shared by every app's tests (fixtures `fake_bot_api`, `telegram_bot`)."""

import itertools
import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, WEBHOOK_SECRET


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
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.update_ids = itertools.count(20001)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = read_body(
                    self.headers.get("Content-Type", ""), self.rfile.read(int(self.headers["Content-Length"]))
                )
                recorder.calls.append((self.path, body))
                reply = json.dumps({"ok": True, "result": recorder.result(self.path, body)}).encode()
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

    def result(self, path: str, body: dict) -> object:
        if path.endswith("/answerCallbackQuery"):
            return True
        chat = {"id": body.get("chat_id"), "type": "private"}
        return {"message_id": body.get("message_id", len(self.calls)), "chat": chat, "text": body.get("text")}

    def sent(self, method: str = "sendMessage") -> list[tuple[int, dict]]:
        """(message_id, body) of every call of `method`; a sent message's id is its call's number."""
        return [(number, body) for number, (path, body) in enumerate(self.calls, 1) if path.endswith(f"/{method}")]

    def messages_to(self, chat_id: int) -> list[str]:
        return [body["text"] for _, body in self.sent() if body.get("chat_id") == chat_id]

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
