import datetime
import io
import time

import pytest
import segno
from django.core import signing
from django.utils import formats, timezone, translation

from accounts.tests.factories import UserFactory
from attendance import cards
from bot.tests.conftest import GROUP_CHAT_ID, TELEGRAM_ID
from classes.models import Booking, BookingStatus, SessionStatus
from classes.services import booking_create
from classes.tests.factories import ClassSessionFactory
from club.tests.factories import ClientFactory
from notifications.models import NotificationKind, NotificationOptOut
from notifications.services import notification_preferences_get

pytestmark = pytest.mark.django_db

STRANGER = 777000999


def in_days(days: float, hour: int = 18) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


# --- /card ------------------------------------------------------------------------------------------------


def test_card_sends_the_members_signed_card_as_a_qr_photo_to_the_sender(member, write, telegram_bot, monkeypatch):
    # One signing second for the bot and for the expected payload, so both sign the same value.
    now = int(time.time())
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(now))
    expected_payload = cards.phone_card_payload(member.pk)
    expected_png = io.BytesIO()
    segno.make_qr(expected_payload, error="m").save(expected_png, kind="png", scale=10, border=4)

    write("/card")

    [photo] = telegram_bot.photos_to(TELEGRAM_ID)
    assert photo["photo"].startswith(b"\x89PNG\r\n\x1a\n")
    assert photo["photo"] == expected_png.getvalue()
    assert cards.read_card(expected_payload).client_id == member.pk  # what the desk's scanner accepts
    assert "show it at the desk" in photo["caption"]
    assert telegram_bot.messages_to(TELEGRAM_ID) == []


def test_a_card_that_cannot_be_uploaded_is_logged_and_the_update_still_acknowledged(member, write, settings, caplog):
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    assert write("/card").status_code == 200
    assert "Telegram sendPhoto failed: ConnectError" in caplog.text
    assert settings.TELEGRAM_BOT_TOKEN not in caplog.text


def test_card_of_an_account_without_a_client_profile_says_only_members_have_one(write, telegram_bot):
    UserFactory(telegram_id=TELEGRAM_ID)

    write("/card")

    assert telegram_bot.photos_to(TELEGRAM_ID) == []
    [reply] = telegram_bot.messages_to(TELEGRAM_ID)
    assert "Only club members have a member card" in reply


# --- /schedule --------------------------------------------------------------------------------------------


def test_schedule_lists_the_next_seven_days_with_spots_left(member, answer):
    yoga = ClassSessionFactory(class_type__name="Yoga flow", capacity=3, starts_at=in_days(1))
    booking_create(session=yoga, client=ClientFactory(expiration_date=in_days(30).date()))
    boxing = ClassSessionFactory(class_type__name="Boxing", capacity=1, starts_at=in_days(2))
    booking_create(session=boxing, client=ClientFactory(expiration_date=in_days(30).date()))
    mine = ClassSessionFactory(class_type__name="Pilates", starts_at=in_days(3))
    booking_create(session=mine, client=member)
    ClassSessionFactory(class_type__name="Next month", starts_at=in_days(8))
    ClassSessionFactory(class_type__name="Called off", starts_at=in_days(1, 9), status=SessionStatus.CANCELLED)

    reply = answer("/schedule")

    lines = reply.splitlines()
    assert "/book" in lines[0]
    assert len(lines) == 4
    when = formats.date_format(timezone.localtime(yoga.starts_at), "D j M, H:i")
    assert lines[1] == f"#{yoga.pk} {when} Yoga flow — 2 spots left"
    assert lines[2].startswith(f"#{boxing.pk} ")
    assert lines[2].endswith("Boxing — full, waitlist open")
    assert lines[3].startswith(f"#{mine.pk} ")
    assert lines[3].endswith("Pilates — you are booked")
    assert "Next month" not in reply
    assert "Called off" not in reply


def test_schedule_of_an_empty_week_says_so(member, answer):
    assert answer("/schedule") == "No classes in the next 7 days."


# --- /book ------------------------------------------------------------------------------------------------


def test_book_takes_a_spot_and_says_booked(member, answer):
    session = ClassSessionFactory(class_type__name="Yoga flow", starts_at=in_days(1))

    reply = answer(f"/book {session.pk}")

    assert reply.startswith("BOOKED: Yoga flow,")
    booking = Booking.objects.get(session=session, client=member)
    assert (booking.status, booking.booked_by) == (BookingStatus.BOOKED, member.user)


def test_book_of_a_full_class_says_the_waitlist_position(member, answer):
    session = ClassSessionFactory(class_type__name="Boxing", capacity=1, starts_at=in_days(1))
    booking_create(session=session, client=ClientFactory(expiration_date=in_days(30).date()))

    reply = answer(f"/book {session.pk}")

    assert reply.startswith("WAITLISTED #1: Boxing,")
    assert Booking.objects.get(session=session, client=member).waitlist_position == 1


def test_book_answers_the_domain_refusal(member, answer):
    session = ClassSessionFactory(starts_at=in_days(20))  # after Anna's membership ends (10 days)

    reply = answer(f"/book {session.pk}")

    assert reply == "Not booked: The membership is not active on the day of this class."
    assert not Booking.objects.filter(session=session).exists()


@pytest.mark.parametrize("argument", ["", "abc", "-3", "4.5", "1" * 19, "٣"])
def test_book_without_a_class_number_explains_the_command(member, answer, argument):
    assert answer(f"/book {argument}") == "Send /book with a class number from /schedule, for example /book 42."


