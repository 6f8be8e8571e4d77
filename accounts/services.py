"""Every write of the accounts app: users, tokens, Telegram sign-in, linking and login confirmation."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from accounts.authentication import ACCOUNT_GONE, refusal_message
from accounts.bot import send_message
from accounts.exceptions import Gone, TelegramDisabled
from accounts.models import ChallengePurpose, Role, TelegramChallenge, User
from accounts.permissions import can_change_role, can_create_user_with_role, can_delete_user, is_staff_member
from accounts.selectors import user_for_telegram
from accounts.telegram import TelegramAuthError, TelegramIdentity, verify_login_widget, verify_webapp_init_data
from accounts.tokens import LiveFeedToken
from core.exceptions import ApplicationError

CHALLENGE_LIFETIME = timedelta(minutes=5)
# 24 random bytes = 192 bits, 32 URL-safe characters: "link-" + nonce still fits Telegram's
# 64-character /start parameter.
NONCE_BYTES = 24
LINK_PREFIX = "link-"

NO_ACCOUNT = "No active account found with the given credentials."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@dataclass(frozen=True)
class PendingLogin:
    verification_id: str
    telegram_link: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkInvitation:
    telegram_link: str
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _deep_link(payload: str) -> str:
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={payload}"


def _bot_token() -> str:
    if not settings.TELEGRAM_BOT_TOKEN:
        raise TelegramDisabled()
    return settings.TELEGRAM_BOT_TOKEN


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------
@transaction.atomic
def tokens_issue(*, user: User) -> TokenPair:
    """The one place a login ends: a fresh refresh/access pair, and `last_login` moves."""
    if not user.is_active:
        raise AuthenticationFailed(NO_ACCOUNT)
    refresh = RefreshToken.for_user(user)
    update_last_login(None, user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def live_feed_token_issue(*, user: User) -> LiveFeedToken:
    """A 2-minute token that opens only `WS /ws/live`, for a staff member's live page (accounts/tokens.py)."""
    if not is_staff_member(user):
        raise PermissionDenied("Only club staff (ADMIN or TRAINER) may watch live workouts.")
    return LiveFeedToken.for_user(user)


def _active_user_of(token: Any) -> User:
    user = User.objects.filter(pk=token.get("user_id"), deleted_at__isnull=True).first()
    if user is None:
        raise AuthenticationFailed(ACCOUNT_GONE)
    return user


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # signature, expiry, type "refresh", blacklist
    except TokenError as error:
        raise AuthenticationFailed(refusal_message("refresh", error)) from error


