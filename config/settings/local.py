"""Default settings of `manage.py`, asgi, wsgi and celery: plain HTTP, env-driven."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
