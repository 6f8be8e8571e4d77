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
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from accounts import bot
from accounts.authentication import ACCOUNT_GONE, refusal_message
from accounts.exceptions import Denied, Gone, TelegramDisabled
from accounts.models import ChallengePurpose, Role, TelegramAuthUse, TelegramChallenge, User
from accounts.origin import Origin, request_origin
from accounts.permissions import can_change_role, can_create_user_with_role, can_delete_user, is_staff_member
from accounts.selectors import user_for_telegram
from accounts.telegram import (
    CLOCK_SKEW,
    TelegramAuthError,
    TelegramIdentity,
    verify_login_widget,
    verify_webapp_init_data,
)
from accounts.tokens import LiveFeedToken
from core.exceptions import ApplicationError

CHALLENGE_LIFETIME = timedelta(minutes=5)
# 24 random bytes = 192 bits, 32 URL-safe characters: "link-" + nonce still fits Telegram's
# 64-character /start parameter.
NONCE_BYTES = 24
LINK_PREFIX = "link-"

NO_ACCOUNT = "No active account found with the given credentials."
PAYLOAD_USED = "This Telegram sign-in data was already used; sign in with Telegram again."
PROOF_NEEDED = (
    "Changing the linked Telegram account needs your password, "
    'or send {"confirm_with": "telegram"} and confirm in the Telegram account linked now.'
)
ALREADY_LINKED = (
    "This club account is linked to another Telegram account: "
    "unlink it first (DELETE /api/auth/telegram/link/, with your password)."
)


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
    # A used Telegram payload needs remembering only while it would pass the age check.
    uses, _ = TelegramAuthUse.objects.filter(expires_at__lt=now).delete()
    return tokens + challenges + uses


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
        origin = request_origin(request) if request is not None else Origin()
        return telegram_login_challenge_create(user=user, origin=origin)
    return tokens_issue(user=user)


def _challenge_create(*, user: User, purpose: str, origin: Origin, telegram_id: int | None = None) -> PendingLogin:
    nonce, verification_id = secrets.token_urlsafe(NONCE_BYTES), secrets.token_urlsafe(NONCE_BYTES)
    created_at = timezone.now()
    challenge = TelegramChallenge.objects.create(
        user=user,
        purpose=purpose,
        nonce_digest=_digest(nonce),
        verification_digest=_digest(verification_id),
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
    challenge = challenges.filter(verification_digest=_digest(verification_id), purpose=purpose).first()
    if challenge is None:
        raise NotFound("Unknown verification_id.")
    if challenge.denied_at is not None:
        raise Denied("This request was denied in Telegram.")
    if challenge.used_at is not None:
        raise Gone("This request was already completed; start again.")
    if challenge.expires_at <= timezone.now():
        raise Gone("This request has expired; start again.")
    if challenge.confirmed_at is None:
        raise ApplicationError("Not confirmed yet: open the Telegram link, press Start, then Confirm in the club bot.")
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
def _verified(check, data: Any, *, max_age: int) -> TelegramIdentity:
    """A payload signed by Telegram, accepted once: a replay, from any process, is a 401.

    The INSERT of its digest is the check: the unique index lets one of two concurrent requests
    with the same payload through (the other waits for it and then fails), on every database.
    """
    try:
        identity = check(data, bot_token=_bot_token(), max_age=max_age)
    except TelegramAuthError as error:
        raise AuthenticationFailed(str(error)) from error
    try:
        with transaction.atomic():
            TelegramAuthUse.objects.create(
                digest=_digest(identity.signature),
                expires_at=identity.auth_date + timedelta(seconds=max_age) + CLOCK_SKEW,
            )
    except IntegrityError as error:
        raise AuthenticationFailed(PAYLOAD_USED) from error
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
        raise Denied("The password is incorrect.")


def _link(user: User, telegram_id: int) -> User:
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=user.pk).exists():
        raise ApplicationError("This Telegram account is already linked to another club account.")
    user.telegram_id = telegram_id
    user.save(update_fields=["telegram_id"])
    return user


@transaction.atomic
def telegram_link(*, user: User, telegram_id: int, password: str | None = None) -> User:
    """Link a Telegram account; replacing another linked one needs the password (or a RELINK confirmation)."""
    if user.telegram_id not in (None, telegram_id):
        _require_password(user, password)
    return _link(user, telegram_id)


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
        raise ApplicationError("No Telegram account is linked to confirm with.")
    if purpose == ChallengePurpose.RELINK and User.objects.filter(telegram_id=telegram_id).exclude(pk=user.pk).exists():
        raise ApplicationError("This Telegram account is already linked to another club account.")
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
    return _link(user, challenge.telegram_id)


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


BotCall = tuple[str, dict[str, Any]]

# Challenges approved with the Confirm / Deny buttons, by the Telegram account linked now.
CONFIRMABLE = (ChallengePurpose.LOGIN, ChallengePurpose.UNLINK, ChallengePurpose.RELINK)
CONFIRM, DENY = "confirm", "deny"
HELP = "Hi! I confirm logins and link accounts of the fitness club: use the link the club app shows you."


