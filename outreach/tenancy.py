"""The one way to query tenant data: every statement on an organisation's rows is scoped here.

`scoped(stmt, org_id, *models)` adds `model.organisation_id = :org` for each tenant model the
statement reads (its joins and aggregates included) and marks the statement as scoped. The few
statements that rightly span organisations (a login looks a user up by e-mail, a nightly job
walks every organisation) say so with `unscoped(stmt, why)`. With the `TENANCY_GUARD` setting
on (development and tests), a statement that reads a tenant table without either raises
`UnscopedQuery`, so a forgotten organisation filter fails the first test that runs it."""

import logging
import os
import sys
import uuid
from pathlib import Path

from flask import abort, current_app, has_app_context
from sqlalchemy import Select, and_, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.schema import Table

from outreach.db import db

log = logging.getLogger(__name__)

SCOPE_OPTION = "tenant_scope"  # execution option: names of the tables a statement scoped
UNSCOPED_OPTION = "tenant_unscoped"  # execution option: why a statement spans organisations


class UnscopedQuery(RuntimeError):
    """A statement read tenant rows without `scoped()` or `unscoped()`."""


def _table(model) -> Table:
    """The table behind a model, an aliased model or a table."""
    selectable = inspect(model).selectable if not isinstance(model, Table) else model
    while not isinstance(selectable, Table):
        selectable = selectable.element
    return selectable


def _organisation_column(model):
    return model.c.organisation_id if isinstance(model, Table) else model.organisation_id


def scoped(stmt, organisation_id: uuid.UUID, *models):
    """`stmt` restricted to the organisation's rows of each of `models` (aliases and tables
    welcome)."""
    if not models:
        raise ValueError("name the tenant models the statement reads")
    names = set(stmt.get_execution_options().get(SCOPE_OPTION, ()))
    for model in models:
        stmt = stmt.where(_organisation_column(model) == organisation_id)
        names.add(_table(model).name)
    return stmt.execution_options(**{SCOPE_OPTION: frozenset(names)})


def scoped_outerjoin(stmt, target, onclause, organisation_id: uuid.UUID, *, left=None):
    """`stmt` LEFT OUTER JOIN `target` with the organisation's condition in the ON clause: in
    the WHERE clause it would drop the rows that have no match."""
    condition = and_(onclause, _organisation_column(target) == organisation_id)
    if left is None:
        stmt = stmt.outerjoin(target, condition)
    else:
        stmt = stmt.outerjoin_from(left, target, condition)
    names = set(stmt.get_execution_options().get(SCOPE_OPTION, ())) | {_table(target).name}
    return stmt.execution_options(**{SCOPE_OPTION: frozenset(names)})


def unscoped(stmt, why: str):
    """Mark a statement that rightly spans organisations; `why` is for the reader."""
    return stmt.execution_options(**{UNSCOPED_OPTION: why})


def tenant_select(model, organisation_id: uuid.UUID) -> Select:
    """`SELECT model ... WHERE model.organisation_id = :org`; add filters to the result."""
    return scoped(select(model), organisation_id, model)


def get_in_org(model, object_id, organisation_id: uuid.UUID):
    """The row with this id in this organisation, or None (also for another org's id)."""
    if not isinstance(object_id, uuid.UUID):
        try:
            object_id = uuid.UUID(str(object_id))
        except ValueError:
            return None
    return db.session.scalar(tenant_select(model, organisation_id).where(model.id == object_id))


def get_in_org_or_404(model, object_id, organisation_id: uuid.UUID):
    obj = get_in_org(model, object_id, organisation_id)
    if obj is None:
        abort(404)
    return obj


def reference_in_org(foreign_key, value, organisation_id: uuid.UUID) -> bool:
    """True when the row that `foreign_key` (a model column, e.g. `Visit.clinic_id`) would
    point to with `value` belongs to the organisation. A record refers to another feature's
    rows by id only, so the check needs no import of that feature: the schema names the table."""
    (fk,) = foreign_key.property.columns[0].foreign_keys
    target = fk.column.table
    stmt = scoped(select(fk.column).where(fk.column == value), organisation_id, target)
    return db.session.scalar(stmt.limit(1)) is not None


def owner_of(model, object_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation that has a row with this id, or None when no organisation has."""
    return db.session.scalar(
        unscoped(
            select(model.organisation_id).where(model.id == object_id),
            "asks which organisation owns an id, to refuse it to the others",
        )
    )


def owner_of_row(table_name: str, object_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation a row of the named table belongs to (None: no such row). Rows without
    an organisation of their own (API tokens, user sessions) belong to their user's."""
    table = db.metadata.tables[table_name]
    if "organisation_id" in table.c:
        stmt = select(table.c.organisation_id)
    else:
        users = db.metadata.tables["users"]
        stmt = select(users.c.organisation_id).join_from(
            table, users, table.c.user_id == users.c.id
        )
    return db.session.scalar(
        unscoped(
            stmt.where(table.c.id == object_id),
            "asks which organisation owns an id in a refused URL, to audit the refusal",
        )
    )


# The guard ---------------------------------------------------------------------------------


def is_tenant_table(table: Table) -> bool:
    return "organisation_id" in table.c


def unscoped_tenant_tables(stmt) -> set[str]:
    """Names of tenant tables that `stmt` reads or writes without `scoped()` covering them;
    empty for a statement marked `unscoped()`."""
    read, covered = set(), set()
    for element in visitors.iterate(stmt):
        options = getattr(element, "_execution_options", None) or {}
        if UNSCOPED_OPTION in options:
            return set()
        covered.update(options.get(SCOPE_OPTION, ()))
        if isinstance(element, Table) and is_tenant_table(element):
            read.add(element.name)
    table = getattr(stmt, "table", None)  # UPDATE / DELETE name their table outside the tree
    if isinstance(table, Table) and is_tenant_table(table):
        read.add(table.name)
    return read - covered


_PACKAGE = Path(__file__).resolve().parent
_SKIPPED = (str(_PACKAGE / "tenancy.py"), f"{os.sep}sqlalchemy{os.sep}", "flask_sqlalchemy")


def _called_by_application() -> bool:
    """Whether the code that issued the statement is the application's: the guard judges the
    application, not a test's or a script's own look at the database."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not any(part in filename for part in _SKIPPED):
            return filename.startswith(str(_PACKAGE))
        frame = frame.f_back
    return False


def _check(state: ORMExecuteState) -> None:
    if not has_app_context():
        return
    mode = current_app.config.get("TENANCY_GUARD", "off")
    # Loads of an object's own columns or relationships follow a row already read in scope.
    if mode == "off" or state.is_relationship_load or state.is_column_load or state.is_insert:
        return
    if state.execution_options.get(UNSCOPED_OPTION):
        return
    missing = unscoped_tenant_tables(state.statement)
    if not missing or not _called_by_application():
        return
    message = f"statement on {', '.join(sorted(missing))} not scoped to an organisation"
    if mode == "raise":
        raise UnscopedQuery(message + ": build it with tenancy.scoped() or mark it unscoped()")
    log.warning(message)


def init_app(app) -> None:
    if not event.contains(Session, "do_orm_execute", _check):
        event.listen(Session, "do_orm_execute", _check)
