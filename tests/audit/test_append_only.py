"""The audit log is append-only: no code path updates or deletes an event (the source is
scanned for one), the ORM refuses to, and the database's triggers refuse any UPDATE or DELETE
of audit_events (and TRUNCATE on PostgreSQL), on SQLite and on PostgreSQL
(`scripts/with-postgres.sh`)."""

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from outreach.audit.models import AppendOnly
from outreach.audit.services import record
from outreach.db import db

ROOT = Path(__file__).resolve().parents[2]
# Ways to change or remove an event: SQLAlchemy statements, query chains, session calls,
# assignments to a loaded event's columns, and SQL text.
FORBIDDEN = [
    re.compile(r"\b(update|delete)\(\s*(AuditEvent|audit_events)\b"),
    re.compile(r"\bAuditEvent\b[^\n]*\.(update|delete)\("),
    re.compile(r"\bsession\.delete\(\s*\w*(event|audit)\w*", re.I),
    re.compile(
        r"\b\w*event\w*\.(action|details|at|object_id|object_type|user_id|organisation_id)"
        r"\s*=(?!=)"
    ),
    re.compile(r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+\"?audit_events\b", re.I),
]


def stored_events() -> list[tuple[str, str]]:
    """Every row as the database holds it (action, details), read past the ORM."""
    rows = db.session.execute(text("SELECT action, details FROM audit_events ORDER BY id"))
    return [(action, str(details).replace(" ", "")) for action, details in rows]


def offending_lines(source: str) -> list[str]:
    return [
        line.strip()
        for line in source.splitlines()
        if any(pattern.search(line) for pattern in FORBIDDEN)
    ]


@pytest.mark.parametrize(
    "line",
    [
        "db.session.execute(update(AuditEvent).values(action='x'))",
        "db.session.execute(sa.delete(AuditEvent).where(AuditEvent.at < cutoff))",
        "AuditEvent.query.filter_by(action='auth.login').delete()",
        "db.session.delete(event)",
        "event.details = {}",
        "audit_event.action = 'auth.login'",
        'op.execute("DELETE FROM audit_events WHERE at < now()")',
        "connection.execute(text('UPDATE audit_events SET details = NULL'))",
        "TRUNCATE TABLE audit_events",
    ],
)
def test_the_scan_finds_each_way_to_change_an_event(line):
    assert offending_lines(line) == [line]


def test_the_scan_lets_reads_and_inserts_through():
    reading = (
        "select(AuditEvent).where(AuditEvent.action == 'auth.login')\n"
        "record('auth.login', user=user)\n"
        "if event.action == 'person.read':\n"
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events\n"
    )
    assert offending_lines(reading) == []


def test_no_code_updates_or_deletes_an_audit_event():
    found = []
    for folder in ("outreach", "migrations", "scripts", "benchmarks"):  # the tests are not app code
        for file in sorted((ROOT / folder).rglob("*.py")):
            for line in offending_lines(file.read_text("utf-8")):
                found.append(f"{file.relative_to(ROOT)}: {line}")
    assert found == []


def test_the_orm_refuses_to_change_an_event(app, admin):
    event = record("auth.login", user=admin)

    event.details = {"changed": True}
    with pytest.raises(AppendOnly):
        db.session.flush()


def test_the_orm_refuses_to_delete_an_event(app, admin):
    event = record("auth.login", user=admin)

    db.session.delete(event)  # scan: allowed here, the test of the refusal
    with pytest.raises(AppendOnly):
        db.session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'auth.logout'",
        "UPDATE audit_events SET details = '{}' WHERE action = 'auth.login'",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE action = 'auth.login'",
    ],
)
def test_the_database_refuses_to_update_or_delete_an_event(app, admin, statement):
    record("auth.login", user=admin)
    before = stored_events()

    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))

    assert stored_events() == before and ("auth.login", "{}") in before


def test_postgresql_refuses_to_truncate_the_audit_log(app, admin):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    record("auth.login", user=admin)
    before = stored_events()

    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("TRUNCATE audit_events"))

    assert stored_events() == before


def test_new_events_are_still_written(app, admin):
    before = stored_events()
    record("auth.login", user=admin)
    record("auth.logout", user=admin)

    assert len(stored_events()) == len(before) + 2
