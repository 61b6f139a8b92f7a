"""Export jobs resume after a restart and can be cancelled (issue 24): how many times a
job was started, so that one whose process died is started again a bounded number of
times, then failed. A cancelled job has the status 'cancelled' (the column holds it).

Revision ID: 0045
Revises: 0041
Create Date: 2026-12-07 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "export_jobs", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of the table would
    # have to rebuild the partial unique index of the active jobs.
    op.execute("UPDATE export_jobs SET status = 'failed' WHERE status = 'cancelled'")
    op.drop_column("export_jobs", "attempts")
