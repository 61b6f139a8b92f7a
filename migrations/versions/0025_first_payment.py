"""Each grant's first payment day kept on the grant; members' home group index carries id.

grants.first_tranche_on: "days from approval to first payment" (reports.indicators) found
the grants first paid in a period by grouping every payment of every grant paid in it
(a pass over the whole tranches table on PostgreSQL: 13 of the 34 ms of a regional
coordinator's grant figures). Kept, those grants are a range of an index. Triggers on
`tranches` set it in the statement that writes a payment, whatever writes it; the tests
check after every test that it is each grant's earliest payment. A later migration that
rebuilds `tranches` with batch_alter_table on SQLite must create the triggers again.

On PostgreSQL the trigger locks the grant before it reads the payments, so the statement
that reads them begins after any other writer of that grant's payments has committed
(tests/test_races.py races two corrections of one grant). Without the lock the same race
also came out right here, through PostgreSQL's recheck of the row it waited for; the lock
keeps that from depending on when the subquery is evaluated. paid_vnd (0023) adds and
takes away, and needs none.

ix_members_home_group_id on PostgreSQL carries members.id (INCLUDE): a coordinator's
scope test reads the members of their provinces' groups from the index alone instead
of reading the whole members table (9 ms at national size, once per figure).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 21:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def earliest(row: str) -> str:
    return (
        "UPDATE grants SET first_tranche_on = (SELECT min(paid_on) FROM tranches "
        f"WHERE grant_id = {row}.grant_id) WHERE id = {row}.grant_id"
    )


SQLITE = (
    "CREATE TRIGGER tranches_first_paid_insert AFTER INSERT ON tranches "
    f"BEGIN {earliest('NEW')}; END",
    "CREATE TRIGGER tranches_first_paid_update AFTER UPDATE OF grant_id, paid_on ON tranches "
    f"BEGIN {earliest('OLD')}; {earliest('NEW')}; END",
    "CREATE TRIGGER tranches_first_paid_delete AFTER DELETE ON tranches "
    f"BEGIN {earliest('OLD')}; END",
)

POSTGRESQL = (
    f"""
CREATE FUNCTION tranches_keep_first_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM 1 FROM grants WHERE id = OLD.grant_id FOR UPDATE;
        {earliest('OLD')};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM 1 FROM grants WHERE id = NEW.grant_id FOR UPDATE;
        {earliest('NEW')};
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER tranches_keep_first_paid AFTER INSERT OR DELETE "
    "OR UPDATE OF grant_id, paid_on ON tranches "
    "FOR EACH ROW EXECUTE FUNCTION tranches_keep_first_paid()",
)


def upgrade():
    # Plain ALTER TABLE on both databases: a batch rebuild of `grants` on SQLite would
    # lose ix_grants_lacking, an expression index it cannot reflect.
    op.add_column('grants', sa.Column('first_tranche_on', sa.Date(), nullable=True))
    op.execute(
        "UPDATE grants SET first_tranche_on = (SELECT min(t.paid_on) FROM tranches t "
        "WHERE t.grant_id = grants.id)"
    )
    op.create_index('ix_grants_first_tranche_on', 'grants', ['first_tranche_on'])
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)
    if postgresql:
        op.drop_index('ix_members_home_group_id', table_name='members')
        op.create_index(
            'ix_members_home_group_id', 'members', ['home_group_id'], postgresql_include=['id']
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_members_home_group_id', table_name='members')
        op.create_index('ix_members_home_group_id', 'members', ['home_group_id'])
        op.execute('DROP TRIGGER tranches_keep_first_paid ON tranches')
        op.execute('DROP FUNCTION tranches_keep_first_paid()')
    else:
        for name in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER tranches_first_paid_{name}')
    op.drop_index('ix_grants_first_tranche_on', table_name='grants')
    op.execute('ALTER TABLE grants DROP COLUMN first_tranche_on')  # SQLite 3.35+
