"""The staff live feed's publisher: counted reps of this process, one channel-layer message per tick.

A `group_send` per rep would cost more Redis work than counting the rep itself; staff watching a
dashboard cannot tell 50 ms apart, so each process sends what it counted during a tick in one message.
"""

import asyncio
import logging
import weakref
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from workouts.protocol import LIVE_GROUP

logger = logging.getLogger(__name__)

# Beyond this many unsent events (the channel layer is down), the oldest are dropped.
MAX_PENDING = 10_000


class LiveBatcher:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.flushing: asyncio.Task | None = None

    def add(self, payload: dict[str, Any]) -> None:
        self.pending.append(payload)
        if len(self.pending) > MAX_PENDING:
            del self.pending[: len(self.pending) - MAX_PENDING]
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.get_running_loop().create_task(self._flush_after_tick())

    async def _flush_after_tick(self) -> None:
        await asyncio.sleep(settings.WORKOUT_LIVE_TICK_SECONDS)
        events, self.pending = self.pending, []
        try:
            await get_channel_layer().group_send(LIVE_GROUP, {"type": "live.batch", "events": events})
        except Exception:
            # Counting never depends on the live feed: staff miss this tick, devices notice nothing.
            logger.warning("live feed: %d events not published", len(events), exc_info=True)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveBatcher] = weakref.WeakKeyDictionary()


def publish_rep(payload: dict[str, Any]) -> None:
    """Queue a counted rep for the live feed (must run on the server's event loop)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = LiveBatcher()
    batcher.add(payload)
