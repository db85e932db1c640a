"""Officers' early-stage tools: departments, drafting and approval, assessment, workshops

officer_departments: which departments an officer belongs to (none: every department, as
before this revision). challenge_reviews: a challenge drafted in chat on its way through a
second person's approval. challenge_criteria, assessments, feedback: scoring EOIs against
weighted criteria and the reviewed feedback to SMEs not selected. workshops and
workshop_invites: exploration workshops, answers and attendance.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = 'CASCADE') -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'), ondelete=ondelete)


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade() -> None:
    op.create_table('officer_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    _fk('officer_departments', 'identity_id', 'identities'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_departments')),
    sa.UniqueConstraint('identity_id', 'department', name=op.f('uq_officer_departments_identity_id'))
    )
    _index('officer_departments', 'identity_id')
    op.create_table('challenge_reviews',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('publish_on', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    _fk('challenge_reviews', 'challenge_id', 'challenges'),
    sa.PrimaryKeyConstraint('challenge_id', name=op.f('pk_challenge_reviews'))
    )
    op.create_table('challenge_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    _fk('challenge_criteria', 'challenge_id', 'challenges'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_criteria')),
    sa.UniqueConstraint('challenge_id', 'key', name=op.f('uq_challenge_criteria_challenge_id'))
    )
    _index('challenge_criteria', 'challenge_id')
    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('assessor', sa.String(length=100), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    _fk('assessments', 'eoi_id', 'eois'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('eoi_id', 'assessor', name=op.f('uq_assessments_eoi_id'))
    )
    _index('assessments', 'eoi_id')
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reviewed_by', sa.String(length=100), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _fk('feedback', 'eoi_id', 'eois'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('eoi_id', name=op.f('uq_feedback_eoi_id'))
    )
    op.create_table('workshops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _fk('workshops', 'challenge_id', 'challenges'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshops'))
    )
    _index('workshops', 'challenge_id')
    op.create_table('workshop_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('eoi_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    _fk('workshop_invites', 'workshop_id', 'workshops'),
    _fk('workshop_invites', 'eoi_id', 'eois'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_invites')),
    sa.UniqueConstraint('workshop_id', 'eoi_id', name=op.f('uq_workshop_invites_workshop_id'))
    )
    _index('workshop_invites', 'workshop_id')
    _index('workshop_invites', 'eoi_id')


def downgrade() -> None:
    for table in ('workshop_invites', 'workshops', 'feedback', 'assessments',
                  'challenge_criteria', 'challenge_reviews', 'officer_departments'):
        op.drop_table(table)
