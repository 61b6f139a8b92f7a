"""Screenings and referrals of a period read from an index (issues 10 and 11).

The progress pages count the referrals made in a period and the screenings dated in it,
for this period and the one before: at national size (49,000 screenings, 11,000
referrals) each read the whole table, 20 ms a statement on SQLite.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 00:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_screenings_screened_on', 'screenings', ['screened_on'], unique=False)
    op.create_index('ix_referrals_referred_on', 'referrals', ['referred_on'], unique=False)


def downgrade():
    op.drop_index('ix_referrals_referred_on', table_name='referrals')
    op.drop_index('ix_screenings_screened_on', table_name='screenings')
