"""Audit events are append-only in the database too: UPDATE, DELETE (and on PostgreSQL
TRUNCATE) of audit_events are refused by triggers, whoever sends them

The application has no update or delete path for AuditEvent (tests/audit/test_append_only.py
scans the code for one, and the model refuses one in the ORM); these triggers also stop a
statement written by hand or smuggled in by an injection. The owner of the table can still
drop a trigger: the database role the application uses should not own it in production
(docs/security.md, The audit log).

Revision ID: 3015accdb78f
Revises: 8d1f0c3a6e42
Create Date: 2026-12-07 07:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "3015accdb78f"
down_revision = "8d1f0c3a6e42"
branch_labels = None
depends_on = None

MESSAGE = "audit_events is append-only: its rows are never updated or deleted"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_refuse_change()")
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute("DROP TRIGGER audit_events_no_update")
