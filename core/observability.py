"""Request ids for logs, and the Prometheus metrics of every process (served at `/metrics`, see docs/operations.md)."""

import contextvars
import logging
import re
import time
import uuid

import pythonjsonlogger.json
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from prometheus_client import Counter, Gauge, Histogram

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# A caller's id is kept only when it cannot smuggle anything into a log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

HTTP_REQUESTS = Counter("club_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
access_logger = logging.getLogger("club.access")

HTTP_LATENCY = Histogram(
    "club_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request being served (or `-`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # The access log line is written after the request's context ended and names its id itself.
        # django.request's 4xx/5xx lines ("Not Found: /x") come after it too, as Django logs them once
        # the middleware chain has returned; they carry the request, and the request its id.
        record.request_id = (
            getattr(record, "request_id", None)
            or getattr(getattr(record, "request", None), "id", None)
            or request_id_var.get()
        )
        return True


# What a log line must never carry: credentials in URLs, tokens in query strings and headers.
SECRET_PATTERNS = [
    (
        re.compile(r"(?i)\b((?:access|refresh|token|api_key|password|secret|init_data|hash)=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"(?i)\b(\w+://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),
    # A JWT anywhere (three base64url segments, the first one an encoded JSON header).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "[redacted-jwt]"),
]
SECRET_SETTINGS = ("SECRET_KEY", "METRICS_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")


def redact(text: str) -> str:
    from django.conf import settings

    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, "")
        if value and len(value) >= 8:
            text = text.replace(value, f"[redacted {name}]")
    return text


class PlainFormatter(logging.Formatter):
    """The development format, with secrets redacted from the whole line (message, extras, traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object a line (production), redacted as a whole: extras such as django.request's
    `request` (its repr carries the query string) are covered too."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RequestObservabilityMiddleware:
    """Gives each request an id (the caller's `X-Request-ID` if sane), echoes it, and records metrics."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        started, token = self._begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    async def _acall(self, request):
        started, token = self._begin(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    def _begin(self, request) -> tuple[float, contextvars.Token]:
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        return time.perf_counter(), request_id_var.set(request.id)

    def _finish(self, request, response, started: float):
        # The route pattern, not the path: one time series per endpoint, whatever the ids in it.
        match = getattr(request, "resolver_match", None)
        route = match.route if match else "unmatched"
        elapsed = time.perf_counter() - started
        HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        # The access log: the path without its query string, which may carry a token (`?token=`).
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            elapsed * 1000,
            extra={
                "request_id": request.id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
            },
        )
        response["X-Request-ID"] = request.id
        return response


# ---------------------------------------------------------------------------
# WebSocket, Celery and payment-consumer metrics
# ---------------------------------------------------------------------------
# Every process of the topology (web, workers and their pool children, the consumer) writes its
# samples to PROMETHEUS_MULTIPROC_DIR when that is set, and any web process's /metrics sums them
# (core/metrics.py). A gauge of open sockets must drop a dead process's share: "livesum".
WS_CONNECTIONS = Gauge(
    "club_websocket_connections_open", "WebSocket connections open now.", ["path"], multiprocess_mode="livesum"
)
WS_CONNECTIONS_TOTAL = Counter("club_websocket_connections_accepted_total", "WebSocket connections accepted.", ["path"])
# Incremented by the workout consumer where each reply is made (workouts/consumers.py), not here:
# reading every outgoing frame back cost a JSON parse per rep (docs/performance.md).
WS_REPS = Counter(
    "club_workout_reps_total", "Replies to rep_detected frames, by outcome (counted, ignored, error).", ["outcome"]
)
CELERY_TASKS = Counter("club_celery_tasks_total", "Celery tasks run, by final state.", ["task", "state"])
CELERY_TASK_DURATION = Histogram(
    "club_celery_task_duration_seconds",
    "Time a worker spent running a task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
PAYMENT_EVENTS = Counter(
    "club_payment_events_total",
    "payment_queue messages handled, by outcome (applied, unchanged, dead_lettered, requeued).",
    ["outcome"],
)


def connect_celery_signals() -> None:
    """Count every task a worker runs, by name and final state (called from CoreConfig.ready)."""
    from celery import signals

    started: dict[str, float] = {}

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id=None, **kwargs) -> None:
        started[task_id] = time.perf_counter()

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id=None, task=None, state=None, **kwargs) -> None:
        began = started.pop(task_id, None)
        name = getattr(task, "name", "unknown")
        if began is not None:
            CELERY_TASK_DURATION.labels(name).observe(time.perf_counter() - began)
        CELERY_TASKS.labels(name, state or "UNKNOWN").inc()


def mark_process_dead_on_exit() -> None:
    """Drop this process's live gauges from the shared directory when it exits."""
    import atexit
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        pid = os.getpid()
        atexit.register(lambda: os.getpid() == pid and multiprocess.mark_process_dead(pid))


class WebSocketMetricsMiddleware:
    """ASGI middleware: WebSocket connections open and accepted, by path.

    It sees the accept and close messages at the protocol boundary, so a socket that ends without a
    close frame is still counted down. It reads no frame: rep outcomes are counted by the consumer
    that decides them (`WS_REPS`).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        label = path if path in ("/ws/workout", "/ws/live") else "other"
        state = {"open": False}

        async def counting_send(message: dict) -> None:
            kind = message["type"]
            if kind == "websocket.accept" and not state["open"]:
                state["open"] = True
                WS_CONNECTIONS.labels(label).inc()
                WS_CONNECTIONS_TOTAL.labels(label).inc()
            elif kind == "websocket.close" and state["open"]:
                state["open"] = False
                WS_CONNECTIONS.labels(label).dec()
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if state["open"]:
                WS_CONNECTIONS.labels(label).dec()
