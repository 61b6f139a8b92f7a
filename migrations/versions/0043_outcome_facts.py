"""Analytics tables for the follow-up visit and livelihood check figures (issue 24): per
home group and month, the visits due and made on time (by the month they were due), the
checks made by months after the grant and business status found (by the month they were
made), and the incomes behind the 6-month medians as (value, count).

A visit's figures follow its follow-up's member's home group (reports.indicators.scope),
group 0 for a member with none. Triggers mark, in the statement that writes, the months a
follow-up was due and its visit made, for its member's home group, in `fact_dirty`
(0033): a follow-up added, changed or deleted (before, while its visit can still be
read), a visit added, changed or deleted (old and new), a grant's planned income changed
(the months its checks were made), and a member whose home group changes (every month of
their follow-ups and visits, for the group before and the group after). Every such key is
marked here, so the figures are exact from the start and the first fold (or `flask
analytics rebuild`) fills the tables.

A later migration that rebuilds follow_ups, visits, grants or members with
batch_alter_table on SQLite must create these triggers again.

Revision ID: 0043
Revises: 0041
Create Date: 2026-12-07 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

MONTH = {
    "sqlite": "date({day}, 'start of month')",
    "postgresql": "CAST(date_trunc('month', {day}) AS DATE)",
}
CONFLICT = {
    "sqlite": "ON CONFLICT (group_id, month) DO NOTHING",
    # DO UPDATE, not DO NOTHING: the write takes the row's lock (migration 0033).
    "postgresql": "ON CONFLICT (group_id, month) DO UPDATE SET touches = fact_dirty.touches + 1",
}
CHECKS = [f"m{m}_{s}" for m in (3, 6, 12) for s in ("operating", "struggling", "stopped")]
FOLLOW_UP_COLUMNS = "member_id, grant_id, kind, months_after, due_on, status"
VISIT_COLUMNS = "follow_up_id, visited_on, business_status, monthly_income"


def _home(member: str) -> str:
    return f"(SELECT coalesce(home_group_id, 0) FROM members WHERE id = {member})"  # noqa: S608


def _insert(dialect: str, keys: str) -> str:
    # In key order on PostgreSQL, as migration 0037: no two writers wait in a circle.
    order = " ORDER BY k.g, k.m" if dialect == "postgresql" else ""
    return (
        "INSERT INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"SELECT k.g, k.m, 1 FROM ({keys}) k WHERE k.g IS NOT NULL{order} {CONFLICT[dialect]}"
    )


def mark_follow_up(dialect: str, row: str) -> str:
    """The follow-up `row`'s due month and its visit's month, for its member's home group."""
    month, home = MONTH[dialect], _home(f"{row}.member_id")
    return _insert(
        dialect,
        f"SELECT {home} AS g, {month.format(day=row + '.due_on')} AS m "  # noqa: S608
        f"UNION SELECT {home}, {month.format(day='v.visited_on')} FROM visits v "
        f"WHERE v.follow_up_id = {row}.id",
    )


def mark_visit(dialect: str, row: str) -> str:
    """The visit `row`'s month and its follow-up's due month, for the member's home group."""
    month, home = MONTH[dialect], _home("f.member_id")
    return _insert(
        dialect,
        f"SELECT {home} AS g, {month.format(day=row + '.visited_on')} AS m "  # noqa: S608
        f"FROM follow_ups f WHERE f.id = {row}.follow_up_id "
        f"UNION SELECT {home}, {month.format(day='f.due_on')} FROM follow_ups f "
        f"WHERE f.id = {row}.follow_up_id",
    )


def mark_grant(dialect: str, grant: str) -> str:
    """The months the grant's checks were made, for the member's home group."""
    month, home = MONTH[dialect], _home("f.member_id")
    return _insert(
        dialect,
        f"SELECT {home} AS g, {month.format(day='v.visited_on')} AS m "  # noqa: S608
        "FROM visits v JOIN follow_ups f ON f.id = v.follow_up_id "
        f"WHERE f.grant_id = {grant}",
    )


def mark_member(dialect: str, member: str, group: str) -> str:
    """Every month the member's follow-ups were due or visited in, for `group`."""
    month = MONTH[dialect]
    return _insert(
        dialect,
        f"SELECT {group} AS g, {month.format(day='f.due_on')} AS m "  # noqa: S608
        f"FROM follow_ups f WHERE f.member_id = {member} "
        f"UNION SELECT {group}, {month.format(day='v.visited_on')} FROM visits v "
        f"JOIN follow_ups f ON f.id = v.follow_up_id WHERE f.member_id = {member}",
    )


def _sqlite():
    d = "sqlite"
    return [
        "CREATE TRIGGER follow_ups_mark_insert AFTER INSERT ON follow_ups "
        f"BEGIN {mark_follow_up(d, 'NEW')}; END",
        f"CREATE TRIGGER follow_ups_mark_update AFTER UPDATE OF {FOLLOW_UP_COLUMNS} "
        f"ON follow_ups BEGIN {mark_follow_up(d, 'OLD')}; {mark_follow_up(d, 'NEW')}; END",
        # BEFORE: its visit still names it.
        "CREATE TRIGGER follow_ups_mark_delete BEFORE DELETE ON follow_ups "
        f"BEGIN {mark_follow_up(d, 'OLD')}; END",
        "CREATE TRIGGER visits_mark_insert AFTER INSERT ON visits "
        f"BEGIN {mark_visit(d, 'NEW')}; END",
        f"CREATE TRIGGER visits_mark_update AFTER UPDATE OF {VISIT_COLUMNS} ON visits "
        f"BEGIN {mark_visit(d, 'OLD')}; {mark_visit(d, 'NEW')}; END",
        "CREATE TRIGGER visits_mark_delete AFTER DELETE ON visits "
        f"BEGIN {mark_visit(d, 'OLD')}; END",
        "CREATE TRIGGER grants_mark_outcomes AFTER UPDATE OF planned_income ON grants "
        f"BEGIN {mark_grant(d, 'NEW.id')}; END",
        "CREATE TRIGGER members_mark_outcomes AFTER UPDATE OF home_group_id ON members "
        "WHEN OLD.home_group_id IS NOT NEW.home_group_id "
        f"BEGIN {mark_member(d, 'NEW.id', 'coalesce(OLD.home_group_id, 0)')}; "
        f"{mark_member(d, 'NEW.id', 'coalesce(NEW.home_group_id, 0)')}; END",
    ]


