import json
import logging
import logging.config

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from django.utils.log import configure_logging
from prometheus_client.parser import text_string_to_metric_families


def test_every_response_carries_a_request_id(client):
    first = client.get("/health")["X-Request-ID"]
    second = client.get("/health")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_a_sane_caller_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/health", HTTP_X_REQUEST_ID="lb-4f2a.9")["X-Request-ID"] == "lb-4f2a.9"
    replaced = client.get("/health", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert "\n" not in replaced
    assert len(replaced) == 32


@pytest.mark.django_db
def test_metrics_are_hidden_from_the_public(client):
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.json()["detail"]


@pytest.mark.django_db
def test_a_scraper_with_the_token_reads_http_metrics_by_route(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    client.get("/health")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200
    assert 'club_http_requests_total{method="GET",route="health",status="200"}' in response.content.decode()


@pytest.mark.django_db
def test_a_signed_in_admin_reads_the_metrics(client, admin_user, trainer):
    client.force_login(trainer)
    assert client.get("/metrics").status_code == 403
    client.force_login(admin_user)
    assert client.get("/metrics").status_code == 200


def scraped_samples(body: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


@pytest.mark.django_db(transaction=True)
async def test_a_scraper_sees_websocket_connections_by_path_and_reps_by_outcome_move(device_sends, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    scrape = sync_to_async(lambda: Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret"))
    rep = '{"event": "rep_detected", "type": "squat"}'
    before = scraped_samples((await scrape()).content.decode())

    await device_sends(rep, rep, '{"event": "jump"}')

    after = scraped_samples((await scrape()).content.decode())
    moved = {
        ("club_websocket_connections_accepted_total", (("path", "/ws/workout"),)): 1,
        ("club_workout_reps_total", (("outcome", "counted"),)): 1,
        ("club_workout_reps_total", (("outcome", "ignored"),)): 1,
        ("club_workout_reps_total", (("outcome", "error"),)): 1,
    }
    assert {sample: after[sample] - before.get(sample, 0) for sample in moved} == moved
    gauge = ("club_websocket_connections_open", (("path", "/ws/workout"),))
    assert after[gauge] == before.get(gauge, 0)


def test_json_logs_carry_the_request_id(capsys):
    config = {**settings.LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}
    config["handlers"] = {"console": {**config["handlers"]["console"], "formatter": "json"}}
    logging.config.dictConfig(config)
    try:
        logging.getLogger("club.test").info("rep counted")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert (line["message"], line["level"], line["request_id"]) == ("rep counted", "INFO", "-")


def json_log_line(capsys, logger_name: str, message: str, *args, **kwargs) -> dict:
    config = {**settings.LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}
    config["handlers"] = {"console": {**config["handlers"]["console"], "formatter": "json"}}
    logging.config.dictConfig(config)
    try:
        logging.getLogger(logger_name).warning(message, *args, **kwargs)
        return json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logging.config.dictConfig(settings.LOGGING)


def test_logs_never_carry_tokens_credentials_or_configured_secrets(capsys, settings):
    settings.METRICS_TOKEN = "scrape-secret-4242"
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VyX2lkIjoiNyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    line = json_log_line(
        capsys,
        "club.test",
        "GET /ws/workout?token=%s from %s via %s, header Bearer %s, scraper %s",
        "opaque-value",
        "amqp://club:hunter2@rabbitmq:5672//",
        jwt,
        "abc.def.ghi",
        "scrape-secret-4242",
    )
    text = json.dumps(line)
    for secret in ("opaque-value", "hunter2", jwt, "abc.def.ghi", "scrape-secret-4242"):
        assert secret not in text
    assert "token=[redacted]" in line["message"]
    assert "amqp://club:[redacted]@rabbitmq" in line["message"]


def test_extra_fields_of_a_log_record_are_redacted_too(capsys, rf):
    # django.request attaches the request, whose repr carries the query string.
    request = rf.get("/missing", {"token": "opaque-value"})
    line = json_log_line(capsys, "django.request", "Not Found: %s", request.path, extra={"request": request})
    assert "opaque-value" not in json.dumps(line)
    assert "token=[redacted]" in line["request"]


@pytest.mark.django_db
def test_the_access_log_names_the_request_without_its_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="club.access")
    response = client.get("/health?token=opaque-value", HTTP_X_REQUEST_ID="lb-1")
    [record] = [record for record in caplog.records if record.name == "club.access"]
    assert record.getMessage().startswith("GET /health 200 ")
    assert (record.request_id, record.status, response["X-Request-ID"]) == ("lb-1", 200, "lb-1")
    assert "opaque-value" not in caplog.text


@pytest.mark.django_db
def test_djangos_not_found_line_carries_the_request_id(client, capsys):
    logging.config.dictConfig(settings.LOGGING)  # a handler on the stderr capsys captures
    try:
        client.get("/no-such-page?token=opaque-value", HTTP_X_REQUEST_ID="lb-404")
        lines = capsys.readouterr().err.splitlines()
    finally:
        logging.config.dictConfig(settings.LOGGING)
    [not_found] = [line for line in lines if "Not Found: /no-such-page" in line]
    assert "[lb-404]" in not_found


def test_under_debug_a_django_log_line_is_written_once_and_redacted(capsys, settings):
    # `make run` runs with DEBUG on, where Django's own defaults add a second, unredacted handler.
    settings.DEBUG = True
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)  # as django.setup() does
    try:
        logging.getLogger("django.request").warning("Not Found: %s", "/live?token=opaque-value")
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        logging.config.dictConfig(settings.LOGGING)
    [line] = lines
    assert line.endswith("Not Found: /live?token=[redacted]")


def test_a_request_that_loses_the_database_answers_503_with_retry_after(rf):
    from django.db import OperationalError

    from core.health import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(rf.get("/api/me/"), OperationalError("server closed the connection"))
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert json.loads(response.content) == {"detail": "The database is unavailable; retry shortly."}
    assert middleware.process_exception(rf.get("/api/me/"), ValueError("a bug")) is None
