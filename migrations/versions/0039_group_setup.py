"""A group made by an import without a schedule is not set up yet: no cadence or meeting
day, never expected to meet nor overdue; once given a schedule it is expected to meet
from that day (groups.schedule_from), not from its founding years before. An import
batch keeps its last check's plans, for the import to write without checking again
(import_batches.plans). Issue 23.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 12:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

CADENCE = sa.Enum("weekly", "fortnightly", "monthly", name="cadence", native_enum=False, length=20)


def upgrade():
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_from", sa.Date(), nullable=True))
        batch_op.alter_column("cadence", existing_type=CADENCE, nullable=True)
        batch_op.alter_column("meeting_weekday", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plans", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("plans")
    # A group not set up gets the schedule imports gave before: monthly (on Mondays).
    op.execute("UPDATE groups SET cadence = 'monthly' WHERE cadence IS NULL")
    op.execute("UPDATE groups SET meeting_weekday = 0 WHERE meeting_weekday IS NULL")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.alter_column("meeting_weekday", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("cadence", existing_type=CADENCE, nullable=False)
        batch_op.drop_column("schedule_from")
