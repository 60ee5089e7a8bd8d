"""Clinic imports get their own record; imports known only from the audit log are carried over

Revision ID: 24921eb28ec7
Revises: 0f4709e5baed
Create Date: 2026-12-03 19:05:19.835021

"""

import uuid

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "24921eb28ec7"
down_revision = "0f4709e5baed"
branch_labels = None
depends_on = None

COUNTS = ("rows", "imported", "skipped", "possible_duplicates")


def upgrade():
    op.create_table(
        "clinic_imports",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("imported_by_id", sa.Uuid(), nullable=True),
        sa.Column("imported_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("possible_duplicates", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_clinic_imports_imported_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_clinic_imports_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_imports")),
        sa.UniqueConstraint("organisation_id", "upload_id", name="uq_clinic_imports_upload"),
    )
    _carry_over_audited_imports()


def _carry_over_audited_imports():
    """Until now the audit event was the only trace of an import, and confirming the same
    upload again was refused because of it. One record per audited upload keeps that so.
    The tables are described here as they are at this revision, not imported from the models."""
    audit_events = sa.table(
        "audit_events",
        sa.column("organisation_id", sa.Uuid()),
        sa.column("user_id", sa.Uuid()),
        sa.column("action", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("details", sa.JSON()),
        sa.column("at", outreach.db.UTCDateTime(timezone=True)),
    )
    clinic_imports = sa.table(
        "clinic_imports",
        sa.column("id", sa.Uuid()),
        sa.column("organisation_id", sa.Uuid()),
        sa.column("upload_id", sa.String()),
        sa.column("imported_by_id", sa.Uuid()),
        sa.column("imported_at", outreach.db.UTCDateTime(timezone=True)),
        *(sa.column(count, sa.Integer()) for count in COUNTS),
    )
    events = op.get_bind().execute(
        sa.select(audit_events)
        .where(
            audit_events.c.action == "clinic.import",
            audit_events.c.organisation_id.is_not(None),
            audit_events.c.object_id.is_not(None),
        )
        .order_by(audit_events.c.at)
    )
    records = {}
    for event in events:
        # Two confirms of one upload at the same moment could both have been audited; the
        # first one stands for the upload.
        records.setdefault(
            (event.organisation_id, event.object_id),
            {
                "id": uuid.uuid4(),
                "organisation_id": event.organisation_id,
                "upload_id": event.object_id,
                "imported_by_id": event.user_id,
                "imported_at": event.at,
                **{count: event.details[count] for count in COUNTS},
            },
        )
    if records:
        op.bulk_insert(clinic_imports, list(records.values()))


def downgrade():
    # The audit events were never touched: after a downgrade they answer again.
    op.drop_table("clinic_imports")
