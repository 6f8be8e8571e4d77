from celery import shared_task

from accounts.services import tokens_flush_expired


@shared_task
def flush_expired_tokens() -> int:
    """Periodic: drop expired outstanding/blacklisted tokens and stale Telegram challenges."""
    return tokens_flush_expired()
