"""The club bot's outgoing side: messages through the Bot API at `TELEGRAM_API_BASE`."""

import logging

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(5.0)


def send_message(*, chat_id: int, text: str) -> bool:
    """Send `text` to a chat; a failure is logged and reported as False, never raised.

    The caller is the webhook, and Telegram re-delivers an update whose webhook failed: a reply
    that cannot be sent must not turn into a retry storm of the same update.
    """
    # The bot token is part of the URL: log the outcome, never the URL or the exception text.
    url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage"
    try:
        response = httpx.post(url, json={"chat_id": chat_id, "text": text}, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        logger.warning("Telegram sendMessage failed: %s", type(error).__name__)
        return False
    if response.status_code != httpx.codes.OK:
        logger.warning("Telegram sendMessage answered HTTP %s", response.status_code)
        return False
    return True
