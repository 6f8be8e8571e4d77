"""What the club bot answers: the webhook's updates dispatched to the sign-in flows or to a command.

`/start <nonce>` and the Confirm / Deny buttons are the sign-in and linking flows of accounts; every
other message is a command of a linked member (`/card`, `/schedule`, `/book <id>`, `/me`, `/stop`,
`/help`). Answers go to the sender (`from.id`), in its private chat with the bot, in the language of
its Telegram app; they are Bot API calls made after the update's transaction committed.
"""

import datetime
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import telegram_update_handle
from attendance import cards
from attendance.permissions import has_member_card
from bot import telegram
from bot.selectors import user_for_sender
from bot.telegram import BotCall, Upload
from classes.models import BookingStatus, ClassSession, SessionStatus
from classes.selectors import session_list
from classes.services import booking_create
from club.models import Client
from core.exceptions import ApplicationError
from notifications.services import notification_opt_out_all, notification_recipient_seen

SCHEDULE_DAYS = 7
# A Telegram message holds 4096 characters: a busy week is cut with "and N more".
SCHEDULE_MAX_LINES = 40
# Ids are bigint: more digits than this cannot name a session (and would overflow the query).
MAX_ID_DIGITS = 18

Handler = Callable[["Sender", str], list[BotCall]]


@dataclass(frozen=True)
class Sender:
    """Who wrote: its Telegram id (where every answer goes), its club account, and the site's address."""

    telegram_id: int
    user: User
    site_url: str

    def page(self, view_name: str) -> str:
        return self.site_url.rstrip("/") + reverse(view_name)

    def say(self, text: str) -> list[BotCall]:
        return [("sendMessage", {"chat_id": self.telegram_id, "text": text})]


def telegram_update_dispatch(*, update: dict[str, Any], site_url: str) -> list[BotCall]:
    """Act on one webhook update; returns the Bot API calls, made once the transaction has committed.

    `site_url` is the site's public address (the webhook's own), for the links the answers carry.
    """
    message = update.get("message")
    sender = _sender(update)
    if sender is None:
        return []
    user = user_for_sender(telegram_id=sender["id"])
    with translation.override(_language(sender, user)):
        if _is_sign_in_flow(update):
            calls = telegram_update_handle(update=update)
        elif isinstance(message, dict):
            with transaction.atomic():
                calls = _message_handle(message, telegram_id=sender["id"], user=user, site_url=site_url)
                for method, payload in calls:
                    transaction.on_commit(functools.partial(telegram.call, method, payload))
        else:
            calls = []
    if user is not None:
        notification_recipient_seen(user=user, language=_telegram_language(sender) or "")
    return calls


