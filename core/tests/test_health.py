import pytest


def test_root_answers_ok_to_devices(client):
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_root_sends_browsers_to_the_dashboard(client):
    response = client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")


def test_health_is_the_seed_probe(client):
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_reports_each_component(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {"database": "ok", "redis": "embedded", "broker": "embedded"},
    }


@pytest.mark.django_db
def test_healthz_is_503_when_a_configured_service_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["redis"] == "down"
