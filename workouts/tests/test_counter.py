import asyncio
import threading
import time

import pytest
import redis

from tests.timing import wait_until
from workouts.counter import CounterBusy, CounterUnavailable, RepCounter, RepOutcome
from workouts.tests.helpers import redis_server

USER, OTHER_USER = 7, 8


@pytest.fixture(autouse=True)
def intervals(settings):
    # A minute: on the server's clock, a second rep of a test is inside the window however slow the machine.
    settings.REP_MIN_INTERVAL_MS = 60_000
    # `burpee` has a short window so tests can step past it; `tap` is not debounced at all.
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"burpee": 300, "tap": 0}


async def count(counter, n: int = 1, *, user_id: int = USER, exercise_type: str = "tap") -> RepOutcome:
    for _ in range(n):
        outcome = await counter.count_rep(user_id=user_id, exercise_type=exercise_type)
    return outcome


async def test_first_rep_is_counted(rep_counter):
    assert await count(rep_counter, exercise_type="squat") == RepOutcome(counted=True, total_reps=1)


async def test_rep_inside_the_window_is_debounced_and_the_next_one_after_it_counts(clocked_counter, clock):
    await count(clocked_counter, exercise_type="burpee")
    assert await count(clocked_counter, exercise_type="burpee") == RepOutcome(counted=False, total_reps=1)
    clock.advance(0.299)
    assert await count(clocked_counter, exercise_type="burpee") == RepOutcome(counted=False, total_reps=1)
    clock.advance(0.001)  # the 300 ms window is over
    assert await count(clocked_counter, exercise_type="burpee") == RepOutcome(counted=True, total_reps=2)
    # A debounced rep does not move the window: the next one counts 300 ms after the last counted.
    clock.advance(0.3)
    assert await count(clocked_counter, exercise_type="burpee") == RepOutcome(counted=True, total_reps=3)


async def test_the_server_clock_debounces_by_default(rep_counter):
    await count(rep_counter, exercise_type="squat")
    assert await count(rep_counter, exercise_type="squat") == RepOutcome(counted=False, total_reps=1)


async def test_types_and_users_are_counted_independently(rep_counter):
    await count(rep_counter, exercise_type="squat")
    assert await count(rep_counter, exercise_type="lunge") == RepOutcome(counted=True, total_reps=1)
    assert await count(rep_counter, user_id=OTHER_USER, exercise_type="squat") == RepOutcome(True, 1)
    assert rep_counter.total(user_id=USER, exercise_type="squat") == 1


async def test_concurrent_reps_inside_one_window_count_once(rep_counter):
    outcomes = await asyncio.gather(*(count(rep_counter, exercise_type="squat") for _ in range(50)))
    assert sum(outcome.counted for outcome in outcomes) == 1
    assert rep_counter.total(user_id=USER, exercise_type="squat") == 1


async def test_concurrent_reps_of_many_users_each_get_their_own_total(rep_counter):
    # Reps of many connections share Redis round trips; each must still get its own user's answer.
    outcomes = await asyncio.gather(*(count(rep_counter, 3, user_id=user_id) for user_id in range(100, 120)))
    assert outcomes == [RepOutcome(counted=True, total_reps=3)] * 20


async def test_settle_takes_off_exactly_the_saved_amount_and_keeps_later_reps(rep_counter):
    await count(rep_counter, 5)
    saved = rep_counter.total(user_id=USER, exercise_type="tap")
    await count(rep_counter, 2)  # counted while the finish writes its row
    rep_counter.settle(user_id=USER, exercise_type="tap", workout_id=1, amount=saved, saved_at=time.time())
    assert rep_counter.total(user_id=USER, exercise_type="tap") == 2


async def test_settle_is_idempotent_per_workout(rep_counter):
    await count(rep_counter, 4)
    for _ in range(2):
        rep_counter.settle(user_id=USER, exercise_type="tap", workout_id=1, amount=3, saved_at=time.time())
    assert rep_counter.total(user_id=USER, exercise_type="tap") == 1


async def test_settle_resets_the_debounce_window(rep_counter):
    await count(rep_counter, exercise_type="squat")
    rep_counter.settle(user_id=USER, exercise_type="squat", workout_id=1, amount=1, saved_at=time.time())
    assert await count(rep_counter, exercise_type="squat") == RepOutcome(counted=True, total_reps=1)


async def test_idle_counter_expires(clocked_counter, clock, settings):
    settings.WORKOUT_IDLE_EXPIRY_SECONDS = 60
    await count(clocked_counter, 3)
    clock.advance(59.999)
    assert clocked_counter.total(user_id=USER, exercise_type="tap") == 3
    clock.advance(0.001)
    assert clocked_counter.total(user_id=USER, exercise_type="tap") == 0
    assert await count(clocked_counter) == RepOutcome(counted=True, total_reps=1)


