"""Each member's home group kept on the member (members.home_group_id), by the database.

Who may see a member, their grants and follow-ups is decided by their home group: the
open membership, else the latest by (joined_on, id) (Member.home_membership). Every
scope test worked that out from all memberships (a NOT EXISTS per member), in every
statement of every list, due list and progress figure: at national size that was most
of a progress page's time (issue 11).

Migration 0007 dropped stored copies of a member's group and province because moving a
member or a group left them behind. This one cannot be left behind: triggers on
`memberships` set it in the statement that writes a membership, whatever writes it (the
forms, imports, bulk loads, a console), and it names the group only; the province is
still read from the group, so moving a group moves its members at once. The tests check
after every test that each member's kept group is the one their memberships give.

Also an index on memberships.joined_on: who joined in a period was a scan of every
membership on each progress page.

A later migration that rebuilds `memberships` with batch_alter_table on SQLite drops
these triggers with the old table: it must create them again (the check above fails).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# The home group of the member `{member}`, as Member.home_membership picks it.
HOME = (
    "(SELECT ms.group_id FROM memberships ms WHERE ms.member_id = {member} "
    "ORDER BY CASE WHEN ms.left_on IS NULL THEN 0 ELSE 1 END, ms.joined_on DESC, ms.id DESC "
    "LIMIT 1)"
)


def _set_home(member: str, distinct: str) -> str:
    home = HOME.format(member=member)
    return (
        f"UPDATE members SET home_group_id = {home} "
        f"WHERE id = {member} AND home_group_id {distinct} {home}"
    )


SQLITE = (
    "CREATE TRIGGER memberships_home_insert AFTER INSERT ON memberships BEGIN "
    + _set_home("NEW.member_id", "IS NOT")
    + "; END",
    "CREATE TRIGGER memberships_home_update "
    "AFTER UPDATE OF member_id, group_id, joined_on, left_on ON memberships BEGIN "
    + _set_home("NEW.member_id", "IS NOT")
    + "; "
    + _set_home("OLD.member_id", "IS NOT")
    + "; END",
    "CREATE TRIGGER memberships_home_delete AFTER DELETE ON memberships BEGIN "
    + _set_home("OLD.member_id", "IS NOT")
    + "; END",
)

POSTGRESQL = (
    """
CREATE FUNCTION memberships_keep_home() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        """ + _set_home("NEW.member_id", "IS DISTINCT FROM") + """;
    END IF;
    IF TG_OP = 'DELETE' OR OLD.member_id <> NEW.member_id THEN
        """ + _set_home("OLD.member_id", "IS DISTINCT FROM") + """;
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER memberships_keep_home "
    "AFTER INSERT OR DELETE OR UPDATE OF member_id, group_id, joined_on, left_on "
    "ON memberships FOR EACH ROW EXECUTE FUNCTION memberships_keep_home()",
)


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_group_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_members_home_group_id', ['home_group_id'], unique=False)
    op.execute("UPDATE members SET home_group_id = " + HOME.format(member="members.id"))
    op.create_index('ix_memberships_joined_on', 'memberships', ['joined_on'], unique=False)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER memberships_keep_home ON memberships')
        op.execute('DROP FUNCTION memberships_keep_home()')
    else:
        for name in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER memberships_home_{name}')
    op.drop_index('ix_memberships_joined_on', table_name='memberships')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_home_group_id')
        batch_op.drop_column('home_group_id')
