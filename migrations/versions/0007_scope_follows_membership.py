"""Access follows the member's current group: drop the stored group and province copies

Members, grants and follow-ups kept a province (grants and follow-ups also a group) of
their own, and those copies decided who could see them; moving a group or a member left
them behind. Who may see them is now derived from the member's memberships and the
group's province (groups/services/scope.py), so the copies go.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, column, referred table, referred column)
COPIES = (
    ('members', 'province_code', 'provinces', 'code'),
    ('grants', 'group_id', 'groups', 'id'),
    ('grants', 'province_code', 'provinces', 'code'),
    ('follow_ups', 'group_id', 'groups', 'id'),
    ('follow_ups', 'province_code', 'provinces', 'code'),
)

# The member's home group: the open membership, else the latest (Member.home_membership).
HOME_GROUP = (
    "(SELECT ms.group_id FROM memberships ms WHERE ms.member_id = {table}.{member} "
    "ORDER BY (ms.left_on IS NULL) DESC, ms.joined_on DESC, ms.id DESC LIMIT 1)"
)


def upgrade():
    for table, column, referred, _ in COPIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_{column}')
            batch_op.drop_constraint(f'fk_{table}_{column}_{referred}', type_='foreignkey')
            batch_op.drop_column(column)


def downgrade():
    # Put the copies back, filled from the memberships as they are now.
    for table, column, _, _ in COPIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    op.execute(
        "UPDATE members SET province_code = (SELECT g.province_code FROM groups g "
        "WHERE g.id = " + HOME_GROUP.format(table="members", member="id") + ")"
    )
    for table in ('grants', 'follow_ups'):
        op.execute(
            f"UPDATE {table} SET group_id = "
            + HOME_GROUP.format(table=table, member="member_id")
        )
        op.execute(
            f"UPDATE {table} SET province_code = "
            f"(SELECT g.province_code FROM groups g WHERE g.id = {table}.group_id)"
        )
    for table, column, referred, referred_column in COPIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                f'fk_{table}_{column}_{referred}', referred, [column], [referred_column]
            )
            batch_op.create_index(f'ix_{table}_{column}', [column], unique=False)