@transaction.atomic
def tokens_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is blacklisted and a new pair issued, exactly once.

    The outstanding row is locked, so two concurrent refreshes with the same token cannot both
    succeed (simplejwt's serializer checks and blacklists in two unlocked steps).
    """
    token = _refresh_token(refresh)
    user = _active_user_of(token)
    outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token["jti"]).first()
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise AuthenticationFailed(refusal_message("refresh", TokenError("Token is blacklisted")))
    BlacklistedToken.objects.create(token=outstanding)
    new_refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(new_refresh.access_token), refresh=str(new_refresh))


@transaction.atomic
def tokens_revoke(*, refresh: str) -> None:
    """Logout: the refresh token dies now; its access tokens expire within minutes."""
    _refresh_token(refresh).blacklist()


def token_verify(*, token: str) -> dict[str, Any]:
    """The claims of a token that would be accepted now: good signature, unexpired, not revoked, live user."""
    try:
        checked = UntypedToken(token)
    except TokenError as error:
        raise AuthenticationFailed(f"Token refused: {error}.") from error
    if BlacklistedToken.objects.filter(token__jti=checked.get("jti")).exists():
        raise AuthenticationFailed("Token refused: Token is blacklisted.")
    _active_user_of(checked)
    return checked.payload


@transaction.atomic
def tokens_flush_expired() -> int:
    """Keep the blacklist tables and pending challenges small: expired rows can never be used again."""
    now = timezone.now()
    # Blacklist rows go with their outstanding token (ON DELETE CASCADE).
    tokens, _ = OutstandingToken.objects.filter(expires_at__lt=now).delete()
    challenges, _ = TelegramChallenge.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return tokens + challenges


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
        raise AuthenticationFailed(NO_ACCOUNT)
    return user


def password_login(*, username: str, password: str, request: HttpRequest | None = None) -> TokenPair | PendingLogin:
    user = password_authenticate(username=username, password=password, request=request)
    if telegram_confirmation_required(user):
        return telegram_login_challenge_create(user=user)
    return tokens_issue(user=user)


@transaction.atomic
def telegram_login_challenge_create(*, user: User) -> PendingLogin:
    nonce, verification_id = secrets.token_urlsafe(NONCE_BYTES), secrets.token_urlsafe(NONCE_BYTES)
    created_at = timezone.now()
    challenge = TelegramChallenge.objects.create(
        user=user,
        purpose=ChallengePurpose.LOGIN,
        nonce_digest=_digest(nonce),
        verification_digest=_digest(verification_id),
        created_at=created_at,
        expires_at=created_at + CHALLENGE_LIFETIME,
    )
    return PendingLogin(
        verification_id=verification_id, telegram_link=_deep_link(nonce), expires_at=challenge.expires_at
    )


@transaction.atomic
def telegram_login_challenge_redeem(*, verification_id: str) -> User:
    """The user of a bot-confirmed login, once: 409 before the confirmation, 410 after use or expiry."""
    challenge = (
        TelegramChallenge.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(verification_digest=_digest(verification_id), purpose=ChallengePurpose.LOGIN)
        .first()
    )
    if challenge is None:
        raise NotFound("Unknown verification_id.")
    if challenge.used_at is not None:
        raise Gone("This login was already completed; log in again.")
    if challenge.expires_at <= timezone.now():
        raise Gone("This login request has expired; log in again.")
    if challenge.confirmed_at is None:
        raise ApplicationError("Not confirmed yet: open the Telegram link and press Start in the club bot.")
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    return challenge.user


@transaction.atomic
def telegram_login_complete(*, verification_id: str) -> TokenPair:
    return tokens_issue(user=telegram_login_challenge_redeem(verification_id=verification_id))


# ---------------------------------------------------------------------------
# Telegram sign-in and linking
# ---------------------------------------------------------------------------
def _verified(check, data: Any) -> TelegramIdentity:
    try:
        return check(data, bot_token=_bot_token(), max_age=settings.TELEGRAM_AUTH_MAX_AGE)
    except TelegramAuthError as error:
        raise AuthenticationFailed(str(error)) from error


def telegram_widget_identity(*, fields: dict[str, str]) -> TelegramIdentity:
    return _verified(verify_login_widget, fields)


def telegram_webapp_identity(*, init_data: str) -> TelegramIdentity:
    return _verified(verify_webapp_init_data, init_data)


def telegram_login(*, identity: TelegramIdentity) -> TokenPair:
    return tokens_issue(user=user_for_telegram(identity=identity))


@transaction.atomic
def telegram_link(*, user: User, telegram_id: int) -> User:
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=user.pk).exists():
        raise ApplicationError("This Telegram account is already linked to another club account.")
    user.telegram_id = telegram_id
    user.save(update_fields=["telegram_id"])
    return user


@transaction.atomic
def telegram_unlink(*, user: User) -> User:
    user.telegram_id = None
    user.save(update_fields=["telegram_id"])
    return user


@transaction.atomic
def telegram_link_invitation_create(*, user: User) -> LinkInvitation:
    _bot_token()
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    created_at = timezone.now()
    challenge = TelegramChallenge.objects.create(
        user=user,
        purpose=ChallengePurpose.LINK,
        nonce_digest=_digest(nonce),
        created_at=created_at,
        expires_at=created_at + CHALLENGE_LIFETIME,
    )
    return LinkInvitation(telegram_link=_deep_link(LINK_PREFIX + nonce), expires_at=challenge.expires_at)


# ---------------------------------------------------------------------------
# The bot's webhook
# ---------------------------------------------------------------------------
def telegram_webhook_secret_ok(header: str | None) -> bool:
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    # No configured secret means no webhook: an empty header must not match an empty secret.
    return bool(secret and header) and hmac.compare_digest(header.encode(), secret.encode())


def _open_challenge(nonce: str, purpose: str) -> TelegramChallenge | None:
    challenge = (
        TelegramChallenge.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(nonce_digest=_digest(nonce), purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return challenge if challenge is not None and challenge.user.is_active else None


def _confirm_login(*, telegram_id: int, nonce: str) -> str:
    challenge = _open_challenge(nonce, ChallengePurpose.LOGIN)
    if challenge is None:
        return "This login request is unknown or has expired. Log in again in the app."
    if challenge.user.telegram_id != telegram_id:
        return "This login request is not for your Telegram account; nothing was confirmed."
    if challenge.confirmed_at is None:
        challenge.confirmed_at = timezone.now()
        challenge.save(update_fields=["confirmed_at"])
    return f"Login of {challenge.user.username} confirmed. Return to the app."


def _confirm_link(*, telegram_id: int, nonce: str) -> str:
    challenge = _open_challenge(nonce, ChallengePurpose.LINK)
    if challenge is None:
        return "This link request is unknown or has expired. Ask the app for a new link."
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=challenge.user_id).exists():
        return "This Telegram account is already linked to another club account."
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    telegram_link(user=challenge.user, telegram_id=telegram_id)
    return f"Your Telegram account is now linked to {challenge.user.username}."


@transaction.atomic
def telegram_update_handle(*, update: dict[str, Any]) -> str | None:
    """Act on one bot update; answers `/start <nonce>` and `/start link-<nonce>`, ignores the rest.

    Returns the reply, which goes out through the Bot API once the transaction has committed.
    """
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    text, sender, chat = message.get("text"), message.get("from"), message.get("chat")
    if not (isinstance(text, str) and isinstance(sender, dict) and isinstance(chat, dict)):
        return None
    telegram_id, chat_id = sender.get("id"), chat.get("id")
    if not (isinstance(telegram_id, int) and isinstance(chat_id, int)):
        return None
    command, _, payload = text.strip().partition(" ")
    payload = payload.strip()
    if command.split("@")[0] != "/start" or not payload:
        reply = "Hi! I confirm logins and link accounts of the fitness club: use the link the club app shows you."
    elif payload.startswith(LINK_PREFIX):
        reply = _confirm_link(telegram_id=telegram_id, nonce=payload.removeprefix(LINK_PREFIX))
    else:
        reply = _confirm_login(telegram_id=telegram_id, nonce=payload)
    transaction.on_commit(lambda: send_message(chat_id=chat_id, text=reply))
    return reply


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------
@transaction.atomic
def user_create(*, actor: User, username: str, email: str, password: str, role: str = Role.USER) -> User:
    if not can_create_user_with_role(actor, role):
        raise PermissionDenied("Trainers may create users of role USER only.")
    user = User(username=username, email=User.objects.normalize_email(email), role=role)
    _set_password(user, password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **fields: Any) -> User:
    """Change username, email, role or password; a password change revokes the user's refresh tokens."""
    if "role" in fields and fields["role"] != user.role and not can_change_role(actor, user):
        raise PermissionDenied("Nobody can change their own role.")
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(user, name, value)
    if password is not None:
        _set_password(user, password)
    user.full_clean()
    user.save()
    if password is not None:
        _revoke_refresh_tokens(user)
    return user


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)


@transaction.atomic
def user_refresh_tokens_revoke(*, user: User) -> None:
    """Blacklist every live refresh token of the user (after a password change): it must log in again."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


def _revoke_refresh_tokens(user: User) -> None:
    user_refresh_tokens_revoke(user=user)


SELF_DELETION_REFUSED = "You cannot delete your own account."


@transaction.atomic
def user_soft_delete(*, user: User, actor: User | None = None) -> User:
    """Deactivate a user for good while keeping its history (trainings, sessions, payments).

    `is_active` follows `deleted_at`: sign-in and every access-token check refuse the user from now
    on, and its refresh tokens are blacklisted, so nothing it holds works a moment longer.
    """
    if actor is not None and not can_delete_user(actor, user):
        raise PermissionDenied(SELF_DELETION_REFUSED)
    if user.deleted_at is None:
        user.deleted_at = timezone.now()
        user.save(update_fields=["deleted_at"])
    _revoke_refresh_tokens(user)
    return user


@transaction.atomic
def user_restore(*, user: User) -> User:
    user.deleted_at = None
    user.save(update_fields=["deleted_at"])
    return user
