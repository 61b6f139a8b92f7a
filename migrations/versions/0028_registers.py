"""Import batches keep where the table is in each sheet of the file (issue 23, usability F3).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches') as batch_op:
        batch_op.add_column(sa.Column('layout', sa.Text(), nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('import_batches') as batch_op:
        batch_op.drop_column('layout')
