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
# HTTP by default: gunicorn, sync workers, one per core (config/gunicorn.py); docker-compose.yml runs the same
# image as web-ws with uvicorn for /ws/. Through sh only to read FORWARDED_ALLOW_IPS when the container
# starts (unset or empty: trust no proxy's X-Forwarded-For; docs/deployment.md); `exec` leaves gunicorn
# as PID 1, so it gets `docker stop`'s SIGTERM and lets in-flight requests finish.
CMD ["sh", "-c", "exec gunicorn -c python:config.gunicorn --bind 0.0.0.0:8000 --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS:-}\" config.wsgi:application"]