def _sender(update: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("message", "callback_query"):
        payload = update.get(key)
        sender = payload.get("from") if isinstance(payload, dict) else None
        if isinstance(sender, dict):
            telegram_id = sender.get("id")
            if isinstance(telegram_id, int) and not isinstance(telegram_id, bool):
                return sender
    return None


def _telegram_language(sender: dict[str, Any]) -> str | None:
    """`ru` for a Russian Telegram app (`ru`, `ru-RU`), `en` for any other language, None when not told."""
    code = sender.get("language_code")
    if not isinstance(code, str) or not code:
        return None
    return "ru" if code.lower().split("-")[0] == "ru" else "en"


def _language(sender: dict[str, Any], user: User | None) -> str:
    # The Telegram app's language first (the SPEC); without one, the language of the club account.
    return _telegram_language(sender) or (user.language if user is not None and user.language else "en")


def _split(text: str) -> tuple[str, str, str]:
    """`/Book@ClubBot 42` → ("/book", "ClubBot", "42")."""
    head, _space, argument = text.strip().partition(" ")
    command, _at, addressee = head.partition("@")
    return command.lower(), addressee, argument.strip()


def _is_sign_in_flow(update: dict[str, Any]) -> bool:
    if isinstance(update.get("callback_query"), dict):
        return True
    message = update.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return False
    command, _addressee, argument = _split(text)
    return command == "/start" and bool(argument)


def _message_handle(message: dict[str, Any], *, telegram_id: int, user: User | None, site_url: str) -> list[BotCall]:
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        return []
    chat = message.get("chat")
    private = isinstance(chat, dict) and chat.get("type") == "private"
    command, addressee, argument = _split(text)
    is_command = command.startswith("/")
    # In a group the bot answers only commands, and privately: a plain message there is talk between
    # members, and a member's card, membership or bookings are nobody else's business.
    if not private and not is_command:
        return []
    if addressee and addressee.lower() != settings.TELEGRAM_BOT_USERNAME.lower():
        return []  # `/help@OtherBot` in a group is for another bot
    if user is None:
        return [("sendMessage", {"chat_id": telegram_id, "text": _link_instruction(site_url)})]
    sender = Sender(telegram_id=telegram_id, user=user, site_url=site_url)
    handler = COMMANDS.get(command, _help) if is_command else _help
    return handler(sender, argument)


def _link_instruction(site_url: str) -> str:
    return _(
        "This Telegram account is not linked to a fitness club account yet, so I cannot show your card or "
        "book classes.\n\nTo link it: sign in to the club app (%(site)s) with your username and password and "
        "choose “Link Telegram”. It opens this bot with a one-time link: press Start. Then send /help."
    ) % {"site": site_url}


def _help_text() -> str:
    return _(
        "What I can do:\n"
        "/card — your member card: a QR code to show at the desk\n"
        "/schedule — classes of the next %(days)s days with spots left\n"
        "/book <number> — book a class from /schedule\n"
        "/me — your membership and when it ends\n"
        "/stop — no more notifications from the club\n"
        "/help — this list"
    ) % {"days": SCHEDULE_DAYS}


def _help(sender: Sender, argument: str) -> list[BotCall]:
    return sender.say(_help_text())


def _welcome(sender: Sender, argument: str) -> list[BotCall]:
    greeting = _("Hello, %(name)s! This is the fitness club's bot.") % {"name": _display_name(sender.user)}
    return sender.say(f"{greeting}\n\n{_help_text()}")


def _display_name(user: User) -> str:
    client = _client(user)
    return client.first_name if client is not None else user.username


def _client(user: User) -> Client | None:
    client: Client | None = getattr(user, "client", None)  # a reverse one-to-one: absent for staff
    return client


def _when(moment: datetime.datetime) -> str:
    # Django's own catalogs name the days and months in the active language ("Пн 7 дек" in Russian).
    return formats.date_format(timezone.localtime(moment), "D j M, H:i")


def _card(sender: Sender, argument: str) -> list[BotCall]:
    client = _client(sender.user)
    if client is None or not has_member_card(sender.user):
        return sender.say(_("Only club members have a member card. Ask the front desk to sign you up."))
    # The same signed, short-lived payload as GET /api/me/card/: a forwarded picture soon stops working.
    payload = cards.phone_card_payload(client.pk)
    picture = io.BytesIO()
    segno.make_qr(payload, error="m").save(picture, kind="png", scale=10, border=4)
    valid_until = timezone.localtime(timezone.now() + datetime.timedelta(seconds=settings.MEMBER_CARD_MAX_AGE))
    caption = _("Your member card: show it at the desk. It works until %(time)s; send /card again for a fresh one.") % {
        "time": formats.time_format(valid_until, "H:i")
    }
    upload = Upload(filename="card.png", content=picture.getvalue(), content_type="image/png")
    return [("sendPhoto", {"chat_id": sender.telegram_id, "caption": caption, "photo": upload})]


def _places(session: ClassSession) -> str:
    # `my_bookings` (the sender's own, prefetched) and `booked` (a count) are annotations of session_list.
    my_bookings = session.my_bookings  # type: ignore[attr-defined]
    mine = my_bookings[0] if my_bookings else None
    if mine is not None and mine.status == BookingStatus.WAITLISTED:
        return _("you are #%(position)s on the waitlist") % {"position": mine.waitlist_position}
    if mine is not None:
        return _("you are booked")
    left = session.capacity - session.booked  # type: ignore[attr-defined]
    if left <= 0:
        return _("full, waitlist open")
    return ngettext("%(count)s spot left", "%(count)s spots left", left) % {"count": left}


def _schedule(sender: Sender, argument: str) -> list[BotCall]:
    today = timezone.localdate()
    sessions = list(
        session_list(
            user=sender.user, date_from=today, date_to=today + datetime.timedelta(days=SCHEDULE_DAYS - 1)
        ).filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())[: SCHEDULE_MAX_LINES + 1]
    )
    if not sessions:
        return sender.say(_("No classes in the next %(days)s days.") % {"days": SCHEDULE_DAYS})
    lines = [_("Classes of the next %(days)s days. Book one with /book <number>.") % {"days": SCHEDULE_DAYS}]
    lines += [
        _("#%(number)s %(when)s %(name)s — %(places)s")
        % {
            "number": session.pk,
            "when": _when(session.starts_at),
            "name": session.class_type.name,
            "places": _places(session),
        }
        for session in sessions[:SCHEDULE_MAX_LINES]
    ]
    if len(sessions) > SCHEDULE_MAX_LINES:
        lines.append(_("…and more later in the week: the list is cut to fit one message."))
    return sender.say("\n".join(lines))


