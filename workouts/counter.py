"""Rep counters: one Lua script debounces and counts every rep of a user and exercise type atomically.

The same script (`SCRIPT`) runs everywhere: on Redis (`REDIS_URL`), on a Redis Cluster
(`WORKOUT_COUNTER_CLUSTER`), and in the embedded default of `make run` (no `REDIS_URL`) on an
in-process `fakeredis` server with Lua. There is no second implementation to drift from it.

Durability is Redis's job: production runs it with its append-only file (`appendfsync everysec`,
docs/operations.md), so a restart loses at most its last second of writes. The web processes keep
nothing in memory.

Keys (every key of a user carries the hash tag `{u:<id>}`, so a user's keys share one Cluster slot
and each script call touches one slot only):

    <prefix>:{u:42}:squat:reps      hash: reps, last (ms of the last counted rep), since (ms of the
                                    first), settled (the last workout id taken off), indexed (ms of
                                    the live index's last refresh)
    <prefix>:{u:42}:squat:debounce  the end of the debounce window (ms): a rep before it is not counted
    <prefix>:{u:42}:squat:finish    the finish lock
    <prefix>:live                   the live index: sorted set of "<user>:<type>" by the time (ms)
                                    its counter started or was last refreshed
"""

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.redis import embedded_redis

logger = logging.getLogger(__name__)

# One script, one operation per call (ARGV[1]); every call's KEYS live in one hash slot. ARGV[2] is
# the time in ms, or '' for the Redis server's own clock: one clock for every web process, so hosts
# whose clocks disagree still debounce alike. Only tests pass a time (`RepCounter(clock=...)`), and
# so every rule here reads `now` and none relies on a key's expiry: PEXPIRE only collects garbage.
SCRIPT = """
local now = tonumber(ARGV[2])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
local op = ARGV[1]
-- A counter idle for the idle expiry is gone, as its key's PEXPIRE makes it on the server's clock.
local function forget_if_idle(counter, idle)
  local last = tonumber(redis.call('HGET', counter, 'last') or '')
  if last and now - last >= idle then redis.call('DEL', counter) end
end
if op == 'rep' then
  -- KEYS: counter, debounce. ARGV: op, now, window ms (0: no debounce), idle expiry ms.
  -- Returns {counted 0/1, total, now ms, 1 when the live index needs this counter's entry}: when
  -- the counter starts (or restarts after a finish) and then once per quarter of the idle expiry.
  -- The debounce key holds the end of the window (ms): a rep before it is not counted. It lives as
  -- long as its counter, so only `now` decides, on whichever clock.
  local window, idle = tonumber(ARGV[3]), tonumber(ARGV[4])
  forget_if_idle(KEYS[1], idle)
  local counted, index = 0, 0
  if window <= 0 or now >= tonumber(redis.call('GET', KEYS[2]) or '0') then
    if window > 0 then redis.call('SET', KEYS[2], now + window, 'PX', math.max(window, idle)) end
    local state = redis.call('HMGET', KEYS[1], 'reps', 'indexed')
    if tonumber(state[1] or '0') <= 0 or now - tonumber(state[2] or '0') >= idle / 4 then
      redis.call('HSET', KEYS[1], 'indexed', now)
      index = 1
    end
    redis.call('HSETNX', KEYS[1], 'since', now)
    redis.call('HSET', KEYS[1], 'last', now)
    redis.call('HINCRBY', KEYS[1], 'reps', 1)
    counted = 1
  end
  redis.call('PEXPIRE', KEYS[1], idle)
  return {counted, tonumber(redis.call('HGET', KEYS[1], 'reps') or '0'), now, index}
elseif op == 'total' then
  -- KEYS: counter. ARGV: op, now, idle expiry ms. Returns the total.
  forget_if_idle(KEYS[1], tonumber(ARGV[3]))
  return tonumber(redis.call('HGET', KEYS[1], 'reps') or '0')
elseif op == 'settle' then
  -- KEYS: counter, debounce. ARGV: op, now, workout id, amount, the workout's saved time ms, slack
  -- ms, idle expiry ms. Takes `amount` off once per workout: only a workout newer than the last one
  -- settled, and saved from this counter (not from one that idled out before it was started again).
  -- Returns {total, now ms}.
  forget_if_idle(KEYS[1], tonumber(ARGV[7]))
  redis.call('DEL', KEYS[2])
  local state = redis.call('HMGET', KEYS[1], 'reps', 'since', 'settled')
  if state[1] and tonumber(ARGV[3]) > tonumber(state[3] or '0')
      and tonumber(ARGV[5]) >= tonumber(state[2]) - tonumber(ARGV[6]) then
    redis.call('HINCRBY', KEYS[1], 'reps', -tonumber(ARGV[4]))
    redis.call('HSET', KEYS[1], 'settled', ARGV[3])
  end
  return {tonumber(redis.call('HGET', KEYS[1], 'reps') or '0'), now}
elseif op == 'index' then
  -- KEYS: live index. ARGV: op, now, member, last rep ms.
  redis.call('ZADD', KEYS[1], 'GT', ARGV[4], ARGV[3])
  return 1
elseif op == 'unindex' then
  -- KEYS: live index. ARGV: op, now, member, settle ms. A rep counted after the settle keeps the entry.
  local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
  if score and tonumber(score) <= tonumber(ARGV[4]) then redis.call('ZREM', KEYS[1], ARGV[3]) end
  return 1
elseif op == 'active' then
  -- KEYS: live index. ARGV: op, now, idle expiry ms, limit. Drops the entries whose counters idled
  -- out (an entry is refreshed at least every quarter of the idle expiry while its counter counts),
  -- returns {now ms, {member, score, member, score, ...}} with the most recent first.
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', now - tonumber(ARGV[3]) * 1.25))
  return {now, redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1, 'WITHSCORES')}
end
return redis.error_reply('unknown counter operation ' .. tostring(op))
"""


