"""How many `/ws/workout` sockets each user holds, across every web process (issue 11).

A user may hold `WORKOUT_WS_MAX_CONNECTIONS_PER_USER` sockets; the next one is closed with 4429.
Two implementations behind one interface, chosen like the rep counters (`get_connection_slots()`):

* `RedisConnectionSlots` — production. A user's slots are a sorted set, `<prefix>:{<user>}:sockets`,
  of one member per socket scored by when it expires (ms, Redis' clock). Taking a slot is one Lua
  script (drop the expired members, count, add); each process renews the slots of its open sockets
  in one round trip every third of `WORKOUT_WS_SLOT_TTL_SECONDS`, and a socket gives its slot back
  as it closes. The slots of a process that crashed stop being renewed and lapse after the TTL.
* `InMemoryConnectionSlots` — without `REDIS_URL` (one process): the slots of each user in a dict.

A socket closed for flooding keeps its slot `WORKOUT_WS_FLOOD_PENALTY_SECONDS` longer: a client
that floods and reconnects at once would otherwise get a fresh burst of counted reps every time,
and the handshakes and bursts of a few such loops are what slows everybody else on the process.
Once all its slots are held that way, the user's new sockets are refused (4429) until they lapse.

A refusal is remembered in the process for `WORKOUT_WS_REFUSAL_MEMO_SECONDS` (or until one of the
user's sockets there closes): the user's next sockets there are refused by the authentication
middleware from the token's unverified `user_id` claim, before the signature check, the database
and Redis, after a wait as long as the memo. A client reconnecting in a loop so costs the process
a handshake about once a second, not an authentication each time. Trusting an unverified claim is
safe here: it can only refuse the socket that presents it.
"""

import asyncio
import logging
import time
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

import redis
import redis.asyncio
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

_NOW_MS_LUA = """
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS: the user's slots. ARGV: member, limit, ttl ms. 1 = taken, 0 = the user holds `limit` already.
ACQUIRE_SCRIPT = (
    _NOW_MS_LUA
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""
)

# KEYS: the user's slots. ARGV: member, ms from now when it lapses (a flooding socket's penalty).
HOLD_SCRIPT = (
    _NOW_MS_LUA
    + """
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
"""
)

# KEYS: the user's slots. ARGV: ttl ms, then the members this process still holds (re-added if a
# Redis restart lost them: the sockets are open).
RENEW_SCRIPT = (
    _NOW_MS_LUA
    + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), ARGV[i]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
"""
)


# Per process: users whose last socket was refused for the cap (by the id as text, as tokens carry
# it), until when (time.monotonic()).
_refused_until: dict[str, float] = {}


def remember_refusal(user_id: int) -> None:
    now = time.monotonic()
    if len(_refused_until) > 10_000:
        for lapsed in [user for user, until in _refused_until.items() if until <= now]:
            del _refused_until[lapsed]
    _refused_until[str(user_id)] = now + settings.WORKOUT_WS_REFUSAL_MEMO_SECONDS


def recently_refused(claimed_user_id: object) -> bool:
    """Whether a socket claiming this user id (a token's unverified claim) is refused without more ado."""
    if not isinstance(claimed_user_id, int | str) or isinstance(claimed_user_id, bool):
        return False
    key = str(claimed_user_id)
    until = _refused_until.get(key)
    if until is None:
        return False
    if until <= time.monotonic():
        _refused_until.pop(key, None)
        return False
    return True


def too_many_connections_event() -> dict[str, str]:
    return {
        "event": "error",
        "status": "error",
        "message": f"Too many connections: at most {slot_limit()} per user.",
    }


def slot_limit() -> int:
    return settings.WORKOUT_WS_MAX_CONNECTIONS_PER_USER


def new_slot_id() -> str:
    return uuid.uuid4().hex


class InMemoryConnectionSlots:
    def __init__(self) -> None:
        # user -> slot -> when it lapses (time.monotonic()), None while its socket is open.
        self.held: dict[int, dict[str, float | None]] = defaultdict(dict)

    async def acquire(self, *, user_id: int) -> str | None:
        """A slot id for a new socket of the user, or None when the user holds the limit already."""
        now = time.monotonic()
        slots = self.held[user_id]
        for lapsed in [slot for slot, until in slots.items() if until is not None and until <= now]:
            del slots[lapsed]
        if len(slots) >= slot_limit():
            return None
        slot_id = new_slot_id()
        slots[slot_id] = None
        return slot_id

    async def release(self, *, user_id: int, slot_id: str, hold_for: float = 0.0) -> None:
        """Gives the slot back, at once or `hold_for` seconds from now."""
        if hold_for <= 0:
            _refused_until.pop(str(user_id), None)  # a place is free again, at least in this process
        slots = self.held[user_id]
        if hold_for > 0:
            slots[slot_id] = time.monotonic() + hold_for
            return
        slots.pop(slot_id, None)
        if not slots:
            del self.held[user_id]


