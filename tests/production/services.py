"""Private Redis and RabbitMQ servers for fault tests: stopped and restarted at will, never the shared ones."""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import redis

from tests.production.topology import free_port, wait_until


def _accepts(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class PrivateRedis:
    """A redis-server on its own port, persisted as in production: its append-only file, fsynced every second."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.data_dir = Path(tempfile.mkdtemp(prefix="redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.data_dir)]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)

        def pings() -> bool:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False
            finally:
                client.close()

        wait_until(pings, timeout=10, message=f"redis-server on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def crash_and_restart(self) -> None:
        """SIGKILL (no shutdown, no final write), then start again from the append-only file.

        First waits until what Redis acknowledged has left its AOF buffer for the file and been
        fsynced: `everysec` does that within a second, but postpones the write by up to two more
        while a slow disk is still busy with the previous fsync. Only the reps of that last moment
        may be lost, and the test's reps are older.
        """
        client = redis.Redis(port=self.port)

        def flushed() -> bool:
            persistence = client.info("persistence")
            return persistence["aof_buffer_length"] == 0 and persistence["aof_pending_bio_fsync"] == 0

        wait_until(flushed, timeout=10, message="the AOF buffer written and fsynced")
        client.close()
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class PrivateRabbitMQ:
    """A RabbitMQ node of the test's own (own node name, ports, data and log directories).

    Its data directory survives `restart()`, as a real broker's disk does: durable queues and
    persistent messages come back.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"h8test{self.port}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="rabbitmq-"))
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        (self.base / "enabled_plugins").write_text("[].\n")
        for directory in ("mnesia", "log"):
            (self.base / directory).mkdir()
        # rabbitmq-server drops to the rabbitmq user when started as root.
        if os.geteuid() == 0:
            shutil.chown(self.base, "rabbitmq", "rabbitmq")
            for path in self.base.rglob("*"):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "none"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "none-advanced.config"),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["rabbitmq-server"],
            env=self.env,
            stdout=(self.base / "server.out").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"rabbitmq-server exited:\n{(self.base / 'server.out').read_text()[-2000:]}")
            return _accepts(self.port)

        wait_until(up, timeout=60, interval=0.5, message=f"RabbitMQ node {self.node}")

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, "shutdown"],
            env=self.env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
