"""Member card payloads: what the QR code holds and how the desk tells a real card from anything else.

Two kinds, both signed with the project's SECRET_KEY under salts of their own (so no other signed value of the
project — a session, a password-reset token — can pass for a card, and a card is no use anywhere else):

- the phone card `MC:<kid>:<client_id>:<timestamp>:<signature>` (TimestampSigner): valid MEMBER_CARD_MAX_AGE
  seconds (≤ 5 minutes), so a screenshot passed to a friend stops working;
- the printed card `MP:<kid>:<client_id>:<code>:<signature>` (Signer): valid as long as `code` is the member's
  current MemberCard code; reissuing the card revokes it.

`kid` names the signing key (a digest of it, never the key): a well-formed card whose kid is not one of ours was
signed by another installation's key ("foreign-signed"); one whose kid is ours but whose signature does not match
its content was altered ("tampered"). Anything not in these shapes (a bare id, a URL, random text) is "forged".
"""

import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

PHONE_PREFIX = "MC"
PRINTED_PREFIX = "MP"
PHONE_SALT = "attendance.member-card.phone"
PRINTED_SALT = "attendance.member-card.printed"

_PHONE_SHAPE = re.compile(r"^MC:(?P<kid>[0-9a-f]{8}):(?P<client>[1-9][0-9]{0,18}):[0-9A-Za-z]{1,12}:[\w-]{20,100}$")
_PRINTED_SHAPE = re.compile(
    r"^MP:(?P<kid>[0-9a-f]{8}):(?P<client>[1-9][0-9]{0,18}):(?P<code>[\w-]{8,32}):[\w-]{20,100}$"
)


class CardProblem:
    """Why a payload is refused (the 400's message names it)."""

    FORGED = "forged"
    TAMPERED = "tampered"
    FOREIGN = "foreign_signed"
    EXPIRED = "expired"
    REVOKED = "revoked"


MESSAGES = {
    CardProblem.FORGED: _("Not a member card (forged): this payload was not issued by the club."),
    CardProblem.TAMPERED: _("Tampered card: its signature does not match its content."),
    CardProblem.FOREIGN: _("Foreign-signed card: it was signed by another key, not by this club."),
    CardProblem.EXPIRED: _("Expired card: the member should reopen the card in the app and scan again."),
    CardProblem.REVOKED: _("Revoked card: this printed card was replaced by a newer one."),
}


class InvalidCard(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(MESSAGES[problem])
        self.problem = problem
        self.message = MESSAGES[problem]


@dataclass(frozen=True)
class Card:
    client_id: int
    printed_code: str | None = None  # set for a printed card: still to be compared with the current one


def _key_id(secret: str) -> str:
    # A public name of the key: an HMAC under it of a fixed string, so it reveals nothing about the key.
    return salted_hmac("attendance.member-card.kid", "kid", secret=secret, algorithm="sha256").hexdigest()[:8]


def _our_key_ids() -> set[str]:
    return {_key_id(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]}


def phone_card_payload(client_id: int) -> str:
    value = f"{PHONE_PREFIX}:{_key_id(settings.SECRET_KEY)}:{client_id}"
    return signing.TimestampSigner(salt=PHONE_SALT, algorithm="sha256").sign(value)


def printed_card_payload(client_id: int, code: str) -> str:
    value = f"{PRINTED_PREFIX}:{_key_id(settings.SECRET_KEY)}:{client_id}:{code}"
    return signing.Signer(salt=PRINTED_SALT, algorithm="sha256").sign(value)


def looks_like_card(text: str) -> bool:
    """A scan rather than a typed name: the desk page sends it to check-in instead of the name search."""
    return text.startswith((f"{PHONE_PREFIX}:", f"{PRINTED_PREFIX}:"))


def read_card(payload: str) -> Card:
    """The client a payload names, or InvalidCard saying why not. Printed codes are checked by the caller."""
    payload = payload.strip()
    if match := _PHONE_SHAPE.match(payload):
        signer = signing.TimestampSigner(salt=PHONE_SALT, algorithm="sha256")
        _check_key(match["kid"])
        try:
            signer.unsign(payload, max_age=settings.MEMBER_CARD_MAX_AGE)
        except signing.SignatureExpired:
            raise InvalidCard(CardProblem.EXPIRED) from None
        except signing.BadSignature:
            raise InvalidCard(CardProblem.TAMPERED) from None
        return Card(client_id=int(match["client"]))
    if match := _PRINTED_SHAPE.match(payload):
        _check_key(match["kid"])
        try:
            signing.Signer(salt=PRINTED_SALT, algorithm="sha256").unsign(payload)
        except signing.BadSignature:
            raise InvalidCard(CardProblem.TAMPERED) from None
        return Card(client_id=int(match["client"]), printed_code=match["code"])
    raise InvalidCard(CardProblem.FORGED)


def _check_key(kid: str) -> None:
    if kid not in _our_key_ids():
        raise InvalidCard(CardProblem.FOREIGN)


def same_code(current: str | None, presented: str) -> bool:
    return current is not None and hmac.compare_digest(current.encode(), presented.encode())