@dataclass
class _LoopState:
    client: redis.asyncio.Redis
    acquire: object
    renew: object
    hold: object
    held: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    renewer: asyncio.Task | None = None


class RedisConnectionSlots:
    def __init__(self, url: str, *, prefix: str | None = None) -> None:
        self.url = url
        self.prefix = prefix or settings.WORKOUT_COUNTER_KEY_PREFIX
        # redis.asyncio clients belong to the event loop that created them.
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    def key(self, user_id: int) -> str:
        return f"{self.prefix}:{{{user_id}}}:sockets"

    @property
    def ttl_ms(self) -> int:
        return max(1, round(settings.WORKOUT_WS_SLOT_TTL_SECONDS * 1000))

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            timeout = settings.WORKOUT_COUNTER_SOCKET_TIMEOUT
            client = redis.asyncio.Redis.from_url(self.url, socket_timeout=timeout, socket_connect_timeout=timeout)
            state = self._loops[loop] = _LoopState(
                client,
                client.register_script(ACQUIRE_SCRIPT),
                client.register_script(RENEW_SCRIPT),
                client.register_script(HOLD_SCRIPT),
            )
        return state

    async def acquire(self, *, user_id: int) -> str | None:
        state = self._state()
        slot_id = new_slot_id()
        key = self.key(user_id)
        try:
            taken = await state.acquire(keys=[key], args=[slot_id, slot_limit(), self.ttl_ms])
        except (redis.RedisError, OSError) as error:
            logger.warning("socket of user %s let in uncounted: Redis unavailable (%s)", user_id, type(error).__name__)
            return slot_id
        if not taken:
            return None
        state.held[key].add(slot_id)
        if state.renewer is None or state.renewer.done():
            state.renewer = asyncio.get_running_loop().create_task(self._renew_forever(state))
        return slot_id

    async def release(self, *, user_id: int, slot_id: str, hold_for: float = 0.0) -> None:
        """Gives the slot back, at once or `hold_for` seconds from now."""
        if hold_for <= 0:
            _refused_until.pop(str(user_id), None)  # a place is free again, at least in this process
        state = self._state()
        key = self.key(user_id)
        held = state.held.get(key)
        if held is None or slot_id not in held:
            return
        held.discard(slot_id)
        if not held:
            del state.held[key]
        if not state.held and state.renewer is not None:
            state.renewer.cancel()  # nothing left to renew in this process
            state.renewer = None
        try:
            if hold_for > 0:
                await state.hold(keys=[key], args=[slot_id, max(1, round(hold_for * 1000))])
            else:
                await state.client.zrem(key, slot_id)
        except (redis.RedisError, OSError) as error:
            logger.warning("socket slot of user %s not freed (it lapses by itself): %s", user_id, type(error).__name__)

    async def _renew_forever(self, state: _LoopState) -> None:
        while state.held:
            await asyncio.sleep(settings.WORKOUT_WS_SLOT_TTL_SECONDS / 3)
            try:
                async with state.client.pipeline(transaction=False) as pipe:
                    for key, members in list(state.held.items()):
                        await state.renew(keys=[key], args=[self.ttl_ms, *members], client=pipe)
                    await pipe.execute()
            except (redis.RedisError, OSError) as error:
                logger.warning("could not renew the socket slots: %s", type(error).__name__)


_slots: InMemoryConnectionSlots | RedisConnectionSlots | None = None


def get_connection_slots() -> InMemoryConnectionSlots | RedisConnectionSlots:
    global _slots  # one per process: the in-process count must be shared by every socket
    if _slots is None:
        _slots = RedisConnectionSlots(settings.REDIS_URL) if settings.REDIS_URL else InMemoryConnectionSlots()
    return _slots


@receiver(setting_changed)
def _reset_slots(*, setting: str, **kwargs) -> None:
    global _slots
    if setting in {"REDIS_URL", "WORKOUT_COUNTER_KEY_PREFIX"}:
        _slots = None
