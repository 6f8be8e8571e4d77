"""Bot API calls of the commands: JSON through accounts.bot, and the multipart upload of a photo."""

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from accounts import bot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """A file sent in the call itself (multipart/form-data), as `sendPhoto` takes a new picture."""

    filename: str
    content: bytes
    content_type: str


BotCall = tuple[str, dict[str, Any]]


def call(method: str, payload: dict[str, Any]) -> bool:
    """Make one Bot API call; False (logged, never raised) when it failed, as accounts.bot.call."""
    uploads = {name: value for name, value in payload.items() if isinstance(value, Upload)}
    if not uploads:
        return bot.call(method, payload)
    fields = {name: str(value) for name, value in payload.items() if name not in uploads}
    files = {name: (upload.filename, upload.content, upload.content_type) for name, upload in uploads.items()}
    # The bot token is part of the URL: log the outcome, never the URL or the exception text.
    url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"
    try:
        response = httpx.post(url, data=fields, files=files, timeout=bot.TIMEOUT)
    except httpx.HTTPError as error:
        logger.warning("Telegram %s failed: %s", method, type(error).__name__)
        return False
    if response.status_code != httpx.codes.OK:
        logger.warning("Telegram %s answered HTTP %s", method, response.status_code)
        return False
    return True
