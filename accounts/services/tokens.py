"""Tokens: the one place a login ends (a refresh/access pair), rotation, revocation, checks, the live-feed token."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import update_last_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token, UntypedToken

from accounts.authentication import ACCOUNT_GONE, refusal_message
from accounts.models import TelegramAuthUse, TelegramChallenge, User
from accounts.permissions import is_staff_member
from accounts.tokens import LiveFeedToken
from core.exceptions import InvalidCredentials

NO_ACCOUNT = gettext_lazy("No active account found with the given credentials.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@transaction.atomic
def tokens_issue(*, user: User) -> TokenPair:
    """The one place a login ends: a fresh refresh/access pair, and `last_login` moves."""
    if not user.is_active:
        raise InvalidCredentials(NO_ACCOUNT)
    refresh = RefreshToken.for_user(user)
    update_last_login(User, user)  # the signal receiver's (sender, user) call
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def live_feed_token_issue(*, user: User) -> LiveFeedToken:
    """A 2-minute token that opens only `WS /ws/live`, for a staff member's live page (accounts/tokens.py)."""
    if not is_staff_member(user):
        raise PermissionDenied(gettext("Only club staff (ADMIN or TRAINER) may watch live workouts."))
    return LiveFeedToken.for_user(user)


def _active_user_of(token: Token) -> User:
    user = User.objects.filter(pk=token.get("user_id"), deleted_at__isnull=True).first()
    if user is None:
        raise InvalidCredentials(ACCOUNT_GONE)
    return user


def _refresh_token(raw: str) -> RefreshToken:
    try:
        # Signature, expiry, type "refresh", blacklist. simplejwt annotates "Token | None" but reads the encoded token.
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as error:
        raise InvalidCredentials(refusal_message("refresh", error)) from error


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
        raise InvalidCredentials(refusal_message("refresh", TokenError("Token is blacklisted")))
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
        checked = UntypedToken(token)  # type: ignore[arg-type]  # as RefreshToken above
    except TokenError as error:
        raise InvalidCredentials(gettext("Token refused: %(reason)s.") % {"reason": error}) from error
    if BlacklistedToken.objects.filter(token__jti=checked.get("jti")).exists():
        raise InvalidCredentials(gettext("Token refused: Token is blacklisted."))
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
