"""Telegram's side of the signatures, computed here from the published algorithms, independently
of accounts.telegram, so the tests check the server against the specification rather than itself."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

BOT_TOKEN = "123456789:AAtest-bot-token-of-the-club"
BOT_USERNAME = "club_test_bot"
WEBHOOK_SECRET = "webhook-secret-42"


def _hash(fields: dict, key: bytes) -> str:
    check = "\n".join(f"{name}={fields[name]}" for name in sorted(fields))
    return hmac.new(key, check.encode(), hashlib.sha256).hexdigest()


def sign_widget(fields: dict, *, bot_token: str = BOT_TOKEN) -> dict:
    key = hashlib.sha256(bot_token.encode()).digest()
    return {**fields, "hash": _hash(fields, key)}


def sign_init_data(fields: dict, *, bot_token: str = BOT_TOKEN) -> str:
    key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": _hash(fields, key)})


def now() -> int:
    return int(time.time())


def widget_fields(telegram_id: int, *, bot_token: str = BOT_TOKEN, auth_date: int | None = None, **extra) -> dict:
    fields = {"id": telegram_id, "first_name": "Anna", "username": "anna_tg", "auth_date": auth_date or now(), **extra}
    return sign_widget(fields, bot_token=bot_token)


def init_data(telegram_id: int, *, bot_token: str = BOT_TOKEN, auth_date: int | None = None) -> str:
    user = json.dumps({"id": telegram_id, "first_name": "Anna", "username": "anna_tg"}, separators=(",", ":"))
    fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": user, "auth_date": str(auth_date or now())}
    return sign_init_data(fields, bot_token=bot_token)
