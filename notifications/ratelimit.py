"""Telegram's send limits, shared by every notification worker: one Lua script in Redis.

Telegram allows a bot about one message a second per chat and about 30 a second in all; the club
stays at `TELEGRAM_CHAT_INTERVAL_MS` per chat and `TELEGRAM_MAX_PER_SECOND` in all. Both are
checked and taken in one script call, so two workers can never both take the last slot, and the
clock is Redis's (`TIME`), so the workers' clocks do not matter.

Each limit is a "generic cell rate algorithm" cell: the key holds the theoretical time (µs) of the
next allowed message. A message is allowed when that time has come for the chat and for the whole
bot; it then moves both forward by their intervals. The global cell tolerates a lateness of up to
`GLOBAL_TOLERANCE` of its interval, so a worker that woke a millisecond late does not lose the
slot for good (the long-run rate stays exactly the limit). The same script runs on the embedded
fakeredis of `make run` (core/redis.py).

Keys (one hash tag, so a Redis Cluster keeps them in one slot):

    <prefix>:{telegram}:global      next allowed time of any message, µs
    <prefix>:{telegram}:chat:<id>   next allowed time of a message to that chat, µs
"""

import threading
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.redis import embedded_redis

SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local op = ARGV[1]
if op == 'acquire' then
  -- KEYS: global, chat. ARGV: op, global interval µs, global tolerance µs, chat interval µs.
  -- Returns {1, 0} when the message may go now (both cells moved), else {0, µs to wait}.
  local global_next = tonumber(redis.call('GET', KEYS[1]) or '0')
  local chat_next = tonumber(redis.call('GET', KEYS[2]) or '0')
  local interval, tolerance, chat_interval = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
  local wait = math.max(global_next - tolerance - now, chat_next - now, 0)
  if wait > 0 then
    return {0, wait}
  end
  local next_global = math.max(global_next, now) + interval
  redis.call('SET', KEYS[1], string.format('%.0f', next_global), 'PX', math.ceil((next_global - now) / 1000) + 1000)
  if chat_interval > 0 then
    redis.call('SET', KEYS[2], string.format('%.0f', now + chat_interval), 'PX', math.ceil(chat_interval / 1000) + 1000)
  end
  return {1, 0}
elseif op == 'defer' then
  -- KEYS: chat. ARGV: op, µs. Telegram said 429 for this chat: nothing goes to it before then.
  local until_ = now + tonumber(ARGV[2])
  if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
    redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', math.ceil(tonumber(ARGV[2]) / 1000) + 1000)
  end
  return 1
end
return redis.error_reply('unknown limiter operation ' .. tostring(op))
"""

# A share of the global interval a message may come early, to make up for a waiter's lateness.
GLOBAL_TOLERANCE = 0.25
# Never more than this absolute slack, so any second still holds at most a bot's limit within
# the few milliseconds of jitter a network adds anyway.
GLOBAL_TOLERANCE_MAX_US = 5_000


class LimiterUnavailable(Exception):
    """Redis cannot be reached: nothing was taken, the message must wait."""


@dataclass(frozen=True)
class Permit:
    allowed: bool
    wait_seconds: float


class TelegramRateLimiter:
    """`acquire(chat_id)` says whether a message to that chat may go now, or how long to wait."""

    def __init__(self, url: str | None, *, prefix: str | None = None) -> None:
        self.prefix = prefix or settings.TELEGRAM_LIMIT_KEY_PREFIX
        if url is None:
            server, fakeredis = embedded_redis()
            self.client: redis.Redis = fakeredis.FakeRedis(server=server)
        else:
            # Not retried: a script whose answer was lost may have taken a slot; the next call waits for it.
            self.client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.script = self.client.register_script(SCRIPT)

    def key(self, name: str) -> str:
        return f"{self.prefix}:{{telegram}}:{name}"

    def acquire(self, chat_id: int) -> Permit:
        interval_us = 1_000_000 // max(settings.TELEGRAM_MAX_PER_SECOND, 1)
        tolerance_us = min(int(interval_us * GLOBAL_TOLERANCE), GLOBAL_TOLERANCE_MAX_US)
        args = ["acquire", interval_us, tolerance_us, settings.TELEGRAM_CHAT_INTERVAL_MS * 1000]
        try:
            allowed, wait_us = self.script(keys=[self.key("global"), self.key(f"chat:{chat_id}")], args=args)
        except redis.RedisError as error:
            raise LimiterUnavailable(type(error).__name__) from error
        return Permit(allowed=bool(allowed), wait_seconds=int(wait_us) / 1_000_000)

    def defer(self, chat_id: int, *, seconds: float) -> None:
        """Nothing goes to `chat_id` for `seconds` (Telegram's `retry_after`), from any worker."""
        try:
            self.script(keys=[self.key(f"chat:{chat_id}")], args=["defer", int(seconds * 1_000_000)])
        except redis.RedisError as error:
            raise LimiterUnavailable(type(error).__name__) from error


_limiter: TelegramRateLimiter | None = None
_limiter_lock = threading.Lock()


def get_rate_limiter() -> TelegramRateLimiter:
    global _limiter  # one client (and so one connection pool) per process
    with _limiter_lock:
        if _limiter is None:
            _limiter = TelegramRateLimiter(settings.REDIS_URL or None)
        return _limiter


@receiver(setting_changed)
def _reset_limiter(*, setting: str, **kwargs: object) -> None:
    global _limiter
    if setting in {"REDIS_URL", "TELEGRAM_LIMIT_KEY_PREFIX"}:
        with _limiter_lock:
            _limiter = None
