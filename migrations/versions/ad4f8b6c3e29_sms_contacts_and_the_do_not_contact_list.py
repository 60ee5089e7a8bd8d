"""SMS contacts (the number sealed, with the keyed look-up hash shared with leads and clinics)
and the do-not-contact list (keyed hashes only).

Revision ID: ad4f8b6c3e29
Revises: 9c3e7a5b2d18
Create Date: 2026-12-07 15:19:03.661394

"""

from alembic import op
import sqlalchemy as sa

import outreach.crypto
import outreach.db


# revision identifiers, used by Alembic.
revision = "ad4f8b6c3e29"
down_revision = "9c3e7a5b2d18"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_do_not_contact",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("phone_lookup", sa.String(length=64), nullable=False),
        sa.Column("added_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_sms_do_not_contact_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_sms_do_not_contact_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "phone_lookup", name=op.f("pk_sms_do_not_contact")
        ),
    )
    op.create_table(
        "sms_contacts",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("phone", outreach.crypto.SealedText(), nullable=False),
        sa.Column("phone_lookup", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("template_id", sa.String(length=40), nullable=True),
        sa.Column("sent_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("notes", outreach.crypto.SealedText(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", outreach.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sync_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sms_contacts_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_sms_contacts_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_sms_contacts_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_sms_contacts_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_contacts")),
    )
    with op.batch_alter_table("sms_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_contacts_org_phone_sent",
            ["organisation_id", "phone_lookup", "sent_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_sms_contacts_org_sent", ["organisation_id", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_sms_contacts_org_sync", ["organisation_id", "sync_seq"], unique=False
        )


def downgrade():
    with op.batch_alter_table("sms_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_contacts_org_sync")
        batch_op.drop_index("ix_sms_contacts_org_sent")
        batch_op.drop_index("ix_sms_contacts_org_phone_sent")

    op.drop_table("sms_contacts")
    op.drop_table("sms_do_not_contact")
