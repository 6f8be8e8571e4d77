"""Rep counters: debounce and count every rep of a user and exercise type in one atomic step.

Two implementations behind one interface (`RepCounter`):

* `RedisRepCounter` — production. One Lua script per rep does `SET NX PX` (debounce) and the
  increment, shared by every connection and every server process. Acknowledged reps survive a
  Redis restart without persistence through each process's `Journal` (see docs/realtime.md).
* `InMemoryRepCounter` — the embedded default of `make run` (no `REDIS_URL`): one process, so a
  dictionary under a lock is the whole truth.

`get_rep_counter()` returns the one the settings ask for.
"""

import asyncio
import logging
import threading
import time
import uuid
import weakref
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import redis
import redis.asyncio
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.commands.core import AsyncScript

logger = logging.getLogger(__name__)

# The counter state of one user and type is a hash of monotonic fields, so copies of it can be
# merged by taking the maximum of each field (a grow-only CRDT):
#   c:<process>   reps counted by that server process,
#   s:<workout>   reps a finished workout took away.
# The running total is sum(c:*) - sum(s:*).
COUNTED_PREFIX = "c:"
SETTLED_PREFIX = "s:"

_MERGE_LUA = """
for i = FIRST, #ARGV, 2 do
  local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if stored < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
"""

# The index of active counters: a sorted set of "<user>:<type>" scored by the time of the last
# counted rep (ms, Redis' clock), so the live feed's snapshot reads the counters in progress without
# scanning the keyspace. The scripts keep it: a counted rep adds or moves its counter, a merge that
# leaves a total of 0 (a finish) removes it and one that leaves more brings it back (a restart
# re-seeded it), and readers drop the entries older than the idle expiry.
_NOW_MS_LUA = """
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS: state hash, debounce key, index.
# ARGV: counted field, window ms, idle ms, index member, journal field/value pairs.
REP_SCRIPT = (
    _MERGE_LUA.replace("FIRST", "5")
    + """
