"""Settings of the test suite: the services come from the environment (see conftest.py)."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def _ephemeral_rsa_pair() -> tuple[str, str]:
    # The suite signs with a throwaway key pair so a fresh clone needs no key files.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


SIMPLE_JWT = {**SIMPLE_JWT}  # noqa: F405
# Server processes started by end-to-end tests get the suite's pair as files (base.py read them).
if not (os.environ.get("JWT_PRIVATE_KEY_PATH") and os.environ.get("JWT_PUBLIC_KEY_PATH")):
    SIMPLE_JWT["SIGNING_KEY"], SIMPLE_JWT["VERIFYING_KEY"] = _ephemeral_rsa_pair()

# A minute's debounce window: a test's second rep is inside it however slow the machine is (tests
# that step through a window give the counter a clock of their own: workouts/tests/test_counter.py).
REP_MIN_INTERVAL_MS = int(os.environ.get("REP_MIN_INTERVAL_MS", 60_000))
