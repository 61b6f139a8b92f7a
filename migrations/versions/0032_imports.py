"""Imported registers (issue 23): a joining date known only to its year or month keeps
that precision; a member's own village.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 04:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("memberships", sa.Column("joined_precision", sa.String(length=5), nullable=True))
    op.add_column("members", sa.Column("village", sa.String(length=120), nullable=True))


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+, PostgreSQL): copying members or memberships, as
    # batch mode does, breaks the triggers that name them.
    op.execute("ALTER TABLE members DROP COLUMN village")
    op.execute("ALTER TABLE memberships DROP COLUMN joined_precision")
