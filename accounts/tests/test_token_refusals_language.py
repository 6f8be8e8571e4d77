"""A refused token is explained in the caller's language; simplejwt's reason is read in English."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db

NOT_OURS_RU = "он повреждён или подписан не этим сервером (RS256, известный kid, наш издатель и аудитория)"


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("ru", f"Токен доступа отклонён: {NOT_OURS_RU}."),
        (
            None,
            "Access token refused: it is malformed or not signed by this server "
            "(RS256, a known kid, our issuer and audience).",
        ),
    ],
)
def test_a_garbage_access_token_is_refused_in_the_callers_language(language, detail):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    response = APIClient().get(reverse("me"), HTTP_AUTHORIZATION="Bearer not.a.token", **headers)

    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": "token_not_valid"}


def test_a_refresh_token_used_as_access_gets_the_hint_in_russian(client_user):
    refresh = str(RefreshToken.for_user(client_user))

    response = APIClient().get(reverse("me"), HTTP_AUTHORIZATION=f"Bearer {refresh}", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Токен доступа отклонён: это не токен доступа; refresh-токен работает только на /api/auth/token/refresh/."
    )
