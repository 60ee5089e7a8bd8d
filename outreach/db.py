"""The SQLAlchemy base: naming convention, UTC timestamps, UUID ids, SQLite settings, and
which transactions take SQLite's write lock (write_transaction() and its guard)."""

import logging
import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def commit_keeping_state() -> None:
    """Commit, and keep the loaded objects as they are instead of expiring them: the request
    answers from what it has just written, without reading it back in a new transaction (on
    SQLite one that would wait for the write lock again)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always returns an aware UTC datetime, also from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    # Only SQLite: WAL for concurrent readers, enforced foreign keys, and pysqlite's own
    # transaction handling switched off so SQLAlchemy's BEGIN/SAVEPOINT work as documented.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _owner_only(cursor)  # before WAL mode: SQLite gives the -wal and -shm files its mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Writers queue for SQLite's one write lock; SQLite's busy handler is not fair, so under
        # load one waiter can wait long: 15 s, well inside gunicorn's timeout (30 s).
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def _owner_only(cursor) -> None:
    """The database file and its -wal and -shm files readable by their owner alone (0600):
    they hold every record, and SQLite creates them with the process's umask (often 0644)."""
    for _seq, name, path in cursor.execute("PRAGMA database_list").fetchall():
        if name != "main" or not path:
            continue  # an in-memory database has no file
        for file in (path, path + "-wal", path + "-shm"):
            with suppress(FileNotFoundError):
                if stat.S_IMODE(os.stat(file).st_mode) & 0o077:
                    os.chmod(file, 0o600)


# Set inside write_transaction(): a transaction begun there takes the write lock. A context
# variable rather than a connection execution option, because a connection handed to the
# session (the tests' rolled-back one) keeps its options after the transaction ends.
_writing: ContextVar[bool] = ContextVar("outreach_writing", default=False)


# Set inside one_statement(): each transaction begun there runs a single statement.
_one_statement: ContextVar[bool] = ContextVar("outreach_one_statement", default=False)


@contextmanager
def one_statement() -> Iterator[None]:
    """For transactions of a single statement each, on a connection of their own (the login
    throttle's counts): on SQLite they begin deferred, since one statement cannot read a
    snapshot and then write against a newer one; a writing statement waits for the lock
    within busy_timeout. Begun IMMEDIATE, a mere read of a count would wait for the lock that
    the request's own transaction, on the same thread, holds until the request ends."""
    token = _one_statement.set(True)
    try:
        yield
    finally:
        _one_statement.reset(token)


class WriteInReadTransaction(RuntimeError):
    """A write in a transaction begun to read only (development and tests; production logs)."""


def reads_only() -> bool:
    """Whether a transaction begun now only reads: one begun in a GET, HEAD or OPTIONS request
    outside write_transaction(). Every other one (unsafe methods, CLI commands, scheduler jobs,
    code outside a request) is presumed to write."""
    return has_request_context() and request.method in SAFE_METHODS and not _writing.get()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    # A reading transaction begins deferred, so a long report read never holds the write lock
    # that every phone's PUT needs (WAL lets readers and one writer run side by side). A
    # writing one takes the lock at its start: a deferred transaction that has read and then
    # writes fails at once with "database is locked" when another connection committed in
    # between, which busy_timeout cannot wait out.
    if conn.dialect.name == "sqlite":
        deferred = reads_only() or _one_statement.get()
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@contextmanager
def write_transaction() -> Iterator[None]:
    """A write inside a reading request (an audited read, a token's last use): ends the
    request's read transaction, which must hold no changes, and runs the block in a transaction
    of its own that takes the write lock on SQLite; commits at the end, rolls back on an error.
    On PostgreSQL it is simply a short transaction of its own."""
    session = db.session
    if _pending_changes(session):
        raise WriteInReadTransaction(
            "write_transaction() must start from a transaction without changes"
        )
    session.commit()
    token = _writing.set(True)
    try:
        session.connection()  # begins now, while _writing tells the begin hook to lock
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)


def _pending_changes(session: Session) -> list:
    return [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]


def _in_read_transaction(session: Session) -> bool:
    return reads_only() and session.get_bind().dialect.name == "sqlite"


def _refuse_write(what: str) -> None:
    # Names the kind of row and the route, never a value: the log holds no personal data.
    message = f"{what} in a read-only {request.method} transaction ({request.endpoint})"
    if current_app.config.get("OUTREACH_ENV") in {"development", "testing"}:
        raise WriteInReadTransaction(
            message + ": a request that only reads runs deferred on SQLite; wrap the write "
            "in db.write_transaction()"
        )
    log.warning(message)


@event.listens_for(Session, "before_flush")
def _guard_flush(session, flush_context, instances):
    if not _in_read_transaction(session):
        return
    changed = _pending_changes(session)
    if changed:
        kinds = ", ".join(sorted({type(o).__name__ for o in changed}))
        _refuse_write(f"a flush of {kinds}")


@event.listens_for(Session, "do_orm_execute")
def _guard_execute(state: ORMExecuteState):
    if (state.is_insert or state.is_update or state.is_delete) and _in_read_transaction(
        state.session
    ):
        _refuse_write("an INSERT, UPDATE or DELETE")
