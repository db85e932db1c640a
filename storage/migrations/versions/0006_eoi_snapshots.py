"""EOI snapshots and versions: the details as submitted stay on the EOI; each change is a version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SNAPSHOT = (("org_name", 200), ("size_band", 20), ("country", 100), ("city", 100),
            ("website", 300), ("contact_name", 200), ("contact_email", 254))


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, or with a default) on both dialects: on SQLite this keeps the
    # eois table as it is, AUTOINCREMENT included (0005), where a batch rebuild would not.
    for name, length in SNAPSHOT:
        op.add_column('eois', sa.Column(name, sa.String(length=length), nullable=True))
    op.add_column('eois', sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    op.create_table('eoi_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    *[sa.Column(name, sa.String(length=length), nullable=True) for name, length in SNAPSHOT],
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['eoi_id'], ['eois.id'], name=op.f('fk_eoi_versions_eoi_id_eois'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eoi_versions')),
    sa.UniqueConstraint('eoi_id', 'number', name=op.f('uq_eoi_versions_eoi_id'))
    )
    op.create_index(op.f('ix_eoi_versions_eoi_id'), 'eoi_versions', ['eoi_id'], unique=False)

    # Existing EOIs: the best record of what was submitted is the profile as it is now.
    op.execute(
        "UPDATE eois SET "
        "org_name = (SELECT name FROM organisations o WHERE o.id = eois.organisation_id), "
        "size_band = (SELECT size_band FROM organisations o WHERE o.id = eois.organisation_id), "
        "country = (SELECT country FROM organisations o WHERE o.id = eois.organisation_id), "
        "city = (SELECT city FROM organisations o WHERE o.id = eois.organisation_id), "
        "website = (SELECT website FROM organisations o WHERE o.id = eois.organisation_id), "
        "contact_name = (SELECT name FROM contacts c WHERE c.id = eois.contact_id), "
        "contact_email = (SELECT email FROM contacts c WHERE c.id = eois.contact_id)")
    columns = ", ".join(name for name, _ in SNAPSHOT)
    op.execute(
        f"INSERT INTO eoi_versions (eoi_id, number, kind, stage, {columns}, summary, actor, at) "
        f"SELECT id, 1, 'submitted', stage, {columns}, summary, 'migration', created_at FROM eois")


def downgrade() -> None:
    op.drop_index(op.f('ix_eoi_versions_eoi_id'), table_name='eoi_versions')
    op.drop_table('eoi_versions')
    with op.batch_alter_table('eois', schema=None) as batch_op:
        batch_op.drop_column('version')
        for name, _ in reversed(SNAPSHOT):
            batch_op.drop_column(name)
