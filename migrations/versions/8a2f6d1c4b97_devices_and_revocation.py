"""Devices and revocation: a phone's name, last seen, revocation, and its sessions

A revocation can be undone for 30 days; then the phone's recovery key is dropped (NULL).

Revision ID: 8a2f6d1c4b97
Revises: be5a9c7d4f3a
Create Date: 2026-12-07 15:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

from outreach.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = "8a2f6d1c4b97"
down_revision = "be5a9c7d4f3a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=60), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column("recovery_key", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.alter_column("name", server_default=None)
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_key_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_sessions_device_key_id"), ["device_key_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_sessions_device_key_id_device_keys"), "device_keys", ["device_key_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_sessions_device_key_id_device_keys"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_sessions_device_key_id"))
        batch_op.drop_column("device_key_id")
    # A key dropped 30 days after a revocation cannot come back: the row goes with it.
    op.execute("DELETE FROM device_keys WHERE recovery_key IS NULL")
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.alter_column("recovery_key", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("name")
