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
        op.drop_index('ix_members_search_name', table_name='members')
        op.create_index(
            'ix_members_search_name', 'members', ['search_name'],
            postgresql_using='gin', postgresql_ops={'search_name': 'gin_trgm_ops'},
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
