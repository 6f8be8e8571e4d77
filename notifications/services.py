"""The notification outbox: rows written beside their cause, sent after commit by a Celery task."""

import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Expression, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import bot
from accounts.models import User
from notifications.messages import render
from notifications.models import Notification, NotificationKind, NotificationOptOut, NotificationStatus
from notifications.tasks import send_notification

logger = logging.getLogger(__name__)


# Why a row is SKIPPED (staff read them in the admin; the member never sees them). One list for the
# single path below and the SQL of the bulk path, so both skip for the same reasons.
NOT_LINKED = "No Telegram account linked."
UNREACHABLE = "The member blocked the bot."
OPTED_OUT = "The member switched this kind off."


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


def notification_send(*, notification_id: int) -> None:
    """Send one QUEUED notification through the Bot API (the limits, retries and exactly-once: issue 16)."""
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if notification.status != NotificationStatus.QUEUED or notification.user.telegram_id is None:
        return
    if bot.send_message(chat_id=notification.user.telegram_id, text=render(notification)):
        Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENT)


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
