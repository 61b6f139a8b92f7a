"""Indexes for lists at national size: a facilitator's groups by user (every facilitator
page reads its groups through group_facilitators, whose primary key starts with the group),
and the few closed memberships (the member list of those who left)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 11:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('group_facilitators', schema=None) as batch_op:
        batch_op.create_index(
            'ix_group_facilitators_user_id_group_id', ['user_id', 'group_id'], unique=False
        )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(
            'ix_memberships_left_member_id',
            ['member_id'],
            unique=False,
            sqlite_where=sa.text('left_on IS NOT NULL'),
            postgresql_where=sa.text('left_on IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_left_member_id')
    with op.batch_alter_table('group_facilitators', schema=None) as batch_op:
        batch_op.drop_index('ix_group_facilitators_user_id_group_id')
