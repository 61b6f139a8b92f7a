"""Meeting tallies for the progress pages (issue 11): each meeting keeps the number of its
attendance marks and of those 'present', written in the same transaction as the marks, so
the reports sum meetings instead of reading every mark; grant events by action and time

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('present_count', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('marked_count', sa.Integer(), server_default='0', nullable=False)
        )
    op.execute(
        "UPDATE meetings SET present_count = (SELECT count(*) FROM attendance"
        " WHERE attendance.meeting_id = meetings.id AND attendance.status = 'present')"
    )
    op.execute(
        "UPDATE meetings SET marked_count = (SELECT count(*) FROM attendance"
        " WHERE attendance.meeting_id = meetings.id)"
    )
    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.create_index('ix_grant_events_action_at', ['action', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_events_action_at')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('marked_count')
        batch_op.drop_column('present_count')
