"""gunicorn's settings for the HTTP web process (Procfile `web-http`, docker-compose.yml, docs/deployment.md).

Read by `gunicorn -c python:config.gunicorn`; each value comes from the environment so an operator
tunes it without editing code. WebSockets (`/ws/`) are served by uvicorn, not here.
"""

import os

# Sync workers, one per core by default (WEB_CONCURRENCY overrides): our views are synchronous,
# so a worker is one request at a time and the kernel shares the cores among them.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "sync"
# On SIGTERM, in-flight requests are let finish this long; keep it below the supervisor's stop
# timeout (compose stop_grace_period, systemd TimeoutStopSec).
graceful_timeout = int(float(os.environ.get("WEB_SHUTDOWN_GRACE_SECONDS") or 20))
# A worker silent this long (a stuck request) is killed and replaced.
timeout = int(os.environ.get("WEB_WORKER_TIMEOUT") or 30)
# No access log: query strings carry `?token=`; the app's club.access log names every request
# without its query string.
accesslog = None
# Prometheus samples of a worker that exited stay in PROMETHEUS_MULTIPROC_DIR for counters; its
# live gauges go (prometheus_client's multiprocess mode).


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
