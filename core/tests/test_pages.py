import pytest
from django.conf import settings
from django.shortcuts import resolve_url


@pytest.mark.django_db
def test_dashboard_needs_a_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, trainer):
    client.force_login(trainer)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()
