"""Vietnamese order and search keys: provinces, communes and staff sort the Vietnamese way,
groups are searched without diacritics

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa

from core.text import fold, sort_key


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _fill(table: str, key: str, source: str, column: str, derive) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {key}, {source} FROM {table}")).all()
    if rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
            [{"key": k, "value": derive(v or "")} for k, v in rows],
        )


def upgrade():
    # Places are few and sorted when listed (core.places.place_order); staff are many.
    op.add_column(
        'users', sa.Column('sort_key', sa.String(length=255), nullable=False, server_default='')
    )
    op.add_column(
        'groups', sa.Column('search_name', sa.String(length=120), nullable=False, server_default='')
    )

    _fill("users", "id", "full_name", "sort_key", sort_key)
    _fill("groups", "id", "name", "search_name", lambda name: fold(name)[:120])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_sort_key'), ['sort_key'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_sort_key'))
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of provinces or users
    # would trip the foreign keys that point at them.
    op.drop_column('groups', 'search_name')
    op.drop_column('users', 'sort_key')
