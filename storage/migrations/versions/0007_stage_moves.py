"""Stage moves: an internal note and a message to the SME, undo, and previewed moves

stage_changes gains `message` (what the SME was told, apart from the standard notice),
`delivery_id` (the queued notice, so an undo can withdraw it before it is sent) and
`undone_at`/`undone_by` (an undone move stays in the history and never counts in the figures).
pending_stage_moves holds a move an officer has previewed and not yet confirmed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undone_by', sa.String(length=100), nullable=True))

    op.create_table('pending_stage_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=30), nullable=False),
    sa.Column('to_stage', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['eoi_id'], ['eois.id'], name=op.f('fk_pending_stage_moves_eoi_id_eois'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_stage_moves'))
    )
    with op.batch_alter_table('pending_stage_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_stage_moves_eoi_id'), ['eoi_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_stage_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_stage_moves_eoi_id'))
    op.drop_table('pending_stage_moves')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_column('undone_by')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('delivery_id')
        batch_op.drop_column('message')
