"""Inbox of fetched updates: a Telegram update is in the store before its offset is confirmed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox_updates',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'update_id', name=op.f('pk_inbox_updates'))
    )


def downgrade() -> None:
    op.drop_table('inbox_updates')
