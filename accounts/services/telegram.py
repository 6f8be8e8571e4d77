"""Telegram as a second factor and a way in: password logins confirmed in the bot, signed sign-in data,
linking, unlinking and replacing the linked account."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.exceptions import Denied, NotConfirmedYet, TelegramDisabled
from accounts.models import ChallengePurpose, TelegramAuthUse, TelegramChallenge, User
from accounts.origin import Origin, request_origin
from accounts.selectors import user_for_telegram
from accounts.services.tokens import NO_ACCOUNT, TokenPair, tokens_issue
from accounts.telegram import (
    CLOCK_SKEW,
    TelegramAuthError,
    TelegramIdentity,
    verify_login_widget,
    verify_webapp_init_data,
)
from core.exceptions import ApplicationError, Expired, InvalidCredentials, ObjectNotFound

CHALLENGE_LIFETIME = timedelta(minutes=5)
# 24 random bytes = 192 bits, 32 URL-safe characters: "link-" + nonce still fits Telegram's
# 64-character /start parameter.
NONCE_BYTES = 24
LINK_PREFIX = "link-"

PAYLOAD_USED = gettext_lazy("This Telegram sign-in data was already used; sign in with Telegram again.")
PROOF_NEEDED = gettext_lazy(
    "Changing the linked Telegram account needs your password, "
    'or send {"confirm_with": "telegram"} and confirm in the Telegram account linked now.'
)
ALREADY_LINKED = gettext_lazy(
    "This club account is linked to another Telegram account: "
    "unlink it first (DELETE /api/auth/telegram/link/, with your password)."
)
LINKED_ELSEWHERE = gettext_lazy("This Telegram account is already linked to another club account.")


@dataclass(frozen=True)
class PendingLogin:
    verification_id: str
    telegram_link: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkInvitation:
    telegram_link: str
    expires_at: datetime


def challenge_digest(secret: str) -> str:
    """How a nonce or verification_id is stored: only its SHA-256 (a database read gives nothing to replay)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _deep_link(payload: str) -> str:
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={payload}"


def _bot_token() -> str:
    token: str = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise TelegramDisabled()
    return token


# ---------------------------------------------------------------------------
# Password login, optionally confirmed in Telegram
# ---------------------------------------------------------------------------
def telegram_confirmation_required(user: User) -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN and user.telegram_id)


def password_authenticate(*, username: str, password: str, request: HttpRequest | None = None) -> User:
    # Django's backend refuses inactive (soft-deleted) users and hashes even for unknown names,
    # so the answer time does not tell which usernames exist.
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidCredentials(NO_ACCOUNT)
    return user


def password_login(*, username: str, password: str, request: HttpRequest | None = None) -> TokenPair | PendingLogin:
    user = password_authenticate(username=username, password=password, request=request)
    if telegram_confirmation_required(user):
        origin = request_origin(request) if request is not None else Origin()
        return telegram_login_challenge_create(user=user, origin=origin)
    return tokens_issue(user=user)


def _challenge_create(*, user: User, purpose: str, origin: Origin, telegram_id: int | None = None) -> PendingLogin:
    nonce, verification_id = secrets.token_urlsafe(NONCE_BYTES), secrets.token_urlsafe(NONCE_BYTES)
    created_at = timezone.now()
    challenge = TelegramChallenge.objects.create(
        user=user,
        purpose=purpose,
        nonce_digest=challenge_digest(nonce),
        verification_digest=challenge_digest(verification_id),
        created_at=created_at,
        expires_at=created_at + CHALLENGE_LIFETIME,
        device=origin.device[:80],
        address=origin.address[:45],
        telegram_id=telegram_id,
    )
    return PendingLogin(
        verification_id=verification_id, telegram_link=_deep_link(nonce), expires_at=challenge.expires_at
    )


@transaction.atomic
def telegram_login_challenge_create(*, user: User, origin: Origin | None = None) -> PendingLogin:
    return _challenge_create(user=user, purpose=ChallengePurpose.LOGIN, origin=origin or Origin())


def _redeemable(verification_id: str, purpose: str, *, user: User | None = None) -> TelegramChallenge:
    """The challenge behind a verification_id, locked: 404 unknown, 403 denied, 410 used or expired, 409 pending."""
    challenges = TelegramChallenge.objects.select_for_update(of=("self",)).select_related("user")
    if user is not None:
        challenges = challenges.filter(user=user)
    challenge = challenges.filter(verification_digest=challenge_digest(verification_id), purpose=purpose).first()
    if challenge is None:
        raise ObjectNotFound(gettext("Unknown verification_id."))
    if challenge.denied_at is not None:
        raise Denied(gettext("This request was denied in Telegram."))
    if challenge.used_at is not None:
        raise Expired(gettext("This request was already completed; start again."))
    if challenge.expires_at <= timezone.now():
        raise Expired(gettext("This request has expired; start again."))
    if challenge.confirmed_at is None:
        raise NotConfirmedYet(
            gettext("Not confirmed yet: open the Telegram link, press Start, then Confirm in the club bot.")
        )
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    return challenge


@transaction.atomic
def telegram_login_challenge_redeem(*, verification_id: str) -> User:
    """The user of a bot-confirmed login, once: 409 before the confirmation, 403 denied, 410 after use or expiry."""
    return _redeemable(verification_id, ChallengePurpose.LOGIN).user


@transaction.atomic
def telegram_login_complete(*, verification_id: str) -> TokenPair:
    return tokens_issue(user=telegram_login_challenge_redeem(verification_id=verification_id))


