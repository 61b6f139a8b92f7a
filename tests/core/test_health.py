from app import create_app
from tests.conftest import config_for


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    url = "sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite3")
    app = create_app(config_for(url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_healthz_needs_no_login_and_leaks_nothing(client):
    response = client.get("/healthz")
    assert set(response.get_json()) == {"status"}
