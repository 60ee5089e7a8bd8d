"""Device recovery keys: one per phone of a user, for the field app's encrypted data

Revision ID: 7c4d2e8a1f30
Revises: 5e7a2c91d0b4
Create Date: 2026-12-07 14:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

from outreach.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = "7c4d2e8a1f30"
down_revision = "5e7a2c91d0b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("recovery_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_handed_out_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_device_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_keys")),
        sa.UniqueConstraint("user_id", "device_id", name="uq_device_keys_user_device"),
    )
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_keys_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_keys_user_id"))
    op.drop_table("device_keys")
