"""Retention: sealed report snapshots, and tombstones of deleted persons for the phones

The retention purge (outreach/retention) seals the snapshot of every period whose person-level
data it deletes (the report then reads the snapshot), and leaves a tombstone per deleted
person that the sync pull hands to the phones. Indexes on the columns that point at a person,
so that deleting thousands of persons does not scan the tables once per person.

Revision ID: 5e7a2c91d0b4
Revises: 4e7a2c9d1b63
Create Date: 2026-12-07 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "5e7a2c91d0b4"
down_revision = "4e7a2c9d1b63"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not a batch (which on SQLite would copy the table and lose its
    # expression index uq_report_snapshots_period).
    op.add_column(
        "report_snapshots",
        sa.Column("sealed_at", outreach.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "person_tombstones",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sync_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_person_tombstones_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_tombstones")),
    )
    with op.batch_alter_table("person_tombstones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_tombstones_org_sync", ["organisation_id", "sync_seq"], unique=False
        )
    # Deleting a person checks the rows that point at her: indexed, not a scan per person.
    op.create_index("ix_persons_merged_into", "persons", ["merged_into_id"], unique=False)
    op.create_index("ix_person_merges_source", "person_merges", ["source_id"], unique=False)
    op.create_index("ix_person_merges_target", "person_merges", ["target_id"], unique=False)


def downgrade():
    op.drop_index("ix_person_merges_target", table_name="person_merges")
    op.drop_index("ix_person_merges_source", table_name="person_merges")
    op.drop_index("ix_persons_merged_into", table_name="persons")
    with op.batch_alter_table("person_tombstones", schema=None) as batch_op:
        batch_op.drop_index("ix_person_tombstones_org_sync")
    op.drop_table("person_tombstones")
    op.drop_column("report_snapshots", "sealed_at")