def _open_challenge(nonce: str, purposes: tuple[str, ...]) -> TelegramChallenge | None:
    challenge = (
        TelegramChallenge.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(nonce_digest=_digest(nonce), purpose__in=purposes, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return challenge if challenge is not None and challenge.user.is_active else None


def _reply(telegram_id: int, text: str) -> list[BotCall]:
    return [("sendMessage", {"chat_id": telegram_id, "text": text})]


def _question(challenge: TelegramChallenge) -> str:
    username = challenge.user.username
    asked = f"Asked from {Origin(challenge.device, challenge.address).describe()}."
    if challenge.purpose == ChallengePurpose.LOGIN:
        action = f"Log in to the club account {username}?"
    elif challenge.purpose == ChallengePurpose.UNLINK:
        action = f"Unlink this Telegram account from the club account {username}?"
    else:
        action = f"Replace this Telegram account by Telegram id {challenge.telegram_id} on the club account {username}?"
    return f"{action}\n{asked}\nPress Confirm only if it was you."


def _ask(*, telegram_id: int, nonce: str) -> list[BotCall]:
    """`/start <nonce>`: nothing is approved yet; the linked account gets the question with two buttons."""
    challenge = _open_challenge(nonce, CONFIRMABLE)
    if challenge is None:
        return _reply(telegram_id, "This request is unknown or has expired. Start again in the app.")
    if challenge.user.telegram_id != telegram_id:
        return _reply(telegram_id, "This request is not for your Telegram account; nothing was confirmed.")
    keyboard = {
        "inline_keyboard": [
            [
                {"text": "Confirm", "callback_data": f"{CONFIRM}:{nonce}"},
                {"text": "Deny", "callback_data": f"{DENY}:{nonce}"},
            ]
        ]
    }
    return [("sendMessage", {"chat_id": telegram_id, "text": _question(challenge), "reply_markup": keyboard})]


def _answer(*, telegram_id: int, answer: str, nonce: str) -> str:
    challenge = _open_challenge(nonce, CONFIRMABLE)
    if challenge is None:
        return "This request is unknown, expired or already completed; nothing changed."
    if challenge.user.telegram_id != telegram_id:
        return "This request is not for your Telegram account; nothing was confirmed."
    if challenge.denied_at is not None:
        return "This request was denied already; start again in the app if it was you."
    if answer == DENY:
        challenge.denied_at = timezone.now()
        challenge.save(update_fields=["denied_at"])
        return "Denied: nothing changes. If you did not ask, change your club password."
    if challenge.confirmed_at is None:
        challenge.confirmed_at = timezone.now()
        challenge.save(update_fields=["confirmed_at"])
    if challenge.purpose == ChallengePurpose.LOGIN:
        return f"Login of {challenge.user.username} confirmed. Return to the app."
    return "Confirmed. Return to the app to finish."


def _confirm_link(*, telegram_id: int, nonce: str) -> str:
    challenge = _open_challenge(nonce, (ChallengePurpose.LINK,))
    if challenge is None:
        return "This link request is unknown or has expired. Ask the app for a new link."
    if challenge.user.telegram_id not in (None, telegram_id):
        return ALREADY_LINKED
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=challenge.user_id).exists():
        return "This Telegram account is already linked to another club account."
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    _link(challenge.user, telegram_id)
    return f"Your Telegram account is now linked to {challenge.user.username}."


def _sender_id(payload: dict[str, Any]) -> int | None:
    sender = payload.get("from")
    telegram_id = sender.get("id") if isinstance(sender, dict) else None
    return telegram_id if isinstance(telegram_id, int) and not isinstance(telegram_id, bool) else None


def _message_calls(message: dict[str, Any]) -> list[BotCall]:
    text, telegram_id = message.get("text"), _sender_id(message)
    if not isinstance(text, str) or telegram_id is None:
        return []
    command, _, payload = text.strip().partition(" ")
    payload = payload.strip()
    if command.split("@")[0] != "/start" or not payload:
        return _reply(telegram_id, HELP)
    if payload.startswith(LINK_PREFIX):
        return _reply(telegram_id, _confirm_link(telegram_id=telegram_id, nonce=payload.removeprefix(LINK_PREFIX)))
    return _ask(telegram_id=telegram_id, nonce=payload)


def _callback_calls(query: dict[str, Any]) -> list[BotCall]:
    data, query_id, telegram_id = query.get("data"), query.get("id"), _sender_id(query)
    if not (isinstance(data, str) and isinstance(query_id, str) and telegram_id is not None):
        return []
    answer, _, nonce = data.partition(":")
    if answer not in (CONFIRM, DENY) or not nonce:
        return [("answerCallbackQuery", {"callback_query_id": query_id})]
    result = _answer(telegram_id=telegram_id, answer=answer, nonce=nonce)
    calls: list[BotCall] = [("answerCallbackQuery", {"callback_query_id": query_id, "text": result})]
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    # The question went to the user's private chat (its id is the user's): replace it by the outcome,
    # which removes the buttons. A message in any other chat is left alone.
    if isinstance(chat, dict) and chat.get("id") == telegram_id and isinstance(message.get("message_id"), int):
        calls.append(("editMessageText", {"chat_id": telegram_id, "message_id": message["message_id"], "text": result}))
    return calls


@transaction.atomic
def telegram_update_handle(*, update: dict[str, Any]) -> list[BotCall]:
    """Act on one bot update: `/start <nonce>`, `/start link-<nonce>` and the Confirm / Deny buttons.

    Every answer goes to the user who wrote or pressed (`from.id`), in its private chat with the
    bot, never to the chat the message came from: a group must not see whose login was confirmed.
    Returns the Bot API calls, made once the transaction has committed.
    """
    message, query = update.get("message"), update.get("callback_query")
    if isinstance(message, dict):
        calls = _message_calls(message)
    elif isinstance(query, dict):
        calls = _callback_calls(query)
    else:
        calls = []
    for method, payload in calls:
        transaction.on_commit(lambda method=method, payload=payload: bot.call(method, payload))
    return calls


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


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Remember the language the user chose for pages (and messages); "" goes back to the browser's."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    user.language = language
    user.save(update_fields=["language"])
    return user
