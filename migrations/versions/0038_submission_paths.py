"""The address a submission key was first sent to: the key answers for that form only
(issue 25, bad input: a key replayed at another group's form is refused).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 12:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("path")
