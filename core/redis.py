"""The embedded default's Redis: one in-process fakeredis server (with Lua) per process.

Without `REDIS_URL` (`make run`), the parts of the product that keep shared state in Redis scripts
(the rep counters, Telegram's send limits) run the very same Lua on this server instead of a
second, pure-Python implementation that could drift from it.
"""

import threading
from types import ModuleType

_server: object | None = None
_lock = threading.Lock()


def embedded_redis() -> tuple[object, ModuleType]:
    """The process's fakeredis server and the fakeredis module (imported only when it is needed)."""
    global _server
    import fakeredis  # only the embedded default needs it

    with _lock:
        if _server is None:
            _server = fakeredis.FakeServer()
    return _server, fakeredis
