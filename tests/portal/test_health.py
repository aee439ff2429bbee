import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_the_database_without_a_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_against_real_postgres_and_redis(client):
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["database"] == {
        **body["checks"]["database"],
        "ok": True,
        "backend": "postgresql",
    }
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
