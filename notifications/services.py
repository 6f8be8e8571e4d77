"""The notification outbox: rows written beside their cause, sent after commit by a Celery task."""

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Expression, F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from notifications import sending
from notifications.messages import render
from notifications.models import Notification, NotificationKind, NotificationOptOut, NotificationStatus
from notifications.ratelimit import LimiterUnavailable, get_rate_limiter
from notifications.sending import Answer
from notifications.tasks import send_notification

logger = logging.getLogger(__name__)


# Why a row is SKIPPED (staff read them in the admin; the member never sees them). One list for the
# single path below and the SQL of the bulk path, so both skip for the same reasons.
# Stored in English (the row is one record for every reader); pages translate them when shown.
NOT_LINKED = gettext_noop("No Telegram account linked.")
UNREACHABLE = gettext_noop("The member blocked the bot.")
OPTED_OUT = gettext_noop("The member switched this kind off.")


def _skip_reason(user: User, kind: str) -> str:
    if user.telegram_id is None:
        return NOT_LINKED
    if user.telegram_unreachable_at is not None:
        return UNREACHABLE
    if NotificationOptOut.objects.filter(user=user, kind=kind).exists():
        return OPTED_OUT
    return ""


def notification_queue(
    *, user: User, kind: NotificationKind, dedupe_key: str, context: dict[str, Any] | None = None
) -> Notification:
    """Write the outbox row for `kind` in the caller's transaction; the send is queued on commit.

    A second call with the same `dedupe_key` returns the first row and queues nothing: one
    notification per event, ever. A member without a reachable Telegram gets a SKIPPED row, so the
    staff see why nothing was sent.
    """
    reason = _skip_reason(user, kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                dedupe_key=dedupe_key,
                context=context or {},
                status=NotificationStatus.SKIPPED if reason else NotificationStatus.QUEUED,
                error=reason,
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)
    if not reason:
        transaction.on_commit(lambda: send_notification.delay(notification.pk))
    return notification


class BulkQueued(NamedTuple):
    written: int  # rows inserted now (QUEUED or SKIPPED); events notified before are not counted
    queued: int  # of those, the QUEUED ones whose send was queued on commit


