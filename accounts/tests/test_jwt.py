import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.jwt import thumbprint
from accounts.tests.keys import new_key_pair

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("token-obtain")
REFRESH_URL = reverse("token-refresh")
VERIFY_URL = reverse("token-verify")
LOGOUT_URL = reverse("auth-logout")
ME_URL = reverse("me")
PASSWORD = "correct-horse-battery"
NOT_OURS = "it is malformed or not signed by this server (RS256, a known kid, our issuer and audience)"


def claims_for(user, **overrides) -> dict:
    now = int(time.time())
    return {
        "token_type": "access",
        "user_id": str(user.pk),
        "jti": "f" * 32,
        "iat": now,
        "exp": now + 300,
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        **overrides,
    }


def current_kid() -> str:
    public = serialization.load_pem_public_key(settings.SIMPLE_JWT["VERIFYING_KEY"].encode())
    return thumbprint(public)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def login(username: str, password: str = PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password})


def me_with(access: str):
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_password_login_returns_a_pair_whose_access_token_opens_the_api(client_user):
    response = login("anna")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response["Cache-Control"] == "no-store"
    me = me_with(response.json()["access"])
    assert me.status_code == 200
    assert me.json()["username"] == "anna"


def test_issued_tokens_name_their_key_and_carry_issuer_audience_and_a_short_life(client_user):
    access = login("anna").json()["access"]

    header = jwt.get_unverified_header(access)
    claims = jwt.decode(access, options={"verify_signature": False})
    assert header == {"alg": "RS256", "typ": "JWT", "kid": current_kid()}
    assert claims["iss"] == "fitness-club"
    assert claims["aud"] == "fitness-club-api"
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_password_login_updates_last_login(client_user):
    assert client_user.last_login is None

    login("anna")

    client_user.refresh_from_db()
    assert client_user.last_login is not None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "nobody", "password": PASSWORD}, 401),
        ({"username": "anna", "password": ""}, 400),
        ({"username": "anna"}, 400),
        ({"username": ["anna"], "password": PASSWORD}, 400),
    ],
)
def test_bad_credentials_get_a_4xx_and_no_token(client_user, body, status):
    response = APIClient().post(TOKEN_URL, body, format="json")

    assert response.status_code == status
    assert "access" not in response.json()


def test_wrong_password_is_a_401_with_a_message(client_user):
    response = login("anna", "wrong-password")

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials."}


def test_jwks_publishes_the_key_that_verifies_an_issued_token_with_pyjwt(client_user):
    access = login("anna").json()["access"]

    response = APIClient().get(reverse("jwks"))

    assert response.status_code == 200
    [jwk] = response.json()["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["kid"]) == ("RSA", "RS256", "sig", current_kid())
    public_key = jwt.PyJWK.from_dict(jwk).key
    claims = jwt.decode(access, public_key, algorithms=["RS256"], audience="fitness-club-api", issuer="fitness-club")
    assert claims["user_id"] == str(client_user.pk)


def test_alg_confusion_hs256_signed_with_the_public_key_is_refused(client_user):
    # The classic attack: the public key (which anyone can fetch) used as an HMAC secret.
    public_pem = settings.SIMPLE_JWT["VERIFYING_KEY"].encode()
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": current_kid()}).encode())
    payload = b64url(json.dumps(claims_for(client_user)).encode())
    signature = b64url(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    forged = f"{header}.{payload}.{signature}"

    response = me_with(forged)

    assert response.status_code == 401
    assert response.json() == {"detail": f"Access token refused: {NOT_OURS}.", "code": "token_not_valid"}
    assert APIClient().post(VERIFY_URL, {"token": forged}).status_code == 401


def test_alg_none_is_refused(client_user):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": current_kid()}).encode())
    payload = b64url(json.dumps(claims_for(client_user)).encode())

    response = me_with(f"{header}.{payload}.")

    assert response.status_code == 401
    assert response.json()["detail"] == f"Access token refused: {NOT_OURS}."


def test_a_token_signed_by_a_foreign_key_is_refused_even_with_our_kid(client_user):
    foreign_private, _ = new_key_pair()
    forged = jwt.encode(claims_for(client_user), foreign_private, algorithm="RS256", headers={"kid": current_kid()})

    response = me_with(forged)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"] == f"Access token refused: {NOT_OURS}."


def test_a_token_without_kid_is_refused(client_user):
    token = jwt.encode(claims_for(client_user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="RS256")

    assert me_with(token).status_code == 401


def test_an_expired_token_is_refused(client_user):
    now = int(time.time())
    claims = claims_for(client_user, iat=now - 3600, exp=now - 60)
    expired = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="RS256", headers={"kid": current_kid()})

    response = me_with(expired)

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Access token refused: it has expired; get a new pair at /api/auth/token/refresh/."
    )
    assert APIClient().post(VERIFY_URL, {"token": expired}).status_code == 401


@pytest.mark.parametrize(("claim", "value"), [("iss", "someone-else"), ("aud", "another-api")])
def test_a_token_for_another_issuer_or_audience_is_refused(client_user, claim, value):
    token = jwt.encode(
        claims_for(client_user, **{claim: value}),
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithm="RS256",
        headers={"kid": current_kid()},
    )

    assert me_with(token).status_code == 401


def test_a_refresh_token_does_not_work_as_an_access_token(client_user):
    refresh = login("anna").json()["refresh"]

    response = me_with(refresh)

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Access token refused: this is not an access token; a refresh token only works at /api/auth/token/refresh/."
    )


