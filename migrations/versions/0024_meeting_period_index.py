"""Meetings of a period read from one index (issue 11).

The progress pages sum the meetings of a period (held, recorded on time, and their
attendance tallies) for every group in scope, and the attendance chart those of six
months: at national size 63,000 meetings, read from the table. An index on held_on that
carries the columns those sums need answers them alone; it replaces the index on held_on
(its first column), which the daily sweep keeps using.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 18:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

COLUMNS = ['held_on', 'group_id', 'kind', 'created_at', 'present_count', 'marked_count']


def upgrade():
    op.create_index('ix_meetings_held_on_tallies', 'meetings', COLUMNS, unique=False)
    op.drop_index('ix_meetings_held_on', table_name='meetings')


def downgrade():
    op.create_index('ix_meetings_held_on', 'meetings', ['held_on'], unique=False)
    op.drop_index('ix_meetings_held_on_tallies', table_name='meetings')
