"""RS256 signing with a key ring: every token names its key (`kid`), old keys keep verifying.

simplejwt's own backend knows one verifying key and writes no `kid`. This backend signs with the
current private key, stamps its RFC 7638 thumbprint as `kid`, and verifies with whichever public
key the `kid` names: the current one or a retired one listed in `JWT_EXTRA_PUBLIC_KEY_PATHS`.
The same ring is published at `/.well-known/jwks.json`. Keys are read from settings on each use
(cached per key material), so the test suite's ephemeral pair and `override_settings` just work.
"""

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
MIN_KEY_BITS = 2048
# Claims without which a token is refused even when its signature is good.
REQUIRED_CLAIMS = ["exp", "iat", "jti", "iss", "aud", "token_type"]
# Largest primary key (bigint) and Unix time (the end of year 9999) a claim may hold.
MAX_ID = 2**63 - 1
MAX_EPOCH = 253_402_300_799
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,18}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def claims_error(payload: dict[str, Any]) -> str | None:
    """What is wrong with the claims of a token our key signed, or None.

    Only this server signs, but a claim of the wrong type must still end in a 401, never a 500 or a
    surprise: `user_id` is a positive integer or its decimal string (simplejwt writes `"7"`), so `1.5`,
    `"1.0"`, `[1]` or `"1 OR 1=1"` never reach a query (`int(1.5)` would have named user 1); the
    times are integers a datetime can hold; `jti` and `token_type` are short plain strings.
    """
    user_id = payload.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
    if user_id is not None:
        if isinstance(user_id, str):
            if not _DECIMAL_ID.fullmatch(user_id) or int(user_id) > MAX_ID:
                return "user_id is not a user id"
        elif not _is_int(user_id) or not 0 < user_id <= MAX_ID:
            return "user_id is not a user id"
    for claim in ("exp", "iat", "nbf"):
        if claim in payload and not (_is_int(payload[claim]) and 0 <= payload[claim] <= MAX_EPOCH):
            return f"{claim} is not a Unix time"
    for claim in ("jti", "token_type"):
        value = payload.get(claim)
        if not isinstance(value, str) or not 0 < len(value) <= 255 or not value.isprintable():
            return f"{claim} is not a short printable string"
    return None


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def thumbprint(key: RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, without whitespace."""
    canonical = json.dumps(public_jwk(key), sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def _checked_rsa(key: Any, origin: str) -> Any:
    if not isinstance(key, (RSAPrivateKey, RSAPublicKey)) or key.key_size < MIN_KEY_BITS:
        raise ImproperlyConfigured(f"{origin} must be an RSA key of at least {MIN_KEY_BITS} bits.")
    return key


@dataclass(frozen=True)
class Keyring:
    signing_key: RSAPrivateKey | None
    signing_kid: str | None
    # kid → public key; the current key first, so the JWKS lists it first.
    public_keys: dict[str, RSAPublicKey]


@lru_cache(maxsize=8)
def _build_keyring(private_pem: str, public_pem: str, extra_public_pems: tuple[str, ...]) -> Keyring:
    signing_key = None
    signing_kid = None
    public_keys: dict[str, RSAPublicKey] = {}
    if private_pem:
        signing_key = _checked_rsa(
            serialization.load_pem_private_key(private_pem.encode(), password=None), "The JWT signing key"
        )
        signing_kid = thumbprint(signing_key.public_key())
        public_keys[signing_kid] = signing_key.public_key()
    for origin, pem in [("The JWT verifying key", public_pem)] + [
        ("A JWT extra public key", p) for p in extra_public_pems
    ]:
        if pem:
            key = _checked_rsa(serialization.load_pem_public_key(pem.encode()), origin)
            public_keys.setdefault(thumbprint(key), key)
    return Keyring(signing_key=signing_key, signing_kid=signing_kid, public_keys=public_keys)


def current_keyring() -> Keyring:
    jwt_settings = settings.SIMPLE_JWT
    return _build_keyring(
        jwt_settings.get("SIGNING_KEY") or "",
        jwt_settings.get("VERIFYING_KEY") or "",
        tuple(getattr(settings, "JWT_EXTRA_PUBLIC_KEYS", ())),
    )


def jwks() -> dict[str, list[dict[str, str]]]:
    return {
        "keys": [
            {**public_jwk(key), "kid": kid, "use": "sig", "alg": ALGORITHM}
            for kid, key in current_keyring().public_keys.items()
        ]
    }


class KeyringTokenBackend(TokenBackend):
    """simplejwt's backend interface over the key ring; issuer and audience come from SIMPLE_JWT."""

    def __init__(self) -> None:
        super().__init__(ALGORITHM)

    @property
    def _claims(self) -> dict[str, Any]:
        return settings.SIMPLE_JWT

    def get_leeway(self) -> timedelta:
        leeway = self._claims.get("LEEWAY", 0)
        return leeway if isinstance(leeway, timedelta) else timedelta(seconds=leeway)

    def encode(self, payload: dict[str, Any]) -> str:
        keyring = current_keyring()
        if keyring.signing_key is None:
            raise TokenBackendError("No JWT signing key: run `manage.py generate_jwt_keys`.")
        return jwt.encode(
            {**payload, "iss": self._claims["ISSUER"], "aud": self._claims["AUDIENCE"]},
            keyring.signing_key,
            algorithm=ALGORITHM,
            headers={"kid": keyring.signing_kid},
        )

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not verify:
                return jwt.decode(token, options={"verify_signature": False})
            key = current_keyring().public_keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise TokenBackendError("Token is signed by an unknown key")
            # Only RS256 with the named RSA key: `alg: none` and HS256-signed-with-the-public-key
            # tokens fail here instead of being verified with the wrong algorithm.
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._claims["AUDIENCE"],
                issuer=self._claims["ISSUER"],
                leeway=self.get_leeway(),
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenBackendExpiredToken("Token is expired") from error
        except jwt.InvalidTokenError as error:
            raise TokenBackendError("Token is invalid") from error
        if refusal := claims_error(payload):
            logger.warning("JWT signed by our key refused: %s", refusal)
            raise TokenBackendError("Token is invalid")
        return payload
