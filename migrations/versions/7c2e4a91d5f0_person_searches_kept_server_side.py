"""Person searches kept on the server under a random id (results by GET, no alias in URLs)

Revision ID: 7c2e4a91d5f0
Revises: 3a7f3bd9ddef
Create Date: 2026-12-10 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

import outreach.db


# revision identifiers, used by Alembic.
revision = "7c2e4a91d5f0"
down_revision = "3a7f3bd9ddef"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "person_searches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("query", sa.String(length=100), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("gender", sa.String(length=12), nullable=True),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("created_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_person_searches_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_person_searches_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_searches")),
    )
    with op.batch_alter_table("person_searches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_searches_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("person_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_searches_created_at"))
    op.drop_table("person_searches")
