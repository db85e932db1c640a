"""Partners across cities: listings, introductions and the partners an EOI names

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('offer', sa.Text(), nullable=False),
    sa.Column('seeking', sa.Text(), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_partner_listings_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], name=op.f('fk_partner_listings_identity_id_identities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_listings')),
    sa.UniqueConstraint('challenge_id', 'identity_id', name=op.f('uq_partner_listings_challenge_id'))
    )
    with op.batch_alter_table('partner_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_listings_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_listings_identity_id'), ['identity_id'], unique=False)

    op.create_table('partner_intros',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('requester_city', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['partner_listings.id'], name=op.f('fk_partner_intros_listing_id_partner_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['identities.id'], name=op.f('fk_partner_intros_requester_id_identities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_intros')),
    sa.UniqueConstraint('listing_id', 'requester_id', name=op.f('uq_partner_intros_listing_id'))
    )
    with op.batch_alter_table('partner_intros', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_intros_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_intros_requester_id'), ['requester_id'], unique=False)

    op.create_table('eoi_partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('intro_id', sa.Integer(), nullable=True),
    sa.Column('partner_name', sa.String(length=200), nullable=False),
    sa.Column('partner_city', sa.String(length=20), nullable=False),
    sa.Column('own_city', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['eoi_id'], ['eois.id'], name=op.f('fk_eoi_partners_eoi_id_eois'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['intro_id'], ['partner_intros.id'], name=op.f('fk_eoi_partners_intro_id_partner_intros'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eoi_partners')),
    sa.UniqueConstraint('eoi_id', 'intro_id', name=op.f('uq_eoi_partners_eoi_id'))
    )
    with op.batch_alter_table('eoi_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eoi_partners_eoi_id'), ['eoi_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('eoi_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eoi_partners_eoi_id'))
    op.drop_table('eoi_partners')
    with op.batch_alter_table('partner_intros', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_intros_requester_id'))
        batch_op.drop_index(batch_op.f('ix_partner_intros_listing_id'))
    op.drop_table('partner_intros')
    with op.batch_alter_table('partner_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_listings_identity_id'))
        batch_op.drop_index(batch_op.f('ix_partner_listings_challenge_id'))
    op.drop_table('partner_listings')
