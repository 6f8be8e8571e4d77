"""The club bot's outgoing side: Bot API calls through `TELEGRAM_API_BASE`."""

import logging
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(5.0)


def call(method: str, payload: dict[str, Any], *, files: dict[str, tuple[str, bytes, str]] | None = None) -> bool:
    """Call a Bot API method; a failure is logged and reported as False, never raised.

    The caller is the webhook, and Telegram re-delivers an update whose webhook failed: a reply
    that cannot be sent must not turn into a retry storm of the same update.
    """
    # The bot token is part of the URL: log the outcome, never the URL or the exception text.
    url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"
    try:
        if files:  # an upload (sendPhoto): multipart/form-data, the other parameters as form fields
            response = httpx.post(url, data=payload, files=files, timeout=TIMEOUT)
        else:
            response = httpx.post(url, json=payload, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        logger.warning("Telegram %s failed: %s", method, type(error).__name__)
        return False
    if response.status_code != httpx.codes.OK:
        logger.warning("Telegram %s answered HTTP %s", method, response.status_code)
        return False
    return True


def send_message(*, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None) -> bool:
    payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    return call("sendMessage", payload)
