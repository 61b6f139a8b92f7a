"""Analytics tables (issue 24): what each group's meetings of a month add up to, the
(group, month) keys written since they were folded in, and when that was.

Triggers on `meetings` mark the (group, month) of every row written, old and new, in the
statement that writes it, whatever writes it (forms, imports, bulk loads, a console); the
figures read a marked key live until the scheduler folds it in (reports.facts.refresh).
Every month that has meetings is marked here, so the figures are exact from the start and
the first fold (or `flask analytics rebuild`) fills the table. A later migration that
rebuilds `meetings` with batch_alter_table on SQLite must create the triggers again.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

SQLITE_MONTH = "date({row}.held_on, 'start of month')"
POSTGRESQL_MONTH = "CAST(date_trunc('month', {row}.held_on) AS DATE)"


def _mark_sqlite(row: str) -> str:
    month = SQLITE_MONTH.format(row=row)
    return (
        "INSERT OR IGNORE INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"VALUES ({row}.group_id, {month}, 1)"
    )


SQLITE = (
    "CREATE TRIGGER meetings_mark_insert AFTER INSERT ON meetings "
    f"BEGIN {_mark_sqlite('NEW')}; END",
    "CREATE TRIGGER meetings_mark_update AFTER UPDATE OF group_id, held_on, kind, "
    "present_count, marked_count, created_at ON meetings "
    f"BEGIN {_mark_sqlite('OLD')}; {_mark_sqlite('NEW')}; END",
    "CREATE TRIGGER meetings_mark_delete AFTER DELETE ON meetings "
    f"BEGIN {_mark_sqlite('OLD')}; END",
)


def _mark_postgresql(row: str) -> str:
    # DO UPDATE, not DO NOTHING: the write takes the row's lock, so a fold deleting the
    # row waits for this transaction and then reads its meeting (reports.facts.refresh).
    month = POSTGRESQL_MONTH.format(row=row)
    return (
        "INSERT INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"VALUES ({row}.group_id, {month}, 1) "
        "ON CONFLICT (group_id, month) DO UPDATE SET touches = fact_dirty.touches + 1"
    )


POSTGRESQL = (
    f"""
CREATE FUNCTION meetings_mark_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_mark_postgresql("OLD")};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_mark_postgresql("NEW")};
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER meetings_mark_facts AFTER INSERT OR DELETE OR UPDATE OF group_id, held_on, "
    "kind, present_count, marked_count, created_at ON meetings "
    "FOR EACH ROW EXECUTE FUNCTION meetings_mark_facts()",
)


def upgrade():
    op.create_table(
        "fact_group_months",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "month", name=op.f("pk_fact_group_months")),
    )
    op.create_index(
        "ix_fact_group_months_month", "fact_group_months", ["month", "group_id"], unique=False
    )
    op.create_table(
        "fact_dirty",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "month", name=op.f("pk_fact_dirty")),
    )
    op.create_table(
        "fact_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("as_of", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rebuilt_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fact_state")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    month = (POSTGRESQL_MONTH if postgresql else SQLITE_MONTH).format(row="meetings")
    op.execute(
        "INSERT INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"SELECT DISTINCT group_id, {month}, 1 FROM meetings"
    )
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER meetings_mark_facts ON meetings")
        op.execute("DROP FUNCTION meetings_mark_facts()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER meetings_mark_{name}")
    op.drop_table("fact_state")
    op.drop_table("fact_dirty")
    op.drop_index("ix_fact_group_months_month", table_name="fact_group_months")
    op.drop_table("fact_group_months")
