# syntax=docker/dockerfile:1
FROM python:3.13.0-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs a secret to import the production settings; this one never serves a request.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && useradd --create-home --uid 10001 club \
    && mkdir -p /app/media /app/keys \
    && chown -R club:club /app/media /app/keys
USER club

EXPOSE 8000
# uvicorn (uvloop, httptools) serves the rep stream at about twice daphne's rate: docs/performance.md.
# No access log and no INFO lines: uvicorn logs WebSocket paths with their query string, and `?token=` is one.
# Through sh only to read FORWARDED_ALLOW_IPS when the container starts (unset or empty: trust no proxy's
# X-Forwarded-For; docs/deployment.md); `exec` leaves uvicorn as PID 1, so it gets `docker stop`'s SIGTERM.
CMD ["sh", "-c", "exec uvicorn --host 0.0.0.0 --port 8000 --no-access-log --log-level warning --lifespan off --ws core.servers:GoingAwayWebSocketProtocol --ws-max-size 1048576 --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS:-}\" config.asgi:application"]