def test_an_access_token_does_not_work_as_a_refresh_token(client_user):
    access = login("anna").json()["access"]

    response = APIClient().post(REFRESH_URL, {"refresh": access})

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Refresh token refused: this is not a refresh token; an access token cannot be refreshed."
    }


def test_refresh_rotates_and_blacklists_the_presented_token(client_user):
    first = login("anna").json()

    rotated = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]})

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert me_with(rotated.json()["access"]).status_code == 200
    old_jti = jwt.decode(first["refresh"], options={"verify_signature": False})["jti"]
    assert BlacklistedToken.objects.filter(token__jti=old_jti).exists()
    replay = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]})
    assert replay.status_code == 401
    assert replay.json() == {
        "detail": "Refresh token refused: it is blacklisted (already used once, or logged out); log in again."
    }


def test_a_rotated_refresh_token_can_itself_be_rotated(client_user):
    first = login("anna").json()
    second = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]}).json()

    assert APIClient().post(REFRESH_URL, {"refresh": second["refresh"]}).status_code == 200


def test_logout_blacklists_the_refresh_token(client_user):
    pair = login("anna").json()

    response = APIClient().post(LOGOUT_URL, {"refresh": pair["refresh"]})

    assert response.status_code == 204
    assert APIClient().post(REFRESH_URL, {"refresh": pair["refresh"]}).status_code == 401
    assert APIClient().post(VERIFY_URL, {"token": pair["refresh"]}).status_code == 401


def test_logout_with_garbage_is_a_401(db):
    assert APIClient().post(LOGOUT_URL, {"refresh": "not-a-token"}).status_code == 401


def test_verify_accepts_a_live_access_token_and_describes_it(client_user):
    access = login("anna").json()["access"]

    response = APIClient().post(VERIFY_URL, {"token": access})

    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["user_id"]) == ("access", str(client_user.pk))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 5000])
def test_malformed_tokens_get_a_4xx_never_a_500(db, token):
    for url in (VERIFY_URL, REFRESH_URL, LOGOUT_URL):
        field = "token" if url == VERIFY_URL else "refresh"
        assert APIClient().post(url, {field: token}).status_code in (400, 401)
    assert me_with(token or "x").status_code == 401


def test_tokens_made_by_the_suite_helper_carry_the_kid_too(client_user):
    # Other apps and tests build tokens with simplejwt directly; they must go through the key ring.
    token = str(RefreshToken.for_user(client_user).access_token)

    assert jwt.get_unverified_header(token)["kid"] == current_kid()
    assert OutstandingToken.objects.filter(user=client_user).count() == 1


def test_a_retired_key_still_verifies_until_it_is_removed(settings, client_user):
    old_access = login("anna").json()["access"]
    old_kid = current_kid()
    old_public = settings.SIMPLE_JWT["VERIFYING_KEY"]
    new_private, new_public = new_key_pair()

    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": new_private, "VERIFYING_KEY": new_public}
    settings.JWT_EXTRA_PUBLIC_KEYS = [old_public]
    new_access = login("anna").json()["access"]
    kids = [key["kid"] for key in APIClient().get(reverse("jwks")).json()["keys"]]

    assert jwt.get_unverified_header(new_access)["kid"] == current_kid() != old_kid
    assert kids == [current_kid(), old_kid]
    assert me_with(old_access).status_code == 200
    assert me_with(new_access).status_code == 200

    settings.JWT_EXTRA_PUBLIC_KEYS = []
    assert me_with(old_access).status_code == 401
    assert me_with(new_access).status_code == 200


# --- Tokens our key signed, with claims of the wrong shape ------------------------------------------
BAD_CLAIMS = [
    {"user_id": [1]},
    {"user_id": {"id": 1}},
    {"user_id": "1 OR 1=1"},
    {"user_id": "1; DROP TABLE accounts_user"},
    {"user_id": "1\x00"},
    {"user_id": "1.0"},
    {"user_id": True},
    {"user_id": 0},
    {"user_id": 2**80},
    {"exp": "soon"},
    {"exp": 10**30},
    {"iat": 10**30},
    {"jti": ["a"]},
    {"jti": "a\x00b"},
    {"token_type": ["access"]},
]


def signed(claims: dict) -> str:
    return jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="RS256", headers={"kid": current_kid()})


@pytest.mark.parametrize("overrides", BAD_CLAIMS, ids=repr)
def test_a_token_with_malformed_claims_is_a_401_everywhere(client_user, overrides):
    access = signed(claims_for(client_user, **overrides))
    refresh = signed(claims_for(client_user, **{"token_type": "refresh", **overrides}))
    api = APIClient(raise_request_exception=False)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access}"}

    answers = {
        "me": api.get(ME_URL, **bearer),
        "workout sessions": api.get("/workout/sessions", **bearer),
        "workout finish": api.post("/workout/finish", {}, format="json", **bearer),
        "verify": api.post(VERIFY_URL, {"token": access}, format="json"),
        "refresh": api.post(REFRESH_URL, {"refresh": refresh}, format="json"),
        "logout": api.post(LOGOUT_URL, {"refresh": refresh}, format="json"),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 401)
    assert answers["me"].json() == {"detail": f"Access token refused: {NOT_OURS}.", "code": "token_not_valid"}


def test_a_fractional_user_id_does_not_sign_in_the_user_it_rounds_to(client_user):
    # int(7.5) is 7: before, the token of "user 7.5" opened user 7's account.
    response = me_with(signed(claims_for(client_user, user_id=client_user.pk + 0.5)))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
