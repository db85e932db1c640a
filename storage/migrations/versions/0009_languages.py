"""Languages: each identity's language, and challenges' translated titles and summaries

identities gains `language` (en, sv, et, hu, it, pl or ur; NULL until the platform tells us or
the user chooses with /language). challenges gains `translations`, a JSON mapping of language
to {title, summary}, both optional (docs/challenge-format.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('translations')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_column('language')