def notifications_queue_many(
    *,
    kind: NotificationKind,
    source: QuerySet[Any],
    user_id: Expression | F,
    dedupe_key: Expression,
    context: Expression,
) -> BulkQueued:
    """`notification_queue` for every row of `source`, in one INSERT … SELECT … ON CONFLICT DO NOTHING.

    `user_id`, `dedupe_key` and `context` are expressions over `source`'s model (a `JSONObject` for
    the context), so the candidates are found, checked and written by the database in one statement
    whatever their number. The SKIPPED rules of `notification_queue` are the same, in SQL. A row whose
    `dedupe_key` exists already is left alone: running it again, or two runs racing (the unique index
    decides), writes and queues nothing new. Sends of the QUEUED rows written now are queued on commit.
    """
    rows = (
        source.order_by()
        .annotate(notification_user=user_id, notification_key=dedupe_key, notification_context=context)
        .values_list("notification_user", "notification_key", "notification_context")
    )
    try:
        source_sql, source_params = rows.query.sql_with_params()
    except EmptyResultSet:  # a filter such as pk__in=[] that Django knows matches nothing
        return BulkQueued(written=0, queued=0)
    qn = connection.ops.quote_name
    notifications, opt_outs = qn(Notification._meta.db_table), qn(NotificationOptOut._meta.db_table)
    users = qn(User._meta.db_table)
    # Table names are our models' own; every value is a parameter. NOT EXISTS skips the events told
    # before through the unique index (without it each run would burn an id of the sequence per
    # candidate); ON CONFLICT settles two runs racing. A WHERE before ON CONFLICT is also what lets
    # SQLite parse it (it would read it as a join's ON otherwise).
    sql = f"""
        INSERT INTO {notifications} (user_id, kind, status, error, attempts, dedupe_key, context, created_at)
        SELECT candidate.user_id, %s, CASE WHEN candidate.reason = '' THEN %s ELSE %s END,
               candidate.reason, 0, candidate.dedupe_key, candidate.context, %s
        FROM (
            SELECT source.notification_user AS user_id, source.notification_key AS dedupe_key,
                   source.notification_context AS context,
                   CASE WHEN member.telegram_id IS NULL THEN %s
                        WHEN member.telegram_unreachable_at IS NOT NULL THEN %s
                        WHEN EXISTS (SELECT 1 FROM {opt_outs} opt_out
                                     WHERE opt_out.user_id = member.id AND opt_out.kind = %s) THEN %s
                        ELSE '' END AS reason
            FROM ({source_sql}) source JOIN {users} member ON member.id = source.notification_user
        ) candidate
        WHERE NOT EXISTS (SELECT 1 FROM {notifications} told WHERE told.dedupe_key = candidate.dedupe_key)
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, status
    """  # noqa: S608
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [
        str(kind),
        str(NotificationStatus.QUEUED),
        str(NotificationStatus.SKIPPED),
        now,
        NOT_LINKED,
        UNREACHABLE,
        str(kind),
        OPTED_OUT,
        *source_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchall()
    queued = [pk for pk, status in written if status == NotificationStatus.QUEUED]
    if queued:
        transaction.on_commit(lambda: _send_each(queued))
    return BulkQueued(written=len(written), queued=len(queued))


def _send_each(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        send_notification.delay(notification_id)


@dataclass(frozen=True)
class SendOutcome:
    """What a send did: `status` is the row's afterwards; `retry_in` (seconds) asks the task to run again."""

    status: str
    retry_in: float | None = None
    note: str = ""


# When Redis cannot be asked, nothing is sent and the claim is given back: the task comes back after this long.
LIMITER_DOWN_RETRY_SECONDS = 5.0
# A slot is used within this long of the limiter's yes, or given up: a thread that stalled (a loaded
# host, the GIL) would otherwise send in another slot's time, and several such at once break the limit.
PERMIT_MAX_AGE_SECONDS = 0.05
STALE_CLAIM_ERROR = gettext_noop(
    "The worker stopped while Telegram was being called: the message may or may not have reached the member. "
    "Not sent again (at most once)."
)


def _backoff(attempts: int) -> float:
    first: float = settings.NOTIFICATION_RETRY_BACKOFF_SECONDS
    cap: float = settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS
    return min(first * float(2 ** max(attempts - 1, 0)), cap)


def _finish(notification: Notification, claim: datetime.datetime, **fields: Any) -> None:
    # Only the holder of this claim writes the outcome (the sweeper could have ended a very old one).
    Notification.objects.filter(pk=notification.pk, claimed_at=claim, status=NotificationStatus.QUEUED).update(**fields)


def notification_send(
    *,
    notification_id: int,
    max_inline_wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendOutcome:
    """Send one QUEUED notification through the Bot API, at most once, within Telegram's limits.

    Runs outside any transaction (a task): each step commits on its own. Order:

    1. a row that is no longer QUEUED, or that a worker has claimed, is left alone — this is what
       makes a redelivered or duplicated task harmless;
    2. the row is claimed (`claimed_at`, `attempts + 1`) by a conditional UPDATE that commits
       before Telegram is called: of two concurrent deliveries only one claims, and a worker killed
       before Telegram's answer leaves a claim that nobody resends (the sweeper marks it FAILED);
    3. the shared limiter (Redis) is asked for a slot; a wait up to `max_inline_wait` is slept
       here, a longer one releases the claim and is handed back as `retry_in`, so the worker serves
       other chats meanwhile. A slot not used within `PERMIT_MAX_AGE_SECONDS` is given up and
       asked for again: a thread that stalled after its yes must not send in a later slot's time;
    4. Telegram's answer ends the row SENT or FAILED, or releases the claim for a retry after
       `retry_after` (429) or an exponential backoff (timeouts, network errors, 5xx) until
       `NOTIFICATION_MAX_ATTEMPTS`.
    """
    inline = settings.NOTIFICATION_MAX_INLINE_WAIT_SECONDS if max_inline_wait is None else max_inline_wait
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if notification.status != NotificationStatus.QUEUED:
        return SendOutcome(notification.status, note="already handled")
    if notification.claimed_at is not None:
        return SendOutcome(notification.status, note="claimed by another delivery")
    user = notification.user
    reason = _skip_reason(user, notification.kind) or (
        "" if settings.TELEGRAM_BOT_TOKEN else "Telegram is not configured (TELEGRAM_BOT_TOKEN)."
    )
    if reason:
        # The member unlinked, blocked the bot or opted out after the row was queued.
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.QUEUED, claimed_at=None).update(
            status=NotificationStatus.SKIPPED, error=reason
        )
        return SendOutcome(NotificationStatus.SKIPPED, note=reason)
    chat_id = user.telegram_id
    assert chat_id is not None  # _skip_reason refused an unlinked member
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = render(notification)

    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.QUEUED, claimed_at=None).update(
        claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendOutcome(NotificationStatus.QUEUED, note="claimed by another delivery")
    attempts = notification.attempts + 1

    def give_back(retry_in: float, note: str) -> SendOutcome:
        # Telegram was not called: the claim and the attempt are handed back.
        _finish(notification, claimed_at, claimed_at=None, attempts=F("attempts") - 1)
        return SendOutcome(NotificationStatus.QUEUED, retry_in=retry_in, note=note)

    # Built before a slot is taken (its TLS context takes a while the first time): the time between
    # the limiter's yes and the message's arrival at Telegram is what the limits are measured on.
    sending.client()
    limiter = get_rate_limiter()
    while True:
        try:
            permit = limiter.acquire(chat_id)
        except LimiterUnavailable as unavailable:
            logger.warning("Telegram limiter unavailable (%s): notification %s waits", unavailable, notification.pk)
            return give_back(LIMITER_DOWN_RETRY_SECONDS, "limiter down")
        if permit.allowed:
            delivery = sending.send_message(
                chat_id=chat_id, text=text, not_after=time.monotonic() + PERMIT_MAX_AGE_SECONDS
            )
            if delivery.answer is not Answer.LATE:
                break
        elif permit.wait_seconds > inline:
            return give_back(permit.wait_seconds, "rate limit")
        else:
            sleep(permit.wait_seconds)

    if delivery.answer is Answer.SENT:
        _finish(
            notification,
            claimed_at,
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
            telegram_message_id=delivery.message_id,
            error="",
        )
        return SendOutcome(NotificationStatus.SENT)
    if delivery.answer is Answer.FORBIDDEN:
        with transaction.atomic():
            # Later notifications to this member are SKIPPED by notification_queue until they write to the bot again.
            User.objects.filter(pk=user.pk, telegram_unreachable_at=None).update(telegram_unreachable_at=timezone.now())
            _finish(notification, claimed_at, status=NotificationStatus.FAILED, error=delivery.reason)
        return SendOutcome(NotificationStatus.FAILED, note=delivery.reason)
    if delivery.answer is Answer.REJECTED:
        _finish(notification, claimed_at, status=NotificationStatus.FAILED, error=delivery.reason)
        return SendOutcome(NotificationStatus.FAILED, note=delivery.reason)

    # 429 or a transient failure: Telegram did not send it (a timeout is the one doubt, docs/telegram.md).
    if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        gave_up = f"Gave up after {attempts} attempts. {delivery.reason}"
        _finish(notification, claimed_at, status=NotificationStatus.FAILED, error=gave_up)
        return SendOutcome(NotificationStatus.FAILED, note=gave_up)
    if delivery.answer is Answer.RATE_LIMITED:
        retry_in = delivery.retry_after
        try:
            limiter.defer(chat_id, seconds=retry_in)  # every worker holds this chat back, not only this task
        except LimiterUnavailable:
            logger.warning("Telegram limiter unavailable: only notification %s waits out its 429", notification.pk)
    else:
        retry_in = _backoff(attempts)
    _finish(notification, claimed_at, claimed_at=None, error=delivery.reason)
    return SendOutcome(NotificationStatus.QUEUED, retry_in=retry_in, note=delivery.reason)


def notification_fail_stale_claims(*, now: datetime.datetime | None = None) -> int:
    """Mark FAILED the rows claimed longer ago than NOTIFICATION_CLAIM_STALE_SECONDS: their worker died mid-send.

    They are not resent: the call may have reached Telegram before the worker died, and a member
    must never get a message twice (at most once, docs/telegram.md). Returns how many.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_STALE_SECONDS)
    failed = Notification.objects.filter(status=NotificationStatus.QUEUED, claimed_at__lt=cutoff).update(
        status=NotificationStatus.FAILED, error=STALE_CLAIM_ERROR
    )
    if failed:
        logger.warning("%s notification(s) left claimed by a stopped worker marked FAILED", failed)
    return failed


# ---------------------------------------------------------------------------
# The member's preferences: which kinds it gets (the API, its page and the bot's /stop)
# ---------------------------------------------------------------------------
def notification_preferences_get(*, user: User) -> dict[str, bool]:
    """`{kind: True|False}` for every kind, True meaning "will be sent" (no opt-out row)."""
    off = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {kind: kind not in off for kind in NotificationKind.values}


@transaction.atomic
def notification_preferences_set(*, user: User, preferences: object) -> dict[str, bool]:
    """Switch the named kinds on (True) or off (False); kinds not named keep their setting.

    `preferences` is what the member sent, checked here so the API and the page refuse the same
    input: an unknown kind or a value that is not a boolean is a ValidationError naming it.
    """
    if not isinstance(preferences, dict):
        raise ValidationError(_("Send an object of kind: true|false."))
    errors: dict[str, list[str]] = {}
    for kind, wanted in preferences.items():
        if kind not in NotificationKind.values:
            errors[str(kind)] = [_("Unknown notification kind.")]
        elif not isinstance(wanted, bool):
            errors[kind] = [_("Must be true or false.")]
    if errors:
        raise ValidationError(errors)
    on = [kind for kind, wanted in preferences.items() if wanted]
    off = [kind for kind, wanted in preferences.items() if not wanted]
    NotificationOptOut.objects.filter(user=user, kind__in=on).delete()
    # ignore_conflicts: a kind already off (or switched off by a concurrent request) stays one row.
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, kind=kind) for kind in off], ignore_conflicts=True
    )
    return notification_preferences_get(user=user)


def notification_opt_out_all(*, user: User) -> dict[str, bool]:
    """The bot's /stop: every kind off."""
    return notification_preferences_set(user=user, preferences=dict.fromkeys(NotificationKind.values, False))


def notification_recipient_seen(*, user: User, language: str) -> None:
    """The member wrote to the bot: it is reachable again, and the language it writes in is remembered.

    A 403 from Telegram marked it unreachable (it had blocked the bot); writing to the bot means it
    unblocked it. `language` (one of LANGUAGES) fills `User.language` only when empty: a language the
    member chose in the app wins, and notifications are rendered in it.
    """
    changes: dict[str, object] = {}
    if user.telegram_unreachable_at is not None:
        changes["telegram_unreachable_at"] = None
    if not user.language and language in dict(settings.LANGUAGES):
        changes["language"] = language
    if changes:
        # One UPDATE of these columns only: a concurrent save of other user fields is not overwritten.
        User.objects.filter(pk=user.pk).update(**changes)
        for name, value in changes.items():
            setattr(user, name, value)
