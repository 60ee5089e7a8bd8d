"""The login throttle's counts, kept in the application's own database (`outreach+db://`).

Flask-Limiter counts in a `limits` storage. The in-memory one counts per process, so under
`gunicorn -w 4`, or two app servers on one database, an attacker gets four or eight times the
attempts (SECURITY.md 3). This storage keeps one row per limit key in `throttle_counts`,
shared by every worker and server, with nothing else to run. It supports the fixed-window
strategy, Flask-Limiter's default and the only one the app uses.

A key names an IP address or an e-mail address, so only its keyed hash (HMAC with the
SECRET_KEY) is stored.
"""

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import import_module

from flask import current_app
from limits.storage import Storage
from sqlalchemy import Connection, Integer, String, case, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import UTCDateTime, db, one_statement

SCHEME = "outreach+db"


class ThrottleCount(db.Model):
    __tablename__ = "throttle_counts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    # Indexed for delete_expired, which the scheduler runs.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


def now() -> datetime:
    """The throttle's clock; tests move it instead of sleeping through a window."""
    return datetime.now(UTC)


def hashed_key(key: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"throttle:" + key.encode(), hashlib.sha256).hexdigest()


@contextmanager
def _own_transaction() -> Iterator[Connection]:
    """A connection and transaction of the throttle's own, never the request's session: the
    limiter counts after the response (deduct_when), and a request that rolls back must not
    take its count with it."""
    bind = db.engine
    if isinstance(bind, Connection):
        # The test suite runs each test on one connection inside a transaction that is rolled
        # back at its end (tests/conftest.py rolled_back); a savepoint on it stands in for a
        # transaction of its own. It sits inside the request's savepoint when the request left
        # one open, so there a request's rollback takes the count with it: the tests of that
        # case use a database of their own (tests/test_throttle.py).
        with bind.begin_nested():
            yield bind
    else:
        with one_statement(), bind.begin() as connection:
            yield connection


class DatabaseStorage(Storage):
    """A `limits` storage in the application's database, for the fixed-window strategy."""

    STORAGE_SCHEME = [SCHEME]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` more hits; a window that has expired starts again at `amount`.

        One INSERT ... ON CONFLICT DO UPDATE ... RETURNING: the database serialises the
        writers on the row, so concurrent hits from any process are all counted.
        """
        table = ThrottleCount.__table__
        at = now()
        until = at + timedelta(seconds=expiry)
        with _own_transaction() as connection:
            insert = import_module(f"sqlalchemy.dialects.{connection.dialect.name}").insert
            statement = insert(table).values(key=hashed_key(key), count=amount, expires_at=until)
            # Both expressions read the row as it was before this update.
            expired = table.c.expires_at <= at
            statement = statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, amount), else_=table.c.count + amount),
                    "expires_at": case((expired, until), else_=table.c.expires_at),
                },
            ).returning(table.c.count)
            return connection.execute(statement).scalar_one()

    def _live_row(self, key: str):
        table = ThrottleCount.__table__
        with _own_transaction() as connection:
            return connection.execute(
                select(table.c.count, table.c.expires_at).where(
                    table.c.key == hashed_key(key), table.c.expires_at > now()
                )
            ).one_or_none()

    def get(self, key: str) -> int:
        row = self._live_row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends, in seconds since the epoch (now when it has none)."""
        row = self._live_row(key)
        return (row.expires_at if row else now()).timestamp()

    def check(self) -> bool:
        try:
            with _own_transaction() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        with _own_transaction() as connection:
            return connection.execute(delete(ThrottleCount.__table__)).rowcount

    def clear(self, key: str) -> None:
        table = ThrottleCount.__table__
        with _own_transaction() as connection:
            connection.execute(delete(table).where(table.c.key == hashed_key(key)))


def delete_expired(batch: int = 10_000) -> int:
    """Delete up to `batch` rows whose window has ended; returns how many. Expired rows count
    as nothing already, so this only keeps the table small."""
    table = ThrottleCount.__table__
    expired = select(table.c.key).where(table.c.expires_at <= now()).limit(batch)
    with _own_transaction() as connection:
        return connection.execute(delete(table).where(table.c.key.in_(expired))).rowcount
