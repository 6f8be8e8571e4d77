"""One `sendMessage` to the Bot API, its answer sorted into what the outbox does next.

Kept apart from `accounts.bot` (the webhook's replies, which only log a failure): the outbox needs
to know *why* a call failed — 429 with `retry_after`, 403 (blocked), another 4xx (never going to
work), or a timeout, a network error or a 5xx (worth another try).
"""

import enum
import logging
import threading
import time
from dataclasses import dataclass

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)


class Answer(enum.Enum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # 429: wait retry_after, then try again
    FORBIDDEN = "forbidden"  # 403: the member blocked the bot (or deleted the account)
    REJECTED = "rejected"  # another 4xx: the same request will never succeed
    TRANSIENT = "transient"  # timeout, network error, 5xx, a reply that is not the Bot API's
    LATE = "late"  # not sent: the limiter's slot had expired (`not_after`)


@dataclass(frozen=True)
class Delivery:
    answer: Answer
    reason: str = ""
    message_id: int | None = None
    retry_after: float = 0.0


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def client() -> httpx.Client:
    global _client  # one connection pool per process: keep-alive to api.telegram.org across messages
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=httpx.Timeout(settings.TELEGRAM_SEND_TIMEOUT_SECONDS))
        return _client


def send_message(*, chat_id: int, text: str, not_after: float | None = None) -> Delivery:
    """Call `sendMessage`, unless the monotonic clock is past `not_after` (then `Answer.LATE`, nothing sent)."""
    # The bot token is part of the URL: neither the URL nor an exception's text (which quotes it) is
    # ever logged or stored; reasons name the kind of failure only.
    url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage"
    timeout = settings.TELEGRAM_SEND_TIMEOUT_SECONDS
    http = client()
    payload = {"chat_id": chat_id, "text": text}
    if not_after is not None and time.monotonic() > not_after:
        return Delivery(Answer.LATE)
    try:
        response = http.post(url, json=payload, timeout=timeout)
    except httpx.TimeoutException as error:
        return Delivery(Answer.TRANSIENT, f"Telegram did not answer within {timeout:g} s ({type(error).__name__}).")
    except httpx.HTTPError as error:
        return Delivery(Answer.TRANSIENT, f"Telegram could not be reached ({type(error).__name__}).")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Delivery(Answer.TRANSIENT, f"Telegram answered HTTP {response.status_code} without a Bot API reply.")
    description = str(body.get("description") or f"HTTP {response.status_code}")[:300]
    status = response.status_code
    if status == httpx.codes.OK and body.get("ok"):
        result = body.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return Delivery(Answer.SENT, message_id=message_id if isinstance(message_id, int) else None)
    if status == httpx.codes.TOO_MANY_REQUESTS:
        parameters = body.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        seconds = float(retry_after) if isinstance(retry_after, int | float) and retry_after > 0 else 1.0
        return Delivery(Answer.RATE_LIMITED, f"Telegram: {description}", retry_after=seconds)
    if status == httpx.codes.FORBIDDEN:
        return Delivery(Answer.FORBIDDEN, f"Telegram: {description}")
    if 400 <= status < 500:
        return Delivery(Answer.REJECTED, f"Telegram: {description}")
    return Delivery(Answer.TRANSIENT, f"Telegram answered HTTP {status}: {description}")
