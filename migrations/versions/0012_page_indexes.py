"""Indexes for pages at national size: a grant's follow-ups and visits, the grant list's
order, meetings by date for the daily sweep, member lists in name order, and member
search by part of a name (trigram index on PostgreSQL)

Revision ID: 0012
Revises: 0004
Create Date: 2026-11-30 07:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_sort_key')
        batch_op.create_index('ix_members_sort_key_id', ['sort_key', 'id'], unique=False)
    if postgresql:
        # Trusted since PostgreSQL 13: the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        # The operator class lives in the extension's schema, which need not be on the
        # search path (an extension exists once per database).
        schema = op.get_bind().exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e"
            " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        ).scalar()
        op.drop_index('ix_members_search_name', table_name='members')
        op.execute(
            'CREATE INDEX ix_members_search_name ON members'
            f' USING gin (search_name "{schema}".gin_trgm_ops)'
        )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_grant_id', ['grant_id'], unique=False)
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_grant_id', ['grant_id'], unique=False)
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index('ix_grants_created_at_id', ['created_at', 'id'], unique=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_held_on', ['held_on'], unique=False)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_members_search_name', table_name='members')
        op.create_index('ix_members_search_name', 'members', ['search_name'])
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_sort_key_id')
        batch_op.create_index('ix_members_sort_key', ['sort_key'], unique=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_held_on')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index('ix_grants_created_at_id')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_grant_id')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_grant_id')
