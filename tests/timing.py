"""Time in tests without the wall clock: a clock the test moves, and waiting on what can be observed.

A test never sleeps to let something happen. Where the behaviour is about time (a debounce window,
an idle expiry), the code under test takes a clock and the test moves a `FakeClock`. Where another
thread or process must get somewhere first, the test polls what it can observe with `wait_until`
(or `eventually` on an event loop): the deadline is generous, so only a failure waits that long.
"""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

DEADLINE = 10.0  # seconds; generous for a loaded 2-core CI machine


class FakeClock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_until[T](
    condition: Callable[[], T], *, timeout: float = DEADLINE, interval: float = 0.05, message: str = "condition"
) -> T:
    """Poll `condition` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)
    return result


async def eventually[T](
    condition: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = DEADLINE,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """`wait_until` on an event loop: polls without blocking it; `condition` may be a coroutine function
    (a check that is itself a request, such as a device sending its rep again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            raise AssertionError(f"timed out waiting for {message}")
        await asyncio.sleep(interval)
