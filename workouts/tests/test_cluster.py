"""The counters and the live index run on a Redis Cluster: every script call stays in one hash slot."""

import shutil
import subprocess

import pytest
import redis
from redis.cluster import RedisCluster

from workouts.counter import RepCounter, RepOutcome
from workouts.services import workout_finish
from workouts.tests.helpers import free_port, wait_until

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not (shutil.which("redis-server") and shutil.which("redis-cli")), reason="redis-server/redis-cli not installed"
    ),
]


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    """Three masters on free ports (no replicas), all 16384 slots assigned."""
    ports = [cluster_port() for _ in range(3)]
    processes = []
    try:
        for port in ports:
            workdir = tmp_path_factory.mktemp(f"cluster-{port}")
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"]
            argv += ["--cluster-config-file", "nodes.conf", "--dir", str(workdir), "--save", "", "--appendonly", "no"]
            processes.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL))
        for port in ports:
            wait_until(lambda port=port: _pings(port), message=f"cluster node {port}")
        subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        wait_until(lambda: all(_cluster_ok(port) for port in ports), timeout=30, message="cluster_state:ok")
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)


def cluster_port() -> int:
    # A node also listens on its port + 10000 (the cluster bus), which must be a valid port too.
    while (port := free_port()) > 55000:
        pass
    return port


def _pings(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.ConnectionError:
        return False


def _cluster_ok(port: int) -> bool:
    return redis.Redis(port=port).cluster("info")["cluster_state"] == "ok"


@pytest.fixture
def cluster_counter(cluster_url, counter_namespace, clock):
    return RepCounter(cluster_url, prefix=counter_namespace, cluster=True, clock=clock)


USERS = range(1, 31)  # enough users for their keys to land on every node


async def test_reps_debounce_settle_and_the_live_index_work_on_a_cluster(cluster_counter, cluster_url, settings, clock):
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"tap": 0}
    client = RedisCluster.from_url(cluster_url)
    # A user's keys share the user's slot; the users spread over all three masters.
    for user_id in USERS:
        slots = {client.keyslot(cluster_counter.key(user_id, "tap", kind)) for kind in ("reps", "debounce", "finish")}
        assert len(slots) == 1
    nodes = {client.get_node_from_key(cluster_counter.key(user_id, "tap")).name for user_id in USERS}
    assert len(nodes) == 3

    for user_id in USERS:
        for _ in range(user_id):
            await cluster_counter.count_rep(user_id=user_id, exercise_type="tap")
    assert await cluster_counter.count_rep(user_id=1, exercise_type="squat") == RepOutcome(True, 1)
    assert await cluster_counter.count_rep(user_id=1, exercise_type="squat") == RepOutcome(False, 1)

    for user_id in USERS:
        if user_id % 2:
            with cluster_counter.finish_lock(user_id=user_id, exercise_type="tap"):
                left = cluster_counter.settle(
                    user_id=user_id, exercise_type="tap", workout_id=user_id, amount=user_id, saved_at=clock()
                )
            assert left == 0

    active = await cluster_counter.active_counts(limit=100)
    assert {(c.user_id, c.exercise_type, c.total_reps) for c in active} == {
        (1, "squat", 1),
        *((user_id, "tap", user_id) for user_id in USERS if user_id % 2 == 0),
    }
    client.close()


@pytest.mark.django_db
def test_a_workout_finishes_on_a_cluster(cluster_url, counter_namespace, settings, client_user, async_to_sync_count):
    settings.REDIS_URL = cluster_url
    settings.WORKOUT_COUNTER_CLUSTER = True
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"tap": 0}
    async_to_sync_count(client_user.pk, "tap", 4)

    session, created = workout_finish(user=client_user, exercise_type="tap", idempotency_key="k-1")
    again, created_again = workout_finish(user=client_user, exercise_type="tap", idempotency_key="k-1")

    assert (session.total_reps, created) == (4, True)
    assert (again.pk, created_again) == (session.pk, False)
    assert (
        RepCounter(cluster_url, prefix=counter_namespace, cluster=True).total(
            user_id=client_user.pk, exercise_type="tap"
        )
        == 0
    )


@pytest.fixture
def async_to_sync_count():
    from asgiref.sync import async_to_sync

    from workouts.counter import get_rep_counter

    def count(user_id: int, exercise_type: str, n: int) -> None:
        async def reps() -> None:
            for _ in range(n):
                await get_rep_counter().count_rep(user_id=user_id, exercise_type=exercise_type)

        async_to_sync(reps)()

    return count
