"""cases (questions extended), case messages, clarifications and FAQ suggestions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:51:55.953502
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The questions table first: SQLite's batch mode rebuilds it, best before anything refers to it.
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('challenge_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tried', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slack_channel', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('slack_ts', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_slack_ts'), ['slack_ts'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_questions_challenge_id_challenges'), 'challenges', ['challenge_id'], ['id'], ondelete='SET NULL')

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=10), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_case_messages_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_messages_question_id'), ['question_id'], unique=False)

    op.create_table('clarifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['questions.id'], name=op.f('fk_clarifications_case_id_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_clarifications_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clarifications')),
    sa.UniqueConstraint('case_id', name=op.f('uq_clarifications_case_id'))
    )
    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clarifications_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('faq_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('suggested_by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['questions.id'], name=op.f('fk_faq_suggestions_case_id_questions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_suggestions')),
    sa.UniqueConstraint('case_id', name=op.f('uq_faq_suggestions_case_id'))
    )


def downgrade() -> None:
    op.drop_table('faq_suggestions')
    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clarifications_challenge_id'))

    op.drop_table('clarifications')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_messages_question_id'))

    op.drop_table('case_messages')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questions_challenge_id_challenges'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questions_slack_ts'))
        batch_op.drop_column('answered_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('slack_ts')
        batch_op.drop_column('slack_channel')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('tried')
        batch_op.drop_column('challenge_id')
