"""API tokens get an optional expiry, enforced at each use

Revision ID: 7c2e4f6a8b10
Revises: 7c2e4a91d5f0
Create Date: 2026-12-05 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "7c2e4f6a8b10"
down_revision = "7c2e4a91d5f0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", outreach.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
