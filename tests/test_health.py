"""/healthz (alive) and /readyz (database reachable, schema at the migrations' head): no login,
no data, never cached, never rate-limited, never a stack trace or the database's address."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from outreach.db import db
from tests.conftest import database_url, make_app


def test_healthz_answers_ok_without_login_and_is_not_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_answers_ready_on_the_migrated_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready"}
    assert response.headers["Cache-Control"] == "no-store"


def test_probes_are_not_rate_limited(client):
    statuses = {client.get(path).status_code for path in ("/healthz", "/readyz") * 30}

    assert statuses == {200}


@pytest.fixture
def scratch_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "readyz"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_readyz_says_migrations_pending_one_migration_behind_and_ready_after_upgrade(
    scratch_app,
):
    client = scratch_app.test_client()
    assert client.get("/readyz").json == {"status": "not_ready", "reason": "migrations_pending"}
    upgrade()
    downgrade(revision="-1")
    db.session.remove()

    behind = client.get("/readyz")

    assert behind.status_code == 503
    assert behind.json == {"status": "not_ready", "reason": "migrations_pending"}
    assert behind.headers["Cache-Control"] == "no-store"
    upgrade()
    db.session.remove()
    assert client.get("/readyz").status_code == 200


def test_readyz_stays_ready_when_the_schema_is_a_newer_releases(scratch_app):
    """Between `db upgrade` of a new release and the reload, the old workers keep serving."""
    upgrade()
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'from_a_newer_release'"))
    db.session.commit()

    assert scratch_app.test_client().get("/readyz").json == {"status": "ready"}


def test_readyz_says_database_unreachable_without_its_address_and_healthz_stays_ok(tmp_path):
    url = "sqlite:///" + str(tmp_path / "no-such-folder" / "outreach.sqlite3")
    app = make_app(url)

    with app.app_context():
        client = app.test_client()
        response = client.get("/readyz")
        alive = client.get("/healthz")
        db.engine.dispose()

    assert response.status_code == 503
    assert response.json == {"status": "not_ready", "reason": "database_unreachable"}
    assert "no-such-folder" not in response.get_data(as_text=True)
    assert alive.status_code == 200