class CounterUnavailable(Exception):
    """The counter's store cannot be reached; nothing was counted or changed."""


class CounterBusy(Exception):
    """Another finish of the same user and type holds the counter."""


@dataclass(frozen=True)
class RepOutcome:
    counted: bool
    total_reps: int


@dataclass(frozen=True)
class ActiveCount:
    """A counter with reps no finish has saved yet."""

    user_id: int
    exercise_type: str
    total_reps: int
    last_rep_at: float  # epoch seconds of its last counted rep


def rep_interval_ms(exercise_type: str) -> int:
    return settings.REP_MIN_INTERVAL_MS_BY_TYPE.get(exercise_type, settings.REP_MIN_INTERVAL_MS)


def idle_expiry_ms() -> int:
    return int(settings.WORKOUT_IDLE_EXPIRY_SECONDS * 1000)


class RepCounter:
    """Running rep totals per user and exercise type: the hot path is async, finishing is sync.

    `url=None` is the embedded default: an in-process fakeredis server running the same script.
    `clock` (epoch seconds) replaces the Redis server's clock; tests step it through debounce windows
    and idle expiries instead of sleeping.
    """

    def __init__(
        self,
        url: str | None,
        *,
        prefix: str | None = None,
        cluster: bool | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.url = url
        self.clock = clock
        self.prefix = prefix or settings.WORKOUT_COUNTER_KEY_PREFIX
        self.cluster = settings.WORKOUT_COUNTER_CLUSTER if cluster is None else cluster
        self._sync = self._client(asynchronous=False)
        self._sync_script = self._sync.register_script(SCRIPT)
        # asyncio clients belong to the event loop that created them.
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple] = weakref.WeakKeyDictionary()

    def _client(self, *, asynchronous: bool):
        if self.url is None:
            server, fakeredis = embedded_redis()
            return fakeredis.FakeAsyncRedis(server=server) if asynchronous else fakeredis.FakeRedis(server=server)
        timeouts = {
            "socket_timeout": settings.WORKOUT_COUNTER_SOCKET_TIMEOUT,
            "socket_connect_timeout": settings.WORKOUT_COUNTER_SOCKET_TIMEOUT,
        }
        # Never retried: a script whose reply was lost may have run, and running it again would
        # count a rep twice. The caller gets `CounterUnavailable` and the device resends.
        if self.cluster:
            cluster_class = redis.asyncio.cluster.RedisCluster if asynchronous else redis.cluster.RedisCluster
            return cluster_class.from_url(
                self.url,
                retry=Retry(NoBackoff(), 0),
                max_connections=settings.WORKOUT_COUNTER_MAX_CONNECTIONS,
                **timeouts,
            )
        # redis-py's plain pools refuse a connection past their cap; a blocking pool waits for one.
        pool_options = {
            "max_connections": settings.WORKOUT_COUNTER_MAX_CONNECTIONS,
            "timeout": settings.WORKOUT_COUNTER_POOL_TIMEOUT,
            **timeouts,
        }
        if asynchronous:
            return redis.asyncio.Redis(
                connection_pool=redis.asyncio.BlockingConnectionPool.from_url(self.url, **pool_options)
            )
        return redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(self.url, **pool_options))

    def _loop_client(self) -> tuple:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            connection = self._client(asynchronous=True)
            client = self._async[loop] = (connection, connection.register_script(SCRIPT))
        return client

    def _now(self) -> str:
        """The script's `now` argument: '' lets the script read the Redis server's clock."""
        return "" if self.clock is None else str(int(self.clock() * 1000))

    # -- keys -------------------------------------------------------------------------------------
    def key(self, user_id: int, exercise_type: str, kind: str = "reps") -> str:
        return f"{self.prefix}:{{u:{user_id}}}:{exercise_type}:{kind}"

    @property
    def index_key(self) -> str:
        return f"{self.prefix}:live"

    # -- the hot path -----------------------------------------------------------------------------
    async def count_rep(self, *, user_id: int, exercise_type: str) -> RepOutcome:
        """Count a rep unless one of the same user and type was counted inside the debounce window."""
        _, script = self._loop_client()
        keys = [self.key(user_id, exercise_type), self.key(user_id, exercise_type, "debounce")]
        args = ["rep", self._now(), rep_interval_ms(exercise_type), idle_expiry_ms()]
        try:
            counted, total, now_ms, index = await script(keys=keys, args=args)
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        if index:
            try:
                await script(keys=[self.index_key], args=["index", self._now(), f"{user_id}:{exercise_type}", now_ms])
            except redis.RedisError:
                # The rep is counted; the live page's snapshot misses it until the next one.
                logger.warning("live index not updated for user %s", user_id, exc_info=True)
        return RepOutcome(counted=bool(counted), total_reps=int(total))

    # -- finishing (sync) -------------------------------------------------------------------------
    def total(self, *, user_id: int, exercise_type: str) -> int:
        try:
            return int(
                self._sync_script(
                    keys=[self.key(user_id, exercise_type)], args=["total", self._now(), idle_expiry_ms()]
                )
            )
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error

    def settle(self, *, user_id: int, exercise_type: str, workout_id: int, amount: int, saved_at: float) -> int:
        """Take `amount` reps saved as `workout_id` (at epoch `saved_at`) off the total and reset the debounce.

        Idempotent: a workout is taken off once, and only from the counter it was saved from.
        Returns the total left.
        """
        keys = [self.key(user_id, exercise_type), self.key(user_id, exercise_type, "debounce")]
        # A counter idles out after `idle_expiry_ms`; the slack covers clocks of the web and Redis hosts.
        args = [
            "settle",
            self._now(),
            workout_id,
            amount,
            int(saved_at * 1000),
            idle_expiry_ms() // 2,
            idle_expiry_ms(),
        ]
        try:
            total, now_ms = self._sync_script(keys=keys, args=args)
            if total <= 0:
                self._sync_script(
                    keys=[self.index_key], args=["unindex", self._now(), f"{user_id}:{exercise_type}", now_ms]
                )
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        return int(total)

    @contextmanager
    def finish_lock(self, *, user_id: int, exercise_type: str) -> Iterator[None]:
        """Serialize finishes of one user and type across every process (raises `CounterBusy`)."""
        lock = self._sync.lock(
            self.key(user_id, exercise_type, "finish"),
            timeout=settings.WORKOUT_FINISH_LOCK_TIMEOUT_SECONDS,
            blocking_timeout=settings.WORKOUT_FINISH_LOCK_WAIT_SECONDS,
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        if not acquired:
            raise CounterBusy
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.RedisError:
                logger.warning("finish lock %s not released; it expires by itself", lock.name)

    # -- the live page ----------------------------------------------------------------------------
    async def active_counts(self, *, limit: int) -> list[ActiveCount]:
        """The counters with a total above 0 that have not idled out, most recent rep first, at most `limit`.

        Two round trips whatever the number of counters: the index, then every counter in one
        pipeline (split by node on a Cluster). The cost follows the active counters, never the keyspace.
        """
        connection, script = self._loop_client()
        try:
            now_ms, flat = await script(keys=[self.index_key], args=["active", self._now(), idle_expiry_ms(), limit])
            members = []
            states = connection.pipeline(transaction=False)
            for member in flat[::2]:
                user_id, _, exercise_type = (member.decode() if isinstance(member, bytes) else member).partition(":")
                members.append((int(user_id), exercise_type))
                states.hmget(self.key(int(user_id), exercise_type), "reps", "last")
            rows = await states.execute() if members else []
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        active = [
            ActiveCount(
                user_id=user_id, exercise_type=exercise_type, total_reps=int(reps), last_rep_at=int(last) / 1000
            )
            for (user_id, exercise_type), (reps, last) in zip(members, rows, strict=True)
            # A counter that idled out is gone even where its key has not expired yet (a test's clock).
            if reps is not None and int(reps) > 0 and last is not None and int(now_ms) - int(last) < idle_expiry_ms()
        ]
        return sorted(active, key=lambda count: count.last_rep_at, reverse=True)


# ---------------------------------------------------------------------------
# The process's counter
# ---------------------------------------------------------------------------
_counter: RepCounter | None = None
_counter_lock = threading.Lock()


def get_rep_counter() -> RepCounter:
    global _counter  # one counter (and so one connection pool) per process
    with _counter_lock:
        if _counter is None:
            _counter = RepCounter(settings.REDIS_URL or None)
        return _counter


@receiver(setting_changed)
def _reset_counter(*, setting: str, **kwargs) -> None:
    global _counter
    if setting in {"REDIS_URL", "WORKOUT_COUNTER_KEY_PREFIX", "WORKOUT_COUNTER_CLUSTER"}:
        with _counter_lock:
            _counter = None
