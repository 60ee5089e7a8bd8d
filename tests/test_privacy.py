"""Personal data stays out of URLs, cookies and logs (issue 11 item 5).

A marker alias goes through a suggestion, a merge and its undo in the back office, and a day's
work (tests/test_logs.py): it appears in no cookie the app sets (the Flask session cookie is
decoded with the app's own serializer: it is signed, not encrypted, so a flash message in it
is readable by anyone who has the cookie) and in no log record. A database error does not
quote the row it refused, even to a formatter that prints exception messages."""

import json
import logging
import uuid
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select, text

from outreach import config as config_module
from outreach import logs
from outreach.db import db
from outreach.persons import queries as person_queries
from outreach.persons.models import PersonMerge
from tests.persons.test_api_persons import body as person_body
from tests.test_logs import a_days_work


@pytest.fixture
def marker():
    return f"MARKER-{uuid.uuid4()}"


class CookieJarWatch:
    """Every Set-Cookie of every response a test client receives, redirects included."""

    def __init__(self, app):
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.headers: list[str] = []

    def watch(self, client) -> None:
        original = client.open

        def open_(*args, **kwargs):
            response = original(*args, **kwargs)
            for each in [*getattr(response, "history", ()), response]:
                self.headers.extend(each.headers.getlist("Set-Cookie"))
            return response

        client.open = open_

    def readable(self) -> list[str]:
        """Each cookie as its header, and the session cookie's content as the app reads it."""
        texts = list(self.headers)
        for header in self.headers:
            for name, morsel in SimpleCookie(header).items():
                if name == "session" and morsel.value:
                    texts.append(json.dumps(self.serializer.loads(morsel.value), default=str))
        return texts


def logged_lines(records, *, with_exception_messages=False) -> list[str]:
    lines = [logs.JsonFormatter().format(r) for r in records]
    lines += [logs.TextFormatter().format(r) for r in records]
    if with_exception_messages:
        # As a formatter of someone else's would write them (the standard one prints the
        # exception's message, which ours drop).
        lines += [logging.Formatter().format(r) for r in records]
    return lines


def capture_everything(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("outreach", "flask.app", "werkzeug", "sqlalchemy", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)


def a_suggestion_a_merge_and_its_undo(c, marker):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for person_id in (first, second):
        answer = c.put(f"/api/v1/persons/{person_id}", json=person_body(alias=marker))
        assert answer.status_code == 201
    suggested = c.post("/api/v1/persons/suggestions", json={"alias": marker})
    assert suggested.status_code == 200 and len(suggested.json) == 2

    merged = c.form_post(f"/persons/{first}/merge/{second}", {"keep": first})
    assert merged.status_code == 303
    # The flash message is in the cookie now; the person page shows and removes it.
    shown = c.get(merged.headers["Location"])
    assert shown.status_code == 200
    assert "now one person" in shown.get_data(as_text=True)

    merge = db.session.scalar(select(PersonMerge).where(PersonMerge.target_id == uuid.UUID(first)))
    undone = c.form_post(f"/persons/merges/{merge.id}/undo", {})
    assert undone.status_code == 303
    assert "count as two persons" in c.get(undone.headers["Location"]).get_data(as_text=True)


def test_a_suggestion_a_merge_and_a_days_work_leave_the_alias_in_no_cookie_and_no_log(
    app, coordinator_client, client, org, marker, monkeypatch, caplog, capsys
):
    capture_everything(caplog)
    cookies = CookieJarWatch(app)
    cookies.watch(coordinator_client.client)
    cookies.watch(client)

    a_suggestion_a_merge_and_its_undo(coordinator_client, marker)
    a_days_work(coordinator_client, client, org, marker, monkeypatch)

    assert any("_flashes" in each for each in cookies.readable())  # the decoding works
    assert not [each for each in cookies.readable() if marker in each]
    assert not [line for line in logged_lines(caplog.records) if marker in line]
    assert marker not in capsys.readouterr().err


def test_suggestions_take_the_alias_in_the_body_and_a_get_with_it_is_refused(
    coordinator_client, marker
):
    refused = coordinator_client.get(f"/api/v1/persons/suggestions?alias={marker}")

    assert refused.status_code == 405
    assert "POST" in refused.json["message"]
    assert marker not in refused.get_data(as_text=True)


def test_the_openapi_document_offers_suggestions_by_post_only(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/persons/suggestions"]

    assert "requestBody" in paths["post"]
    assert paths["get"].get("deprecated") is True
    assert not paths["get"].get("parameters")


def test_a_database_error_does_not_quote_the_row_it_refused(
    coordinator_client, marker, monkeypatch, caplog
):
    capture_everything(caplog)
    raised = []

    def refused_insert(*args, **kwargs):
        try:  # users need an organisation, a role, a password: the row is refused
            db.session.execute(
                text("INSERT INTO users (id, email, name) VALUES (:id, :email, :name)"),
                {"id": uuid.uuid4().hex, "email": marker, "name": marker},
            )
        except Exception as exc:
            raised.append(exc)
            raise

    monkeypatch.setattr(person_queries, "read_person", refused_insert)

    response = coordinator_client.get(f"/api/v1/persons/{uuid.uuid4()}")

    assert response.status_code == 500
    assert type(raised[0]).__name__ == "IntegrityError"
    assert "parameters hidden" in str(raised[0])
    assert [r for r in caplog.records if r.levelno == logging.ERROR]
    # PostgreSQL's own message quotes the refused row ("DETAIL: Failing row contains ..."), so
    # there only our formatters, which never write an exception's message, are safe.
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if not postgres:
        assert marker not in str(raised[0])
    lines = logged_lines(caplog.records, with_exception_messages=not postgres)
    assert not [line for line in lines if marker in line]


@pytest.mark.parametrize(
    ("environment", "asked", "hidden"),
    [
        ("production", None, True),
        ("production", "true", True),  # never in production, whatever is set
        ("development", None, True),
        ("development", "true", False),  # explicit debugging on a developer's machine
    ],
)
def test_statement_parameters_are_hidden_unless_debugging_in_development(
    monkeypatch, tmp_path, environment, asked, hidden
):
    monkeypatch.setenv("OUTREACH_ENV", environment)
    if asked is None:
        monkeypatch.delenv("DB_LOG_PARAMETERS", raising=False)
    else:
        monkeypatch.setenv("DB_LOG_PARAMETERS", asked)

    options = config_module.from_environment(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]

    assert options["hide_parameters"] is hidden


def test_the_app_engine_hides_parameters(app):
    assert db.session.get_bind().engine.hide_parameters is True