local counted = 0
if tonumber(ARGV[2]) <= 0 or redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  counted = 1
"""
    + _NOW_MS_LUA
    + """
  redis.call('ZADD', KEYS[3], now_ms, ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {counted, redis.call('HGETALL', KEYS[1])}
"""
)

# KEYS: state hash, index, and the debounce key when it is to be cleared.
# ARGV: idle ms, index member, journal pairs.
MERGE_SCRIPT = (
    _MERGE_LUA.replace("FIRST", "3")
    + """
if #KEYS > 2 then redis.call('DEL', KEYS[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local state = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #state, 2 do
  local kind = string.sub(state[i], 1, 2)
  if kind == 'c:' then total = total + tonumber(state[i + 1]) end
  if kind == 's:' then total = total - tonumber(state[i + 1]) end
end
if total > 0 then
"""
    + _NOW_MS_LUA
    + """
  -- NX: a merge is no rep; it only restores an entry a restart lost, at the time of the restore.
  redis.call('ZADD', KEYS[2], 'NX', now_ms, ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return state
"""
)


# KEYS: index. ARGV: idle ms, limit. Drops the entries that idled out (Redis' clock, as the scores)
# and returns the `limit` most recent as member, score, member, score, …
INDEX_SCRIPT = (
    _NOW_MS_LUA
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', now_ms - tonumber(ARGV[1])))
return redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
"""
)


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


class RepCounter(ABC):
    """Running rep totals per user and exercise type: the hot path is async, finishing is sync."""

    @abstractmethod
    async def count_rep(self, *, user_id: int, exercise_type: str) -> RepOutcome:
        """Count a rep unless one of the same user and type was counted inside the debounce window."""

    @abstractmethod
    def total(self, *, user_id: int, exercise_type: str) -> int: ...

    @abstractmethod
    def settle(self, *, user_id: int, exercise_type: str, workout_id: int, amount: int) -> None:
        """Take `amount` reps saved as `workout_id` off the total (idempotent per workout) and reset the debounce."""

    @abstractmethod
    def finish_lock(self, *, user_id: int, exercise_type: str) -> AbstractContextManager[None]:
        """Serialize finishes of one user and type across every process (raises `CounterBusy`)."""

    @abstractmethod
    async def active_counts(self, *, limit: int) -> list[ActiveCount]:
        """The counters with a total above 0 that have not idled out, most recent rep first, at most `limit`.

        The cost follows the number of active counters, never the size of the keyspace.
        """


def _total(fields: dict[str, int]) -> int:
    counted = sum(value for name, value in fields.items() if name.startswith(COUNTED_PREFIX))
    settled = sum(value for name, value in fields.items() if name.startswith(SETTLED_PREFIX))
    return counted - settled


# ---------------------------------------------------------------------------
# Embedded: one process
# ---------------------------------------------------------------------------
@dataclass
class _MemoryState:
    total: int = 0
    # The debounce window's start; a settle clears it, so it cannot date the last rep.
    last_counted: float | None = None
    last_rep: float = 0.0
    settled: set[int] = field(default_factory=set)
    touched: float = 0.0


class InMemoryRepCounter(RepCounter):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[tuple[int, str], _MemoryState] = {}
        self._finish_locks: defaultdict[tuple[int, str], threading.Lock] = defaultdict(threading.Lock)

    def _state(self, key: tuple[int, str], now: float) -> _MemoryState:
        state = self._states.get(key)
        if state is None or now - state.touched > idle_expiry_ms() / 1000:
            state = self._states[key] = _MemoryState()
        state.touched = now
        return state

    async def count_rep(self, *, user_id: int, exercise_type: str) -> RepOutcome:
        now = time.monotonic()
        window = rep_interval_ms(exercise_type) / 1000
        with self._lock:
            state = self._state((user_id, exercise_type), now)
            if state.last_counted is not None and now - state.last_counted < window:
                return RepOutcome(counted=False, total_reps=state.total)
            state.last_counted = state.last_rep = now
            state.total += 1
            return RepOutcome(counted=True, total_reps=state.total)

    def total(self, *, user_id: int, exercise_type: str) -> int:
        with self._lock:
            return self._state((user_id, exercise_type), time.monotonic()).total

    def settle(self, *, user_id: int, exercise_type: str, workout_id: int, amount: int) -> None:
        with self._lock:
            state = self._state((user_id, exercise_type), time.monotonic())
            if workout_id not in state.settled:
                state.settled.add(workout_id)
                state.total -= amount
            state.last_counted = None

    @contextmanager
    def finish_lock(self, *, user_id: int, exercise_type: str) -> Iterator[None]:
        with self._lock:
            lock = self._finish_locks[(user_id, exercise_type)]
        if not lock.acquire(timeout=settings.WORKOUT_FINISH_LOCK_WAIT_SECONDS):
            raise CounterBusy
        try:
            yield
        finally:
            lock.release()

    async def active_counts(self, *, limit: int) -> list[ActiveCount]:
        now, wall_now = time.monotonic(), time.time()
        idle = idle_expiry_ms() / 1000
        with self._lock:
            for key in [key for key, state in self._states.items() if now - state.touched > idle]:
                del self._states[key]  # idled out: the next rep would start it afresh anyway
            active = [
                ActiveCount(
                    user_id=user_id,
                    exercise_type=exercise_type,
                    total_reps=state.total,
                    last_rep_at=wall_now - (now - state.last_rep),
                )
                for (user_id, exercise_type), state in self._states.items()
                if state.total > 0
            ]
        return sorted(active, key=lambda count: count.last_rep_at, reverse=True)[:limit]


# ---------------------------------------------------------------------------
# Redis: every process, one script per rep
# ---------------------------------------------------------------------------
@dataclass
class _JournalEntry:
    fields: dict[str, int] = field(default_factory=dict)
    touched: float = 0.0
    # A settle this process recorded that Redis has not confirmed yet.
    dirty: bool = False


class Journal:
    """This process's last view of every counter it touched: what it acknowledged, and the settles it made.

    Merged back into Redis with every script call (fields only grow, so a merge can never undo
    anything), it re-seeds a counter that a Redis restart emptied. Entries are forgotten slightly
    before Redis would expire the key, so an idle counter is never brought back to life.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _JournalEntry] = {}

    def _live(self, key: str, now: float) -> _JournalEntry | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.touched > idle_expiry_ms() * 0.99 / 1000:
            del self._entries[key]
            return None
        return entry

    def pairs(self, key: str) -> list[str | int]:
        with self._lock:
            entry = self._live(key, time.monotonic())
            return [item for pair in entry.fields.items() for item in pair] if entry else []

    def observe(self, key: str, fields: dict[str, int], *, confirmed: bool = True) -> None:
        with self._lock:
            now = time.monotonic()
            entry = self._live(key, now) or self._entries.setdefault(key, _JournalEntry())
            for name, value in fields.items():
                if value > entry.fields.get(name, 0):
                    entry.fields[name] = value
            entry.touched = now
            # Confirmed = `fields` is what Redis holds after a merge; anything the journal has beyond it is pending.
            entry.dirty = not confirmed or any(value > fields.get(name, 0) for name, value in entry.fields.items())

    def keys(self, *, dirty_only: bool) -> list[str]:
        with self._lock:
            now = time.monotonic()
            live = [(key, self._live(key, now)) for key in list(self._entries)]
            return [key for key, entry in live if entry is not None and (entry.dirty or not dirty_only)]


def _decoded(state: dict) -> dict[str, int]:
    return {(name.decode() if isinstance(name, bytes) else name): int(value) for name, value in state.items()}


def _fields(flat: list) -> dict[str, int]:
    return _decoded(dict(zip(flat[::2], flat[1::2], strict=True)))


@dataclass
class _LoopClient:
    connection: redis.asyncio.Redis
    reps: "_ScriptBatcher"
    index: AsyncScript
    sweeper: asyncio.Task


class _ScriptBatcher:
    """Runs one Lua script per call, but sends the calls that wait at the same moment in one pipeline.

    Every rep is still its own atomic script (`EVALSHA`); only the network round trip is shared.
    Under load the reps of many connections arrive while a batch is in flight and leave together
    in the next one: one socket write and one read for dozens of reps, where a write per rep was
    the server's largest cost (docs/performance.md). An idle server sends a lone rep at once.
    Calls are never retried: a script whose reply was lost may have run, and running it again
    would count a rep twice. Its caller gets `CounterUnavailable` and the device resends.
    """

    def __init__(self, client: redis.asyncio.Redis, script: AsyncScript) -> None:
        self.client = client
        self.script = script
        self.waiting: list[tuple[list[str], list, asyncio.Future]] = []
        self.sending: asyncio.Task | None = None

    async def run(self, keys: list[str], args: list) -> list:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((keys, args, future))
        if self.sending is None:
            self.sending = asyncio.get_running_loop().create_task(self._send_while_waiting())
        return await future

    async def _send_while_waiting(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                await self._send(batch)
        finally:
            self.sending = None

    async def _send(self, batch: list[tuple[list[str], list, asyncio.Future]]) -> None:
        try:
            results = await self._execute(batch)
            if any(isinstance(result, redis.exceptions.NoScriptError) for result in results):
                # A fresh (or restarted) Redis does not know the script yet; a NOSCRIPT call did not run.
                await self.client.script_load(self.script.script)
                retried = [call for call, result in zip(batch, results, strict=True) if _is_noscript(result)]
                again = iter(await self._execute(retried))
                results = [next(again) if _is_noscript(result) else result for result in results]
        except (redis.RedisError, OSError) as error:
            results = [error] * len(batch)
        except Exception as error:
            # Whatever went wrong, no device may wait forever for its reply.
            logger.exception("rep batch of %d failed", len(batch))
            results = [error] * len(batch)
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():  # the connection that sent this rep went away meanwhile
                continue
            if isinstance(result, Exception):
                future.set_exception(CounterUnavailable(str(result)))
            else:
                future.set_result(result)

    async def _execute(self, batch: list[tuple[list[str], list, asyncio.Future]]) -> list:
        pipeline = self.client.pipeline(transaction=False)
        for keys, args, _ in batch:
            pipeline.evalsha(self.script.sha, len(keys), *keys, *args)
        return await pipeline.execute(raise_on_error=False)


def _is_noscript(result: object) -> bool:
    return isinstance(result, redis.exceptions.NoScriptError)


class RedisRepCounter(RepCounter):
    def __init__(self, url: str, *, prefix: str | None = None) -> None:
        self.url = url
        self.prefix = prefix or settings.WORKOUT_COUNTER_KEY_PREFIX
        self.process_field = f"{COUNTED_PREFIX}{uuid.uuid4().hex[:12]}"
        self.journal = Journal()
        self._sync = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(url, **self._pool_options()))
        self._sync_merge = self._sync.register_script(MERGE_SCRIPT)
        # redis.asyncio clients belong to the event loop that created them.
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple] = weakref.WeakKeyDictionary()

    def _pool_options(self) -> dict:
        # redis-py 8's plain pools refuse a connection past their cap; a blocking pool waits for one.
        return {
            "max_connections": settings.WORKOUT_COUNTER_MAX_CONNECTIONS,
            "timeout": settings.WORKOUT_COUNTER_POOL_TIMEOUT,
            "socket_timeout": settings.WORKOUT_COUNTER_SOCKET_TIMEOUT,
            "socket_connect_timeout": settings.WORKOUT_COUNTER_SOCKET_TIMEOUT,
        }

    def key(self, user_id: int, exercise_type: str, kind: str = "state") -> str:
        # The hash tag keeps a counter's state, debounce and finish-lock keys in one Redis Cluster slot.
        return f"{self.prefix}:{{{user_id}:{exercise_type}}}:{kind}"

    @property
    def index_key(self) -> str:
        # One key for every counter, so outside their hash slots: a Redis Cluster would need one per slot.
        return f"{self.prefix}:active"

    def _member(self, state_key: str) -> str:
        """The index member of a state key: `<user>:<type>`, the text inside its hash tag."""
        return state_key[state_key.index("{") + 1 : state_key.rindex("}")]

    def _loop_client(self) -> "_LoopClient":
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            connection = redis.asyncio.Redis(
                connection_pool=redis.asyncio.BlockingConnectionPool.from_url(self.url, **self._pool_options())
            )
            sweeper = loop.create_task(self._sweep_forever(connection.register_script(MERGE_SCRIPT)))
            reps = _ScriptBatcher(connection, connection.register_script(REP_SCRIPT))
            index = connection.register_script(INDEX_SCRIPT)
            client = self._async[loop] = _LoopClient(connection, reps, index, sweeper)
        return client

    async def count_rep(self, *, user_id: int, exercise_type: str) -> RepOutcome:
        key = self.key(user_id, exercise_type)
        args = [
            self.process_field,
            rep_interval_ms(exercise_type),
            idle_expiry_ms(),
            self._member(key),
            *self.journal.pairs(key),
        ]
        keys = [key, self.key(user_id, exercise_type, "debounce"), self.index_key]
        counted, flat = await self._loop_client().reps.run(keys, args)
        fields = _fields(flat)
        # Journalled before the caller acknowledges the rep: an acknowledged rep is always in here.
        self.journal.observe(key, fields)
        return RepOutcome(counted=bool(counted), total_reps=_total(fields))

    def _merge_args(self, key: str) -> list[str | int]:
        return [idle_expiry_ms(), self._member(key), *self.journal.pairs(key)]

    def _merge(self, key: str, *, also_delete: str | None = None) -> dict[str, int]:
        keys = [key, self.index_key, also_delete] if also_delete else [key, self.index_key]
        try:
            fields = _fields(self._sync_merge(keys=keys, args=self._merge_args(key)))
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        self.journal.observe(key, fields)
        return fields

    def total(self, *, user_id: int, exercise_type: str) -> int:
        return _total(self._merge(self.key(user_id, exercise_type)))

    def settle(self, *, user_id: int, exercise_type: str, workout_id: int, amount: int) -> None:
        key = self.key(user_id, exercise_type)
        # Journalled first: if Redis fails now, the sweeper (or the next merge of this key) applies it later.
        self.journal.observe(key, {f"{SETTLED_PREFIX}{workout_id}": amount}, confirmed=False)
        self._merge(key, also_delete=self.key(user_id, exercise_type, "debounce"))

    @contextmanager
    def finish_lock(self, *, user_id: int, exercise_type: str) -> Iterator[None]:
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

    async def active_counts(self, *, limit: int) -> list[ActiveCount]:
        # Two round trips whatever the number of counters: the index, then every state in one pipeline.
        client = self._loop_client()
        try:
            flat = await client.index(keys=[self.index_key], args=[idle_expiry_ms(), limit])
            entries = []
            states = client.connection.pipeline(transaction=False)
            for member, score in zip(flat[::2], flat[1::2], strict=True):
                user_id, _, exercise_type = member.decode().partition(":")
                entries.append((int(user_id), exercise_type, float(score) / 1000))
                states.hgetall(self.key(int(user_id), exercise_type))
            totals = [_total(_decoded(state)) for state in await states.execute()]
        except redis.RedisError as error:
            raise CounterUnavailable(str(error)) from error
        return [
            ActiveCount(user_id=user_id, exercise_type=exercise_type, total_reps=total, last_rep_at=last_rep_at)
            for (user_id, exercise_type, last_rep_at), total in zip(entries, totals, strict=True)
            if total > 0
        ]

    async def _sweep_forever(self, merge_script) -> None:
        """Re-seed every journalled counter after Redis lost its data, and retry unconfirmed settles.

        A per-process marker key with a TTL tells a restart apart from a normal round: when it is
        gone, Redis (or this process's link to it) lost state, and the whole journal is pushed.
        """
        marker = f"{self.prefix}:alive:{self.process_field}"
        interval = settings.WORKOUT_JOURNAL_SWEEP_SECONDS
        while True:
            await asyncio.sleep(interval)
            try:
                # The marker outlives ten rounds, so only lost data (not a slow round) makes it vanish.
                previous = await merge_script.registered_client.set(marker, 1, px=int(interval * 10_000), get=True)
                for key in self.journal.keys(dirty_only=previous is not None):
                    fields = _fields(await merge_script(keys=[key, self.index_key], args=self._merge_args(key)))
                    self.journal.observe(key, fields)
            except redis.RedisError as error:
                logger.info("journal sweep skipped, Redis unavailable: %s", error)


# ---------------------------------------------------------------------------
# The process's counter
# ---------------------------------------------------------------------------
_counter: RepCounter | None = None
_counter_lock = threading.Lock()


def get_rep_counter() -> RepCounter:
    global _counter  # one counter, and so one journal, per process
    with _counter_lock:
        if _counter is None:
            _counter = RedisRepCounter(settings.REDIS_URL) if settings.REDIS_URL else InMemoryRepCounter()
        return _counter


@receiver(setting_changed)
def _reset_counter(*, setting: str, **kwargs) -> None:
    global _counter
    if setting in {"REDIS_URL", "WORKOUT_COUNTER_KEY_PREFIX"}:
        with _counter_lock:
            _counter = None