def _book(sender: Sender, argument: str) -> list[BotCall]:
    number = argument.removeprefix("#")
    if not (number.isdigit() and number.isascii() and len(number) <= MAX_ID_DIGITS):
        return sender.say(_("Send /book with a class number from /schedule, for example /book 42."))
    client = _client(sender.user)
    if client is None:
        return sender.say(_("Only club members book classes. Ask the front desk to sign you up."))
    session = session_list(user=sender.user).filter(pk=int(number)).first()
    if session is None:
        return sender.say(_("There is no class number %(number)s. See /schedule.") % {"number": number})
    described = {"name": session.class_type.name, "when": _when(session.starts_at)}
    try:
        booking = booking_create(session=session, client=client, actor=sender.user)
    except ApplicationError as refusal:
        return sender.say(_("Not booked: %(reason)s") % {"reason": refusal.message})
    except ValidationError as refusal:
        return sender.say(_("Not booked: %(reason)s") % {"reason": " ".join(refusal.messages)})
    if booking.status == BookingStatus.WAITLISTED:
        return sender.say(
            _(
                "WAITLISTED #%(position)s: %(name)s, %(when)s is full. You get the spot as soon as someone "
                "ahead of you cancels, and I will tell you."
            )
            % {"position": booking.waitlist_position, **described}
        )
    return sender.say(_("BOOKED: %(name)s, %(when)s. See you there!") % described)


def _me(sender: Sender, argument: str) -> list[BotCall]:
    client = _client(sender.user)
    if client is None:
        return sender.say(
            _("Your club account %(username)s has no membership. Ask the front desk.")
            % {"username": sender.user.username}
        )
    membership = client.membership
    level = membership.get_access_level_display() if membership.access_level else _("Membership")
    lines = [
        str(client),
        _("Membership: %(name)s") % {"name": level},
        _("Status: %(status)s") % {"status": client.current_status_display},
    ]
    if client.expiration_date is None:
        lines.append(_("Paid until: no paid period yet"))
    else:
        days_left = (client.expiration_date - timezone.localdate()).days
        lines.append(_("Paid until: %(date)s") % {"date": formats.date_format(client.expiration_date, "j E Y")})
        if days_left >= 0:
            lines.append(ngettext("%(count)s day left", "%(count)s days left", days_left) % {"count": days_left})
        else:
            lines.append(
                ngettext("Ended %(count)s day ago", "Ended %(count)s days ago", -days_left) % {"count": -days_left}
            )
    return sender.say("\n".join(lines))


def _stop(sender: Sender, argument: str) -> list[BotCall]:
    notification_opt_out_all(user=sender.user)
    return sender.say(
        _(
            "Done: the club sends you no more notifications here (commands still work). To turn them back on, "
            "tick them on your Notifications page: %(url)s"
        )
        % {"url": sender.page("notifications:preferences")}
    )


COMMANDS: dict[str, Handler] = {
    "/start": _welcome,
    "/help": _help,
    "/card": _card,
    "/schedule": _schedule,
    "/book": _book,
    "/me": _me,
    "/stop": _stop,
}
