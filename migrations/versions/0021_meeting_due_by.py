"""The day each active group falls overdue for a meeting, kept on the group
(groups.meeting_due_by, issue 10): its latest regular meeting (else its founding day) plus
its cadence and three days' grace, NULL unless active. The coordinator's home page and
the overdue filter read it through (province_code, meeting_due_by) instead of deciding
every group of their provinces from its meetings. Backfilled here with the rule of
groups.services.groups.meeting_due_by as it stands today (a migration keeps its copy).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 16:10:00

"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

GRACE = timedelta(days=3)
INTERVAL = {'weekly': 7, 'fortnightly': 14}  # monthly and anything else: 31


def _day(value):
    if isinstance(value, str):  # SQLite returns the text it keeps
        return date.fromisoformat(value[:10])
    return value


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_due_by', sa.Date(), nullable=True))
        batch_op.create_index(
            'ix_groups_province_code_meeting_due_by',
            ['province_code', 'meeting_due_by'],
            unique=False,
        )
    bind = op.get_bind()
    active = bind.execute(
        sa.text(
            "SELECT g.id, g.cadence, g.founded_on, (SELECT max(m.held_on) FROM meetings m"
            " WHERE m.group_id = g.id AND m.kind = 'regular') FROM groups g"
            " WHERE g.status = 'active'"
        )
    ).all()
    rows = [
        {
            'id': group_id,
            'due': _day(last or founded_on) + timedelta(days=INTERVAL.get(cadence, 31)) + GRACE,
        }
        for group_id, cadence, founded_on, last in active
    ]
    if rows:
        bind.execute(
            sa.text("UPDATE groups SET meeting_due_by = :due WHERE id = :id").bindparams(
                sa.bindparam('due', type_=sa.Date())
            ),
            rows,
        )


def downgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index('ix_groups_province_code_meeting_due_by')
        batch_op.drop_column('meeting_due_by')
