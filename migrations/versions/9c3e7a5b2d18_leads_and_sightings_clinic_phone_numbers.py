"""Leads (screened ads) and their sightings; clinics get a phone number. Phone numbers,
addresses, aliases and notes are sealed (outreach/crypto.py) with keyed look-up hashes beside
the number and the address.

Revision ID: 9c3e7a5b2d18
Revises: 8a2f6d1c4b97
Create Date: 2026-12-07 15:17:04.502720

"""
from alembic import op
import sqlalchemy as sa

import outreach.crypto
import outreach.db


# revision identifiers, used by Alembic.
revision = '9c3e7a5b2d18'
down_revision = '8a2f6d1c4b97'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leads',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('site', sa.String(length=100), nullable=False),
    sa.Column('url', outreach.crypto.SealedText(), nullable=True),
    sa.Column('url_lookup', sa.String(length=64), nullable=True),
    sa.Column('phone', outreach.crypto.SealedText(), nullable=True),
    sa.Column('phone_lookup', sa.String(length=64), nullable=True),
    sa.Column('alias', outreach.crypto.SealedText(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('postcode', sa.String(length=4), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('region_slug', sa.String(length=20), nullable=True),
    sa.Column('region_source', sa.String(length=12), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('flag_note', outreach.crypto.SealedText(), nullable=True),
    sa.Column('first_seen', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('dismissed_reason', sa.String(length=20), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=True),
    sa.Column('notes', outreach.crypto.SealedText(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sync_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_leads_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_leads_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_leads_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['region_slug'], ['regions.slug'], name=op.f('fk_leads_region_slug_regions')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_leads_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_clinic', ['clinic_id'], unique=False)
        batch_op.create_index('ix_leads_org_last_seen', ['organisation_id', 'last_seen'], unique=False)
        batch_op.create_index('ix_leads_org_phone_lookup', ['organisation_id', 'phone_lookup'], unique=False)
        batch_op.create_index('ix_leads_org_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index('ix_leads_org_sync', ['organisation_id', 'sync_seq'], unique=False)
        batch_op.create_index('ix_leads_org_url_lookup', ['organisation_id', 'url_lookup'], unique=False)

    op.create_table('lead_sightings',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('seen_at', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('site', sa.String(length=100), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_sightings_lead_id_leads')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lead_sightings_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_lead_sightings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_sightings'))
    )
    with op.batch_alter_table('lead_sightings', schema=None) as batch_op:
        batch_op.create_index('ix_lead_sightings_lead_seen', ['lead_id', 'seen_at'], unique=False)

    op.create_table('lead_imports',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('upload_id', sa.String(length=64), nullable=False),
    sa.Column('imported_by_id', sa.Uuid(), nullable=True),
    sa.Column('imported_at', outreach.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('sightings', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_lead_imports_imported_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lead_imports_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_imports')),
    sa.UniqueConstraint('organisation_id', 'upload_id', name='uq_lead_imports_upload')
    )

    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', outreach.crypto.SealedText(), nullable=True))
        batch_op.add_column(sa.Column('phone_lookup', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_clinics_org_phone_lookup', ['organisation_id', 'phone_lookup'], unique=False)



def downgrade():
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.drop_index('ix_clinics_org_phone_lookup')
        batch_op.drop_column('phone_lookup')
        batch_op.drop_column('phone')

    op.drop_table('lead_imports')
    with op.batch_alter_table('lead_sightings', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_sightings_lead_seen')

    op.drop_table('lead_sightings')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_org_url_lookup')
        batch_op.drop_index('ix_leads_org_sync')
        batch_op.drop_index('ix_leads_org_status')
        batch_op.drop_index('ix_leads_org_phone_lookup')
        batch_op.drop_index('ix_leads_org_last_seen')
        batch_op.drop_index('ix_leads_clinic')

    op.drop_table('leads')
