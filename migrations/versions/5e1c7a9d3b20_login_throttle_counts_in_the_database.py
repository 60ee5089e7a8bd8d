"""The login throttle's counts in the database, shared by every worker and app server

Revision ID: 5e1c7a9d3b20
Revises: 24921eb28ec7
Create Date: 2026-12-03 21:50:00.000000

"""

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "5e1c7a9d3b20"
down_revision = "24921eb28ec7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "throttle_counts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counts")),
    )
    with op.batch_alter_table("throttle_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_throttle_counts_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("throttle_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_counts_expires_at"))
    op.drop_table("throttle_counts")