async def test_a_rep_keeps_the_counter_from_idling_out(clocked_counter, clock, settings):
    settings.WORKOUT_IDLE_EXPIRY_SECONDS = 60
    await count(clocked_counter, 2)
    clock.advance(50)
    await count(clocked_counter)
    clock.advance(50)
    assert clocked_counter.total(user_id=USER, exercise_type="tap") == 3


async def test_active_counts_are_the_unfinished_counters_most_recent_rep_first(clocked_counter, clock):
    await count(clocked_counter, 3, user_id=USER)
    user_last_rep = clock()
    clock.advance(1)
    await count(clocked_counter, 2, user_id=OTHER_USER, exercise_type="squat")  # debounced: 1
    other_last_rep = clock()
    clock.advance(1)
    await count(clocked_counter, 4, user_id=9)
    clocked_counter.settle(user_id=9, exercise_type="tap", workout_id=1, amount=4, saved_at=clock())  # finished

    active = await clocked_counter.active_counts(limit=10)

    assert [(c.user_id, c.exercise_type, c.total_reps, c.last_rep_at) for c in active] == [
        (OTHER_USER, "squat", 1, other_last_rep),
        (USER, "tap", 3, user_last_rep),
    ]
    assert [c.user_id for c in await clocked_counter.active_counts(limit=1)] == [OTHER_USER]


async def test_a_rep_after_a_finish_makes_the_counter_active_again(rep_counter):
    await count(rep_counter, 2)
    rep_counter.settle(user_id=USER, exercise_type="tap", workout_id=1, amount=2, saved_at=time.time())
    assert await rep_counter.active_counts(limit=10) == []
    await count(rep_counter)
    assert [c.total_reps for c in await rep_counter.active_counts(limit=10)] == [1]


async def test_idle_counters_are_not_active(clocked_counter, clock, settings):
    settings.WORKOUT_IDLE_EXPIRY_SECONDS = 60
    await count(clocked_counter, 3)
    await count(clocked_counter, 2, user_id=OTHER_USER)
    clock.advance(59)
    await count(clocked_counter, user_id=OTHER_USER)  # still going
    clock.advance(1)
    assert [(c.user_id, c.total_reps) for c in await clocked_counter.active_counts(limit=10)] == [(OTHER_USER, 3)]


def test_second_finish_waits_for_the_first_and_gives_up_busy(rep_counter, settings):
    settings.WORKOUT_FINISH_LOCK_WAIT_SECONDS = 0.1
    with rep_counter.finish_lock(user_id=USER, exercise_type="squat"):
        with pytest.raises(CounterBusy), rep_counter.finish_lock(user_id=USER, exercise_type="squat"):
            pass
        with rep_counter.finish_lock(user_id=USER, exercise_type="lunge"):
            pass  # another type is not blocked
    with rep_counter.finish_lock(user_id=USER, exercise_type="squat"):
        pass


# ---------------------------------------------------------------------------
# Redis only: several processes, outages, restarts
# ---------------------------------------------------------------------------
@pytest.mark.redis
async def test_two_processes_share_the_debounce_and_the_total(settings, counter_namespace):
    first, second = (RepCounter(settings.REDIS_URL, prefix=counter_namespace) for _ in range(2))
    assert await count(first, exercise_type="squat") == RepOutcome(True, 1)
    assert await count(second, exercise_type="squat") == RepOutcome(False, 1)
    assert await count(second, 2) == RepOutcome(True, 2)
    assert await count(first) == RepOutcome(True, 3)


@pytest.mark.redis
async def test_the_index_of_active_counters_holds_only_unfinished_ones(settings, counter_namespace):
    counter = RepCounter(settings.REDIS_URL, prefix=counter_namespace)
    for user_id in range(100, 110):
        await count(counter, 2, user_id=user_id)
    for user_id in range(100, 108):
        counter.settle(user_id=user_id, exercise_type="tap", workout_id=user_id, amount=2, saved_at=time.time())
    client = redis.Redis.from_url(settings.REDIS_URL)
    # Finished counters leave the index: reading it costs what is in progress, not what ever was.
    assert sorted(client.zrange(counter.index_key, 0, -1)) == [b"108:tap", b"109:tap"]
    client.close()
    assert {c.user_id for c in await counter.active_counts(limit=10)} == {108, 109}


