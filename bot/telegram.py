"""Bot API calls of the commands: JSON, or multipart when a call carries a file (`sendPhoto`)."""

from dataclasses import dataclass
from typing import Any

from accounts import bot
from accounts.services import BotCall


@dataclass(frozen=True)
class Upload:
    """A file sent in the call itself (multipart/form-data), as `sendPhoto` takes a new picture."""

    filename: str
    content: bytes
    content_type: str


__all__ = ["BotCall", "Upload", "call"]


def call(method: str, payload: dict[str, Any]) -> bool:
    """Make one Bot API call; False (logged, never raised) when it failed, as accounts.bot.call."""
    uploads = {name: value for name, value in payload.items() if isinstance(value, Upload)}
    if not uploads:
        return bot.call(method, payload)
    fields = {name: str(value) for name, value in payload.items() if name not in uploads}
    files = {name: (upload.filename, upload.content, upload.content_type) for name, upload in uploads.items()}
    return bot.call(method, fields, files=files)
