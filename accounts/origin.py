"""Who asked: the device and address named in the bot's confirmation messages."""

import re
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext
from rest_framework.throttling import BaseThrottle

DEVICE_MAX = 80

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
    ("curl", "curl"),
    ("python-httpx", "python-httpx"),
    ("python-requests", "python-requests"),
    ("okhttp", "okhttp"),
]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


@dataclass(frozen=True)
class Origin:
    device: str = ""
    address: str = ""

    def describe(self) -> str:
        return ", ".join(part for part in (self.device or gettext("an unknown device"), self.address) if part)


def short_device(user_agent: str) -> str:
    """ "Firefox on Windows" from a browser's User-Agent; anything else shortened to DEVICE_MAX characters.

    The text goes into a Telegram message: control characters are dropped, so a crafted header
    cannot forge extra lines of it.
    """
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    printable = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", user_agent).strip()
    return printable if len(printable) <= DEVICE_MAX else printable[: DEVICE_MAX - 1] + "…"


def request_origin(request: HttpRequest) -> Origin:
    # The address as the throttles see it: REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies.
    address = BaseThrottle().get_ident(request)
    return Origin(device=short_device(request.META.get("HTTP_USER_AGENT", "")), address=address[:45])
