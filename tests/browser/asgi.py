"""The ASGI app as daphne serves it in production, plus static files straight from the finders.

The suite never runs collectstatic, and under the test settings (DEBUG off) WhiteNoise would find
nothing to serve; Channels' own live-server test case wraps its app the same way.
"""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as app

application = ASGIStaticFilesHandler(app)
