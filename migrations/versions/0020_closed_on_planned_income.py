"""What the progress figures need that was not kept: the day a closed group stopped
meeting (groups.closed_on), so that the periods before it closed still expect its
meetings, and the monthly income a grant's plan expects (grants.planned_income). Groups
already closed get the day after their last meeting (or their founding day): the best
the data can tell.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 15:40:00

"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_income', sa.Integer(), nullable=True))
    bind = op.get_bind()
    closed = bind.execute(
        sa.text(
            "SELECT g.id, g.founded_on, (SELECT max(m.held_on) FROM meetings m"
            " WHERE m.group_id = g.id) FROM groups g WHERE g.status = 'closed'"
        )
    ).all()
    for group_id, founded_on, last in closed:
        day = founded_on if last is None else last
        if isinstance(day, str):  # SQLite returns the text it keeps
            day = date.fromisoformat(day[:10])
        if last is not None:
            day += timedelta(days=1)
        bind.execute(
            sa.text("UPDATE groups SET closed_on = :day WHERE id = :id"),
            {"day": day, "id": group_id},
        )


def downgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('planned_income')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
