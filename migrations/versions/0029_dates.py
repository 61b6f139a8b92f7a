"""Effective dates (issue 22): the day a grant's step happened, beside the moment it
was recorded; the moment a visit was marked as one that could not happen, beside the
day it could not.

grant_events.on is filled with the day each step was recorded, in Viet Nam (UTC+7, no
summer time); follow_ups.missed_at with the start, in Viet Nam, of the day it was marked.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 02:00:00

"""

import warnings

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# SQLite makes NOT NULL by copying the table; reflecting it meets the expression index
# on grants (ix_grants_lacking), which it cannot read and does not need.
UNREADABLE_INDEX = "Skipped unsupported reflection"


def upgrade():
    op.add_column("grant_events", sa.Column("on", sa.Date(), nullable=True))
    op.add_column(
        "follow_ups", sa.Column("missed_at", core.db.UTCDateTime(timezone=True), nullable=True)
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE grant_events SET \"on\" = (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")
        op.execute(
            "UPDATE follow_ups SET missed_at = "
            "(missed_on::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') WHERE missed_on IS NOT NULL"
        )
    else:
        op.execute("UPDATE grant_events SET \"on\" = date(at, '+7 hours')")
        op.execute(
            "UPDATE follow_ups SET missed_at = datetime(missed_on, '-7 hours') "
            "WHERE missed_on IS NOT NULL"
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", UNREADABLE_INDEX)
        with op.batch_alter_table("grant_events", schema=None) as batch_op:
            batch_op.alter_column("on", existing_type=sa.Date(), nullable=False)
    op.create_index("ix_grant_events_action_on", "grant_events", ["action", "on"], unique=False)


def downgrade():
    op.drop_index("ix_grant_events_action_on", table_name="grant_events")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", UNREADABLE_INDEX)
        with op.batch_alter_table("grant_events", schema=None) as batch_op:
            batch_op.drop_column("on")
        with op.batch_alter_table("follow_ups", schema=None) as batch_op:
            batch_op.drop_column("missed_at")