@pytest.mark.redis
def test_a_finish_beyond_the_pool_cap_waits_for_a_connection_instead_of_failing(settings, counter_namespace):
    settings.WORKOUT_COUNTER_MAX_CONNECTIONS = 1
    counter = RepCounter(settings.REDIS_URL, prefix=counter_namespace)
    # Another thread (another finish) holds the only connection for a moment. redis-py 8's plain
    # pool would refuse the second caller ("Too many connections"); the blocking pool makes it wait.
    settings.WORKOUT_COUNTER_POOL_TIMEOUT = 30
    holder = threading.Thread(target=counter._sync.blpop, args=[f"{counter_namespace}:nothing", 1])
    holder.start()
    wait_until(lambda: blocked_in_blpop(settings.REDIS_URL), message="the other finish holding the connection")
    assert counter.total(user_id=USER, exercise_type="tap") == 0
    holder.join()


def blocked_in_blpop(url: str) -> bool:
    """Whether a client of this Redis database is blocked in BLPOP (the suite's database is its own)."""
    client = redis.Redis.from_url(url)
    try:
        database = client.connection_pool.connection_kwargs.get("db", 0)
        return any(c["cmd"] == "blpop" and int(c["db"]) == database for c in client.client_list())
    finally:
        client.close()


@pytest.mark.redis  # a private redis-server besides the suite's
async def test_a_rep_while_redis_is_down_is_refused_and_counting_resumes_by_itself(counter_namespace, tmp_path):
    with redis_server(aof_dir=tmp_path) as server:
        counter = RepCounter(server.url, prefix=counter_namespace)
        await count(counter, 2)
        server.stop()
        with pytest.raises(CounterUnavailable):
            await count(counter)
        with pytest.raises(CounterUnavailable):
            counter.total(user_id=USER, exercise_type="tap")
        server.start()
        assert await count_when_reachable(counter) == RepOutcome(True, 3)


async def count_when_reachable(counter, **kwargs) -> RepOutcome:
    # A pooled connection from before the restart fails once; the rep is refused, not counted.
    for _ in range(counter._sync.connection_pool.max_connections + 1):
        try:
            return await count(counter, **kwargs)
        except CounterUnavailable:
            continue
    raise AssertionError("Redis never became reachable")


@pytest.mark.redis  # a private redis-server besides the suite's, with its append-only file
async def test_acknowledged_reps_and_settles_survive_a_redis_crash_with_its_append_only_file(
    counter_namespace, tmp_path
):
    with redis_server(aof_dir=tmp_path) as server:
        first, second = (RepCounter(server.url, prefix=counter_namespace) for _ in range(2))
        await count(first, 3)
        await count(second, 2)
        second.settle(user_id=USER, exercise_type="tap", workout_id=10, amount=4, saved_at=time.time())
        await count(first, 1)  # acknowledged total: 3 + 2 - 4 + 1 = 2
        await count(first, 2, user_id=OTHER_USER)

        # SIGKILL: what Redis acknowledged was written to the file before the reply (the OS has
        # it); `everysec` only bounds what a crash of the machine itself could lose.
        server.crash()
        server.start()

        assert await count_when_reachable(second) == RepOutcome(True, 3)
        # The settle is kept too: applying it again (from a fresh process) changes nothing.
        fresh = RepCounter(server.url, prefix=counter_namespace)
        fresh.settle(user_id=USER, exercise_type="tap", workout_id=10, amount=4, saved_at=time.time())
        assert fresh.total(user_id=USER, exercise_type="tap") == 3
        active = await fresh.active_counts(limit=10)
        assert {(c.user_id, c.total_reps) for c in active} == {(USER, 3), (OTHER_USER, 2)}


async def test_a_settle_of_a_workout_saved_before_the_counter_idled_out_changes_nothing(
    clocked_counter, clock, settings
):
    # A finish whose settle never reached Redis is settled by the next finish; by then the counter
    # may have idled out and started again: the old workout must not eat the new reps.
    settings.WORKOUT_IDLE_EXPIRY_SECONDS = 3600
    saved_at = clock() - 2 * 3600  # before this counter started, beyond the slack (half the idle expiry)
    await count(clocked_counter, 3)
    assert clocked_counter.settle(user_id=USER, exercise_type="tap", workout_id=1, amount=3, saved_at=saved_at) == 3
    assert clocked_counter.settle(user_id=USER, exercise_type="tap", workout_id=2, amount=2, saved_at=clock()) == 1


async def test_a_settle_of_an_older_workout_than_the_last_settled_changes_nothing(rep_counter):
    await count(rep_counter, 5)
    rep_counter.settle(user_id=USER, exercise_type="tap", workout_id=2, amount=2, saved_at=time.time())
    rep_counter.settle(user_id=USER, exercise_type="tap", workout_id=1, amount=2, saved_at=time.time())
    assert rep_counter.total(user_id=USER, exercise_type="tap") == 3
