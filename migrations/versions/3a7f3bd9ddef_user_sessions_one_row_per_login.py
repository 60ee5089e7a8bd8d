"""One row per login (user_sessions), so that admins see each session and can end one.

Cookies issued before this revision name no row and ask for a new login.

Revision ID: 3a7f3bd9ddef
Revises: 5e1c7a9d3b20
Create Date: 2026-12-07 03:03:26.721579

"""

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "3a7f3bd9ddef"
down_revision = "5e1c7a9d3b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=60), nullable=False),
        sa.Column("ended_at", outreach.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))

    op.drop_table("user_sessions")
