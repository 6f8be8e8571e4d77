"""The bot's webhook: `/start <nonce>` questions, the Confirm / Deny buttons, `/start link-<nonce>` links."""

import hmac
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import bot
from accounts.models import ChallengePurpose, TelegramChallenge, User
from accounts.origin import Origin
from accounts.services.telegram import ALREADY_LINKED, LINK_PREFIX, challenge_digest, telegram_id_link


def telegram_webhook_secret_ok(header: str | None) -> bool:
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    # No configured secret means no webhook: an empty header must not match an empty secret.
    if not (secret and header):
        return False
    return hmac.compare_digest(header.encode(), secret.encode())


BotCall = tuple[str, dict[str, Any]]

# Challenges approved with the Confirm / Deny buttons, by the Telegram account linked now.
CONFIRMABLE = (ChallengePurpose.LOGIN, ChallengePurpose.UNLINK, ChallengePurpose.RELINK)
CONFIRM, DENY = "confirm", "deny"


def _open_challenge(nonce: str, purposes: tuple[str, ...]) -> TelegramChallenge | None:
    challenge = (
        TelegramChallenge.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(
            nonce_digest=challenge_digest(nonce),
            purpose__in=purposes,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    return challenge if challenge is not None and challenge.user.is_active else None


def _reply(telegram_id: int, text: str) -> list[BotCall]:
    return [("sendMessage", {"chat_id": telegram_id, "text": text})]


def _not_yours() -> str:
    return gettext("This request is not for your Telegram account; nothing was confirmed.")


def _question(challenge: TelegramChallenge) -> str:
    names = {"username": challenge.user.username, "telegram_id": challenge.telegram_id}
    asked = gettext("Asked from %(origin)s.") % {"origin": Origin(challenge.device, challenge.address).describe()}
    if challenge.purpose == ChallengePurpose.LOGIN:
        action = gettext("Log in to the club account %(username)s?") % names
    elif challenge.purpose == ChallengePurpose.UNLINK:
        action = gettext("Unlink this Telegram account from the club account %(username)s?") % names
    else:
        action = (
            gettext("Replace this Telegram account by Telegram id %(telegram_id)s on the club account %(username)s?")
            % names
        )
    # Outside the f-string: xgettext does not look inside one, and makemessages would drop the msgid.
    warning = gettext("Press Confirm only if it was you.")
    return f"{action}\n{asked}\n{warning}"


def _ask(*, telegram_id: int, nonce: str) -> list[BotCall]:
    """`/start <nonce>`: nothing is approved yet; the linked account gets the question with two buttons."""
    challenge = _open_challenge(nonce, CONFIRMABLE)
    if challenge is None:
        return _reply(telegram_id, gettext("This request is unknown or has expired. Start again in the app."))
    if challenge.user.telegram_id != telegram_id:
        return _reply(telegram_id, _not_yours())
    keyboard = {
        "inline_keyboard": [
            [
                {"text": gettext("Confirm"), "callback_data": f"{CONFIRM}:{nonce}"},
                {"text": gettext("Deny"), "callback_data": f"{DENY}:{nonce}"},
            ]
        ]
    }
    return [("sendMessage", {"chat_id": telegram_id, "text": _question(challenge), "reply_markup": keyboard})]


def _answer(*, telegram_id: int, answer: str, nonce: str) -> str:
    challenge = _open_challenge(nonce, CONFIRMABLE)
    if challenge is None:
        return gettext("This request is unknown, expired or already completed; nothing changed.")
    if challenge.user.telegram_id != telegram_id:
        return _not_yours()
    if challenge.denied_at is not None:
        return gettext("This request was denied already; start again in the app if it was you.")
    if answer == DENY:
        challenge.denied_at = timezone.now()
        challenge.save(update_fields=["denied_at"])
        return gettext("Denied: nothing changes. If you did not ask, change your club password.")
    if challenge.confirmed_at is None:
        challenge.confirmed_at = timezone.now()
        challenge.save(update_fields=["confirmed_at"])
    if challenge.purpose == ChallengePurpose.LOGIN:
        return gettext("Login of %(username)s confirmed. Return to the app.") % {"username": challenge.user.username}
    return gettext("Confirmed. Return to the app to finish.")


def _confirm_link(*, telegram_id: int, nonce: str) -> str:
    challenge = _open_challenge(nonce, (ChallengePurpose.LINK,))
    if challenge is None:
        return gettext("This link request is unknown or has expired. Ask the app for a new link.")
    if challenge.user.telegram_id not in (None, telegram_id):
        return str(ALREADY_LINKED)
    if User.objects.filter(telegram_id=telegram_id).exclude(pk=challenge.user_id).exists():
        return gettext("This Telegram account is already linked to another club account.")
    challenge.used_at = timezone.now()
    challenge.save(update_fields=["used_at"])
    telegram_id_link(challenge.user, telegram_id)
    return gettext("Your Telegram account is now linked to %(username)s.") % {"username": challenge.user.username}


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
        help_text = gettext(
            "Hi! I confirm logins and link accounts of the fitness club: use the link the club app shows you."
        )
        return _reply(telegram_id, help_text)
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
    if (
        isinstance(message, dict)
        and isinstance(chat, dict)
        and chat.get("id") == telegram_id
        and isinstance(message.get("message_id"), int)
    ):
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
        transaction.on_commit(partial(bot.call, method, payload))
    return calls
