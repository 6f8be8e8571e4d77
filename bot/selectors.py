from accounts.models import User


def user_for_sender(*, telegram_id: int) -> User | None:
    """The live club account linked to a Telegram account, with what the commands read; None if none."""
    return (
        User.objects.select_related("client__membership")
        .filter(telegram_id=telegram_id, deleted_at__isnull=True)
        .first()
    )
