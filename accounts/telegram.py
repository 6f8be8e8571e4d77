"""Verification of data signed by Telegram: Login Widget fields and Mini App `initData`.

Both follow Telegram's published algorithms (core.telegram.org/widgets/login#checking-authorization
and core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app): the `hash` is the hex
HMAC-SHA256 of the data-check-string (every received field but `hash`, sorted, as `key=value`
lines) under a key derived from the bot token. Nothing here touches the database.
"""

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from core import json_input

# Telegram's clock and ours may differ by a few seconds; anything further ahead is refused.
CLOCK_SKEW = timedelta(seconds=30)


class TelegramAuthError(Exception):
    """The data is not authentic, incomplete or stale; the message is safe to show."""


@dataclass(frozen=True)
class TelegramIdentity:
    id: int
    auth_date: datetime
    # The payload's `hash`: one value per signed payload, what makes it single-use (accounts.services).
    signature: str = ""
    username: str = ""
    first_name: str = ""
    last_name: str = ""


def bot_id(bot_token: str) -> int | None:
    """The bot's public user id: the digits before the colon of its token (`123456:AA…` → 123456)."""
    head, colon, _ = bot_token.partition(":")
    return int(head) if colon and head.isdigit() and int(head) > 0 else None


def widget_secret(bot_token: str) -> bytes:
    return hashlib.sha256(bot_token.encode()).digest()


def webapp_secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: Mapping[str, str], secret: bytes) -> str:
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def _verified_auth_date(fields: Mapping[str, str], secret: bytes, *, max_age: int, now: datetime | None) -> datetime:
    missing = [name for name in ("hash", "auth_date") if not fields.get(name)]
    if missing:
        raise TelegramAuthError(f"Telegram data is missing: {', '.join(missing)}.")
    # Bytes, so a non-ASCII hash is just wrong instead of a TypeError; compare_digest is constant-time.
    if not hmac.compare_digest(sign(fields, secret).encode(), fields["hash"].encode()):
        raise TelegramAuthError("Telegram data signature is invalid.")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise TelegramAuthError("Telegram auth_date is not a Unix timestamp.") from error
    now = now or datetime.now(tz=UTC)
    if auth_date > now + CLOCK_SKEW:
        raise TelegramAuthError("Telegram auth_date is in the future.")
    if now - auth_date > timedelta(seconds=max_age):
        raise TelegramAuthError("Telegram data has expired; sign in with Telegram again.")
    return auth_date


def _telegram_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TelegramAuthError("Telegram user id is missing or not a number.")
    try:
        telegram_id = int(value)
    except ValueError as error:
        raise TelegramAuthError("Telegram user id is missing or not a number.") from error
    if telegram_id <= 0:
        raise TelegramAuthError("Telegram user id is missing or not a number.")
    return telegram_id


def verify_login_widget(
    fields: Mapping[str, str], *, bot_token: str, max_age: int, now: datetime | None = None
) -> TelegramIdentity:
    """Check the fields the Login Widget handed to the browser (`id`, `auth_date`, `hash`, names…)."""
    auth_date = _verified_auth_date(fields, widget_secret(bot_token), max_age=max_age, now=now)
    return TelegramIdentity(
        id=_telegram_id(fields.get("id")),
        auth_date=auth_date,
        signature=fields["hash"],
        username=fields.get("username", ""),
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
    )


def verify_webapp_init_data(
    init_data: str, *, bot_token: str, max_age: int, now: datetime | None = None
) -> TelegramIdentity:
    """Check a Mini App's raw `initData` query string; the user is the JSON in its `user` field."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as error:
        raise TelegramAuthError("init_data is not a Telegram initData query string.") from error
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise TelegramAuthError("init_data repeats a field.")
    auth_date = _verified_auth_date(fields, webapp_secret(bot_token), max_age=max_age, now=now)
    try:
        user = json_input.loads(fields["user"])
    except (KeyError, ValueError) as error:
        raise TelegramAuthError("init_data carries no Telegram user.") from error
    if not isinstance(user, dict):
        raise TelegramAuthError("init_data carries no Telegram user.")
    return TelegramIdentity(
        id=_telegram_id(user.get("id")),
        auth_date=auth_date,
        signature=fields["hash"],
        username=str(user.get("username", "")),
        first_name=str(user.get("first_name", "")),
        last_name=str(user.get("last_name", "")),
    )
