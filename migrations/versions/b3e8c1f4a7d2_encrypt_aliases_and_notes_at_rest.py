"""Encrypt aliases, notes and kept searches at rest; a keyed hash of the alias (exact form)

Seals every existing value of the encrypted columns (outreach/crypto.py) with the active key
of DATA_KEYS, bound to its row; fills persons.alias_lookup. Safe to run again: a value already
in the sealed format is left as it is, and a look-up hash is only filled where missing. The
alias and the kept search's text become TEXT (a sealed value is longer than the 100
characters of the plaintext). The downgrade opens the values again (it needs the same keys).

Revision ID: b3e8c1f4a7d2
Revises: 3015accdb78f
Create Date: 2026-12-07 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

from outreach import crypto
from outreach.persons.matching import exact_form


# revision identifiers, used by Alembic.
revision = "b3e8c1f4a7d2"
down_revision = "3015accdb78f"
branch_labels = None
depends_on = None

# (table, id type, encrypted columns): the columns as they are at this revision.
ENCRYPTED = (
    ("persons", sa.Uuid(), ("alias",)),
    ("conversations", sa.Uuid(), ("notes",)),
    ("visits", sa.Uuid(), ("notes", "police_note")),
    ("clinics", sa.Uuid(), ("notes",)),
    ("person_searches", sa.String(), ("query",)),
)
BATCH = 1000


def _rows(bind, table, columns):
    """Every row's id and columns, keyset-paged by id."""
    last = None
    while True:
        stmt = sa.select(table.c.id, *(table.c[c] for c in columns)).order_by(table.c.id)
        if last is not None:
            stmt = stmt.where(table.c.id > last)
        rows = bind.execute(stmt.limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _convert(change) -> None:
    """Apply change(value, place) to each non-null value of every encrypted column."""
    bind = op.get_bind()
    for name, id_type, columns in ENCRYPTED:
        table = sa.table(name, sa.column("id", id_type), *(sa.column(c, sa.Text()) for c in columns))
        for row in list(_rows(bind, table, columns)):
            values = {}
            for column, value in zip(columns, row[1:], strict=True):
                if value is not None:
                    new = change(value, crypto.context(name, column, row[0]))
                    if new != value:
                        values[column] = new
            if values:
                bind.execute(sa.update(table).where(table.c.id == row[0]).values(values))


def _fill_alias_lookups(ring) -> None:
    bind = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id", sa.Uuid()),
        sa.column("alias", sa.Text()),
        sa.column("alias_lookup", sa.String()),
    )
    missing = bind.execute(
        sa.select(persons.c.id, persons.c.alias).where(persons.c.alias_lookup.is_(None))
    ).all()
    for person_id, sealed in missing:
        try:
            alias = ring.open(sealed, crypto.context("persons", "alias", person_id))
        except crypto.Undecryptable:
            continue  # left for the app to show as unreadable; never guessed
        lookup = ring.lookup("persons.alias", exact_form(alias))
        bind.execute(
            sa.update(persons).where(persons.c.id == person_id).values(alias_lookup=lookup)
        )


def upgrade():
    # Safe to run again (an interrupted run, a stamped database): each step checks first.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("persons")}
    if "alias_lookup" not in columns:
        with op.batch_alter_table("persons", schema=None) as batch_op:
            batch_op.alter_column(
                "alias",
                existing_type=sa.String(length=100),
                type_=sa.Text(),
                existing_nullable=False,
            )
            batch_op.add_column(sa.Column("alias_lookup", sa.String(length=64), nullable=True))
            batch_op.create_index(
                "ix_persons_org_alias_lookup", ["organisation_id", "alias_lookup"], unique=False
            )
    searches = {c["name"]: c["type"] for c in sa.inspect(op.get_bind()).get_columns("person_searches")}
    if getattr(searches["query"], "length", None):
        with op.batch_alter_table("person_searches", schema=None) as batch_op:
            batch_op.alter_column(
                "query",
                existing_type=sa.String(length=100),
                type_=sa.Text(),
                existing_nullable=False,
            )
    ring = crypto.keyring()
    _convert(lambda value, place: value if crypto.is_sealed(value) else ring.seal(value, place))
    _fill_alias_lookups(ring)


def downgrade():
    ring = crypto.keyring()
    _convert(lambda value, place: ring.open(value, place) if crypto.is_sealed(value) else value)
    with op.batch_alter_table("person_searches", schema=None) as batch_op:
        batch_op.alter_column(
            "query", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False
        )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_org_alias_lookup")
        batch_op.drop_column("alias_lookup")
        batch_op.alter_column(
            "alias", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False
        )
