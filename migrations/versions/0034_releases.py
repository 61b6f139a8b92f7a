"""Frozen releases of the donor report: cells as published, approved by a second person
(issue 21).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 04:40:00

"""
import sqlalchemy as sa

import core.db
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'releases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_kind', sa.String(length=10), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('provinces', sa.String(length=400), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('cells', sa.Text(), nullable=False),
        sa.Column('parameters', sa.Text(), nullable=False),
        sa.Column('changes', sa.String(length=500), nullable=True),
        sa.Column('prepared_by_id', sa.Integer(), nullable=False),
        sa.Column('prepared_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_releases_approved_by_id_users')),
        sa.ForeignKeyConstraint(['prepared_by_id'], ['users.id'], name=op.f('fk_releases_prepared_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_releases')),
        sa.UniqueConstraint('period_start', 'period_end', 'provinces', 'version', name=op.f('uq_releases_period_start_period_end_provinces_version')),
    )


def downgrade():
    op.drop_table('releases')
