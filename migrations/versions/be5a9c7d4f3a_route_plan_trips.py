"""Route plans of several days (trips): the days with their shifts and night bases, the last
day, and the day of each route

Revision ID: be5a9c7d4f3a
Revises: 7c4d2e8a1f30
Create Date: 2026-12-07 15:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "be5a9c7d4f3a"
down_revision = "7c4d2e8a1f30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))
    with op.batch_alter_table("route_plan_routes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("day", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("route_plan_routes", schema=None) as batch_op:
        batch_op.drop_column("day")
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.drop_column("end_date")
        batch_op.drop_column("days")
