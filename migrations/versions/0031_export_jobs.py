"""Export jobs: large exports written in the background and kept for their owner (issue 24).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 04:15:00

"""
import sqlalchemy as sa
import core.db
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.create_table(
        'export_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('table', sa.String(length=20), nullable=False),
        sa.Column('format', sa.String(length=4), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('province_code', sa.Integer(), nullable=True),
        sa.Column('start_on', sa.Date(), nullable=True),
        sa.Column('end_on', sa.Date(), nullable=True),
        sa.Column('request_key', sa.String(length=120), nullable=False),
        sa.Column('scope_key', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('problem', sa.String(length=20), nullable=True),
        sa.Column('rows_total', sa.Integer(), nullable=True),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('file_token', sa.String(length=64), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('runner', sa.String(length=32), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_jobs_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs')),
    )
    op.create_index(op.f('ix_export_jobs_user_id'), 'export_jobs', ['user_id'], unique=False)
    op.create_index('uq_export_jobs_active', 'export_jobs', ['user_id', 'request_key'], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade():
    op.drop_index('uq_export_jobs_active', table_name='export_jobs', sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.drop_index(op.f('ix_export_jobs_user_id'), table_name='export_jobs')
    op.drop_table('export_jobs')