def test_book_of_an_unknown_class_says_there_is_none(member, answer):
    assert answer("/book 987654") == "There is no class number 987654. See /schedule."
    assert not Booking.objects.exists()


# --- /me, /stop, /start, /help ----------------------------------------------------------------------------


def test_me_shows_the_membership_its_status_and_its_end(member, answer):
    reply = answer("/me")

    paid_until = formats.date_format(member.expiration_date, "j E Y")
    assert reply.splitlines() == [
        "Anna Petrova",
        "Membership: Premium",
        "Status: Active",
        f"Paid until: {paid_until}",
        "10 days left",
    ]


def test_me_of_a_lapsed_member_says_when_it_ended(answer):
    ClientFactory(user__telegram_id=TELEGRAM_ID, expiration_date=timezone.localdate() - datetime.timedelta(days=3))

    reply = answer("/me")

    assert "Status: Inactive" in reply
    assert reply.endswith("Ended 3 days ago")


def test_stop_switches_every_kind_off_and_says_how_to_turn_them_back_on(member, answer):
    NotificationOptOut.objects.create(user=member.user, kind=NotificationKind.RECEIPT)

    reply = answer("/stop")

    assert notification_preferences_get(user=member.user) == dict.fromkeys(NotificationKind.values, False)
    assert NotificationOptOut.objects.filter(user=member.user).count() == len(NotificationKind.values)
    assert "http://testserver/dashboard/notifications/" in reply


def test_start_without_a_payload_welcomes_the_member_with_the_commands(member, answer):
    reply = answer("/start")

    assert reply.startswith("Hello, Anna! This is the fitness club's bot.")
    assert all(command in reply for command in ["/card", "/schedule", "/book", "/me", "/stop", "/help"])


@pytest.mark.parametrize("text", ["/help", "hello there", "/unknown", "/HELP"])
def test_help_and_anything_unknown_get_the_list_of_commands(member, answer, text):
    reply = answer(text)

    assert reply.startswith("What I can do:")
    assert "/book <number>" in reply


# --- who is answered, and where ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["/card", "/me", "/book 1", "/stop", "/start", "hello"])
def test_an_unlinked_telegram_account_is_told_how_to_link(db, answer, telegram_bot, text):
    reply = answer(text, sender=STRANGER)

    assert "not linked to a fitness club account" in reply
    assert "http://testserver/" in reply
    assert telegram_bot.photos_to(STRANGER) == []
    assert not NotificationOptOut.objects.exists()


def test_a_deleted_account_is_treated_as_unlinked(member, answer):
    member.user.deleted_at = timezone.now()
    member.user.save(update_fields=["deleted_at"])

    assert "not linked" in answer("/me")


def test_a_command_in_a_group_is_answered_privately_never_in_the_group(member, write, telegram_bot):
    group = {"id": GROUP_CHAT_ID, "type": "supergroup", "title": "Gym friends"}

    write("/me@club_test_bot", chat=group)
    write("/card", chat=group)

    [reply] = telegram_bot.messages_to(TELEGRAM_ID)
    assert "Paid until" in reply
    assert len(telegram_bot.photos_to(TELEGRAM_ID)) == 1
    chats = {str(body.get("chat_id")) for _, body in telegram_bot.calls}
    assert chats == {str(TELEGRAM_ID)}


@pytest.mark.parametrize("text", ["hello everyone", "/me@SomeOtherBot"])
def test_group_talk_and_commands_for_other_bots_are_ignored(member, write, telegram_bot, text):
    write(text, chat={"id": GROUP_CHAT_ID, "type": "group", "title": "Gym friends"})

    assert telegram_bot.calls == []


def test_the_webhook_secret_still_guards_the_commands(member, write, telegram_bot):
    assert write("/stop", secret="wrong").status_code == 403

    assert telegram_bot.calls == []
    assert not NotificationOptOut.objects.exists()


# --- languages --------------------------------------------------------------------------------------------


def test_a_russian_telegram_app_gets_the_answer_rendered_in_russian(member, answer):
    reply = answer("/me", language_code="ru")

    # Django's own Russian catalog names the month: the answer was rendered with `ru` active.
    with translation.override("ru"):
        paid_until = formats.date_format(member.expiration_date, "j E Y")
    assert paid_until in reply
    assert paid_until.split()[1] != formats.date_format(member.expiration_date, "E")  # not the English name
    assert translation.get_language() != "ru"  # and the language was only borrowed for the answer
    member.user.refresh_from_db()
    assert member.user.language == "ru"  # remembered: notifications go out in it


@pytest.mark.parametrize("language_code", ["en", "de", "ru-RU", None])
def test_the_answer_language_follows_the_telegram_app(member, answer, language_code):
    reply = answer("/me", language_code=language_code)

    expected = "ru" if language_code == "ru-RU" else "en"
    with translation.override(expected):
        assert formats.date_format(member.expiration_date, "j E Y") in reply


def test_a_language_chosen_in_the_app_is_kept(member, answer):
    member.user.language = "en"
    member.user.save(update_fields=["language"])

    answer("/help", language_code="ru")

    member.user.refresh_from_db()
    assert member.user.language == "en"


def test_writing_to_the_bot_makes_a_member_reachable_again(member, answer):
    member.user.telegram_unreachable_at = timezone.now()
    member.user.save(update_fields=["telegram_unreachable_at"])

    answer("/help")

    member.user.refresh_from_db()
    assert member.user.telegram_unreachable_at is None