def _postgresql():
    d = "postgresql"

    def function(name: str, body: str, returns: str = "NULL") -> str:
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN {returns};\nEND\n$$"
        )

    return [
        function(
            "follow_ups_mark_facts",
            f"IF TG_OP <> 'INSERT' THEN {mark_follow_up(d, 'OLD')}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN {mark_follow_up(d, 'NEW')}; RETURN NEW; END IF;",
            returns="OLD",  # BEFORE DELETE: returning NULL would cancel the delete
        ),
        "CREATE TRIGGER follow_ups_mark_facts AFTER INSERT OR UPDATE OF "
        f"{FOLLOW_UP_COLUMNS} ON follow_ups FOR EACH ROW EXECUTE FUNCTION follow_ups_mark_facts()",
        "CREATE TRIGGER follow_ups_mark_facts_delete BEFORE DELETE ON follow_ups "
        "FOR EACH ROW EXECUTE FUNCTION follow_ups_mark_facts()",
        function(
            "visits_mark_facts",
            f"IF TG_OP <> 'INSERT' THEN {mark_visit(d, 'OLD')}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN {mark_visit(d, 'NEW')}; END IF;",
        ),
        f"CREATE TRIGGER visits_mark_facts AFTER INSERT OR DELETE OR UPDATE OF {VISIT_COLUMNS} "
        "ON visits FOR EACH ROW EXECUTE FUNCTION visits_mark_facts()",
        function("grants_mark_outcomes", f"{mark_grant(d, 'NEW.id')};"),
        "CREATE TRIGGER grants_mark_outcomes AFTER UPDATE OF planned_income ON grants "
        "FOR EACH ROW WHEN (OLD.planned_income IS DISTINCT FROM NEW.planned_income) "
        "EXECUTE FUNCTION grants_mark_outcomes()",
        function(
            "members_mark_outcomes",
            f"{mark_member(d, 'NEW.id', 'coalesce(OLD.home_group_id, 0)')};\n"
            f"{mark_member(d, 'NEW.id', 'coalesce(NEW.home_group_id, 0)')};",
        ),
        "CREATE TRIGGER members_mark_outcomes AFTER UPDATE OF home_group_id ON members "
        "FOR EACH ROW WHEN (OLD.home_group_id IS DISTINCT FROM NEW.home_group_id) "
        "EXECUTE FUNCTION members_mark_outcomes()",
    ]


def upgrade():
    op.create_table(
        "fact_outcome_months",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in CHECKS),
        sa.PrimaryKeyConstraint("group_id", "month", name=op.f("pk_fact_outcome_months")),
    )
    op.create_index(
        "ix_fact_outcome_months_month", "fact_outcome_months", ["month", "group_id"], unique=False
    )
    op.create_table(
        "fact_outcome_values",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("value", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "month", "measure", "value", name=op.f("pk_fact_outcome_values")
        ),
    )
    op.create_index(
        "ix_fact_outcome_values_month",
        "fact_outcome_values",
        ["measure", "month", "group_id"],
        unique=False,
    )
    dialect = op.get_bind().dialect.name
    month, home = MONTH[dialect], "coalesce(m.home_group_id, 0)"
    every = (
        f"SELECT {home} AS g, {month.format(day='f.due_on')} AS m FROM follow_ups f "  # noqa: S608
        "JOIN members m ON m.id = f.member_id "
        f"UNION SELECT {home}, {month.format(day='v.visited_on')} FROM visits v "
        "JOIN follow_ups f ON f.id = v.follow_up_id JOIN members m ON m.id = f.member_id"
    )
    op.execute(_insert(dialect, every))
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER follow_ups_mark_facts ON follow_ups")
        op.execute("DROP TRIGGER follow_ups_mark_facts_delete ON follow_ups")
        op.execute("DROP FUNCTION follow_ups_mark_facts()")
        op.execute("DROP TRIGGER visits_mark_facts ON visits")
        op.execute("DROP FUNCTION visits_mark_facts()")
        op.execute("DROP TRIGGER grants_mark_outcomes ON grants")
        op.execute("DROP FUNCTION grants_mark_outcomes()")
        op.execute("DROP TRIGGER members_mark_outcomes ON members")
        op.execute("DROP FUNCTION members_mark_outcomes()")
    else:
        for table in ("follow_ups", "visits"):
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_mark_{name}")
        op.execute("DROP TRIGGER grants_mark_outcomes")
        op.execute("DROP TRIGGER members_mark_outcomes")
    op.drop_index("ix_fact_outcome_values_month", table_name="fact_outcome_values")
    op.drop_table("fact_outcome_values")
    op.drop_index("ix_fact_outcome_months_month", table_name="fact_outcome_months")
    op.drop_table("fact_outcome_months")
