"""What each grant has been paid, kept on the grant (grants.paid_vnd), by the database.

The progress pages' "still to pay out" summed every approved grant's payments up to the
end of the period, for every grant in scope since the programme began: a whole-history
scan on every view (issue 11). With the paid total kept, the figure reads the grants not
yet paid in full now (an index on what they lack) and the payments made after the period: see
reports.indicators.grant_figures.

Triggers on `tranches` add and take away each payment in the statement that writes it,
whatever writes it; the tests check after every test that each grant's total equals its
payments. A later migration that rebuilds `tranches` with batch_alter_table on SQLite
must create the triggers again.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 18:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

ADD = "UPDATE grants SET paid_vnd = paid_vnd + NEW.amount WHERE id = NEW.grant_id"
TAKE = "UPDATE grants SET paid_vnd = paid_vnd - OLD.amount WHERE id = OLD.grant_id"

SQLITE = (
    f"CREATE TRIGGER tranches_paid_insert AFTER INSERT ON tranches BEGIN {ADD}; END",
    "CREATE TRIGGER tranches_paid_update AFTER UPDATE OF grant_id, amount ON tranches "
    f"BEGIN {TAKE}; {ADD}; END",
    f"CREATE TRIGGER tranches_paid_delete AFTER DELETE ON tranches BEGIN {TAKE}; END",
)

POSTGRESQL = (
    f"""
CREATE FUNCTION tranches_keep_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {TAKE};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {ADD};
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER tranches_keep_paid AFTER INSERT OR DELETE OR UPDATE OF grant_id, amount "
    "ON tranches FOR EACH ROW EXECUTE FUNCTION tranches_keep_paid()",
)


def upgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paid_vnd', sa.Integer(), server_default='0', nullable=False)
        )
    op.execute(
        "UPDATE grants SET paid_vnd = (SELECT coalesce(sum(t.amount), 0) FROM tranches t "
        "WHERE t.grant_id = grants.id)"
    )
    # What each grant lacks of its approved amount, indexed: the grants not paid as
    # approved are a short range of it (> 0), and PostgreSQL keeps statistics on an
    # indexed expression, so it knows they are few.
    op.create_index('ix_grants_lacking', 'grants', [sa.text('(amount_approved - paid_vnd)')])
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER tranches_keep_paid ON tranches')
        op.execute('DROP FUNCTION tranches_keep_paid()')
    else:
        for name in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER tranches_paid_{name}')
    op.drop_index('ix_grants_lacking', table_name='grants')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('paid_vnd')