# ---------------------------------------------------------------------------
# Telegram sign-in and linking
# ---------------------------------------------------------------------------
def _verified(check: Callable[..., TelegramIdentity], data: object, *, max_age: int) -> TelegramIdentity:
    """A payload signed by Telegram, accepted once: a replay, from any process, is a 401.

    The INSERT of its digest is the check: the unique index lets one of two concurrent requests
    with the same payload through (the other waits for it and then fails), on every database.
    """
    try:
        identity = check(data, bot_token=_bot_token(), max_age=max_age)
    except TelegramAuthError as error:
        raise InvalidCredentials(str(error)) from error
    try:
        with transaction.atomic():
            TelegramAuthUse.objects.create(
                digest=challenge_digest(identity.signature),
                expires_at=identity.auth_date + timedelta(seconds=max_age) + CLOCK_SKEW,
            )
    except IntegrityError as error:
        raise InvalidCredentials(PAYLOAD_USED) from error
    return identity


def telegram_widget_identity(*, fields: dict[str, str]) -> TelegramIdentity:
    return _verified(verify_login_widget, fields, max_age=settings.TELEGRAM_AUTH_MAX_AGE)


def telegram_webapp_identity(*, init_data: str) -> TelegramIdentity:
    return _verified(verify_webapp_init_data, init_data, max_age=settings.TELEGRAM_AUTH_MAX_AGE)


def telegram_link_widget_identity(*, fields: dict[str, str]) -> TelegramIdentity:
    """Widget data sent to link an account: single-use too, with its own age limit (TELEGRAM_LINK_MAX_AGE)."""
    return _verified(verify_login_widget, fields, max_age=settings.TELEGRAM_LINK_MAX_AGE)


def telegram_login(*, identity: TelegramIdentity) -> TokenPair:
    return tokens_issue(user=user_for_telegram(identity=identity))


def _require_password(user: User, password: str | None) -> None:
    """The fresh proof that changing the second factor needs when no Telegram confirmation is given.

    The caller counts the attempt against the per-username login limit (accounts.throttles).
    """
    if not password:
        raise ValidationError({"password": [PROOF_NEEDED]})
    if not user.check_password(password):
        raise Denied(gettext("The password is incorrect."))


def telegram_id_link(user: User, telegram_id: int) -> User:
    """Set the user's linked Telegram account, refused when another club account has it (inside a caller's
    transaction: every way of linking ends here)."""
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=user.pk).exists():
        raise ApplicationError(LINKED_ELSEWHERE)
    user.telegram_id = telegram_id
    user.save(update_fields=["telegram_id"])
    return user


@transaction.atomic
def telegram_link(*, user: User, telegram_id: int, password: str | None = None) -> User:
    """Link a Telegram account; replacing another linked one needs the password (or a RELINK confirmation)."""
    if user.telegram_id not in (None, telegram_id):
        _require_password(user, password)
    return telegram_id_link(user, telegram_id)


@transaction.atomic
def telegram_link_with_widget(
    *, user: User, fields: dict[str, str], password: str | None, confirm_in_telegram: bool, origin: Origin
) -> User | PendingLogin:
    """Link the Telegram account of widget data; one transaction, so a refused proof does not use up the data."""
    identity = telegram_link_widget_identity(fields=fields)
    if confirm_in_telegram and user.telegram_id not in (None, identity.id):
        relink = ChallengePurpose.RELINK
        return telegram_change_request(user=user, purpose=relink, origin=origin, telegram_id=identity.id)
    return telegram_link(user=user, telegram_id=identity.id, password=password)


@transaction.atomic
def telegram_unlink(*, user: User, password: str | None = None) -> User:
    """Remove the second factor: the password is required (or an UNLINK confirmation, below)."""
    if user.telegram_id is None:
        return user
    _require_password(user, password)
    user.telegram_id = None
    user.save(update_fields=["telegram_id"])
    return user


@transaction.atomic
def telegram_change_request(
    *, user: User, purpose: str, origin: Origin, telegram_id: int | None = None
) -> PendingLogin:
    """Ask the linked Telegram account to approve an UNLINK, or a RELINK to `telegram_id`."""
    _bot_token()
    if user.telegram_id is None:
        raise ApplicationError(gettext("No Telegram account is linked to confirm with."))
    if purpose == ChallengePurpose.RELINK and User.objects.filter(telegram_id=telegram_id).exclude(pk=user.pk).exists():
        raise ApplicationError(LINKED_ELSEWHERE)
    return _challenge_create(user=user, purpose=purpose, origin=origin, telegram_id=telegram_id)


@transaction.atomic
def telegram_change_complete(*, user: User, verification_id: str, purpose: str) -> User:
    """Carry out an UNLINK or RELINK the linked Telegram account confirmed, once."""
    challenge = _redeemable(verification_id, purpose, user=user)
    user = challenge.user
    if purpose == ChallengePurpose.UNLINK:
        user.telegram_id = None
        user.save(update_fields=["telegram_id"])
        return user
    assert challenge.telegram_id is not None  # a RELINK challenge names the new account (telegram_change_request)
    return telegram_id_link(user, challenge.telegram_id)


@transaction.atomic
def telegram_link_invitation_create(*, user: User) -> LinkInvitation:
    _bot_token()
    if user.telegram_id is not None:
        raise ApplicationError(ALREADY_LINKED)
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    created_at = timezone.now()
    challenge = TelegramChallenge.objects.create(
        user=user,
        purpose=ChallengePurpose.LINK,
        nonce_digest=challenge_digest(nonce),
        created_at=created_at,
        expires_at=created_at + CHALLENGE_LIFETIME,
    )
    return LinkInvitation(telegram_link=_deep_link(LINK_PREFIX + nonce), expires_at=challenge.expires_at)
