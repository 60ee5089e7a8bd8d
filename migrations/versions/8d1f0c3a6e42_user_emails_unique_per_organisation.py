"""User e-mails unique per organisation, no longer across organisations

An admin adding an address that exists in another organisation no longer learns that it
exists; the login tries every account with the address (docs/security.md).

Revision ID: 8d1f0c3a6e42
Revises: 7c2e5d1a9b40
Create Date: 2026-12-06 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8d1f0c3a6e42"
down_revision = "7c2e5d1a9b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.create_unique_constraint("uq_users_org_email", ["organisation_id", "email"])
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=False)


def downgrade():
    shared = op.get_bind().execute(
        sa.text("SELECT email FROM users GROUP BY email HAVING count(*) > 1 LIMIT 1")
    ).first()
    if shared is not None:
        raise RuntimeError(
            "Some e-mail addresses have accounts in several organisations; the older schema "
            "allows one account per address. Remove the extra accounts before downgrading."
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))
        batch_op.drop_constraint("uq_users_org_email", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])
