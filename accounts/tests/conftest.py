import uuid

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A key prefix of its own per test: throttle counters never leak between tests or runs."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"accounts-test-{uuid.uuid4().hex}"}}
