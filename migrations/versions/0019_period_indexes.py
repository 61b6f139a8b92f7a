"""Indexes by date for the progress pages' grant and outcome figures: visits by the day
they were made, tranches by the day they were paid (the period's rows are found by date,
then checked against the scope)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 15:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_visited_on', ['visited_on'], unique=False)
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.create_index('ix_tranches_paid_on', ['paid_on'], unique=False)


def downgrade():
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.drop_index('ix_tranches_paid_on')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_visited_on')
