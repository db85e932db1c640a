"""Deliveries remember where they were posted, so an erasure can redact them in Slack

deliveries gains `posted`: {"channel": ..., "ts": [...], "group": [eoi ids]} once a Slack
worker has posted the row's message(s); `/forget` uses it to queue chat.update redactions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posted', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('posted')
