"""Analytics tables for the grant figures (issue 24): per home group and month, what the
grants' steps and payments add up to, and the days behind each median as (days, count).

A grant's figures follow its member's home group (reports.indicators.scope), so a fact
is keyed by (home group, month), group 0 for a member with none. Triggers mark, in the
statement that writes, every month of every step and payment of the grant written, for
its member's home group, in `fact_dirty` (0033): a step or payment added, changed or
deleted (and the month it had), a grant's amounts, member or first payment changed, a
grant deleted (before, while its rows can still be read), and a member whose home group
changes (every month of their grants, for the group before and the group after). Whole
grants are marked, not single months, because a figure of one month reads other months
(days from submission to decision, the first payment in a quarter). Every key with a
grant step or payment is marked here, so the figures are exact from the start and the
first fold (or `flask analytics rebuild`) fills the tables.

A later migration that rebuilds grant_events, tranches, grants or members with
batch_alter_table on SQLite must create these triggers again.

Revision ID: 0037
Revises: 0035
Create Date: 2026-12-07 12:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0037"
down_revision = "0035"
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


def _home(member: str) -> str:
    return f"(SELECT coalesce(home_group_id, 0) FROM members WHERE id = {member})"  # noqa: S608


def _grant_home(grant: str) -> str:
    return (
        "(SELECT coalesce(m.home_group_id, 0) FROM grants g JOIN members m "  # noqa: S608
        f"ON m.id = g.member_id WHERE g.id = {grant})"
    )


def _months(dialect: str, grant_filter: str, group: str) -> str:
    """(group, month) of every step and payment of the grants `grant_filter` selects."""
    month = MONTH[dialect]
    event_month = month.format(day='e."on"')
    return (
        f"SELECT {group} AS g, {event_month} AS m FROM grant_events e "  # noqa: S608
        f"WHERE e.grant_id IN ({grant_filter}) "
        f"UNION SELECT {group}, {month.format(day='t.paid_on')} FROM tranches t "
        f"WHERE t.grant_id IN ({grant_filter})"
    )


def _insert(dialect: str, keys: str) -> str:
    # In key order on PostgreSQL: two writers marking the same keys lock them in the same
    # order, and neither waits for the other in a circle.
    order = " ORDER BY k.g, k.m" if dialect == "postgresql" else ""
    return (
        "INSERT INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"SELECT k.g, k.m, 1 FROM ({keys}) k WHERE k.g IS NOT NULL{order} {CONFLICT[dialect]}"
    )


def mark_grant(dialect: str, grant: str, group: str | None = None, day: str | None = None):
    """Mark every month of the grant's steps and payments (and `day`'s month) for `group`
    (default: its member's home group now)."""
    group = group or _grant_home(grant)
    keys = _months(dialect, f"SELECT {grant}", group)
    if day is not None:
        keys += f" UNION SELECT {group}, {MONTH[dialect].format(day=day)}"
    return _insert(dialect, keys)


def mark_member(dialect: str, member: str, group: str) -> str:
    grants = f"SELECT id FROM grants WHERE member_id = {member}"  # noqa: S608 - constants
    keys = _months(dialect, grants, group)
    return _insert(dialect, keys)


def _sqlite():
    d = "sqlite"
    out = []
    for table, day, columns in (
        ("grant_events", '"on"', 'grant_id, "on", action'),
        ("tranches", "paid_on", "grant_id, paid_on, amount"),
    ):
        out += [
            f"CREATE TRIGGER {table}_mark_insert AFTER INSERT ON {table} "
            f"BEGIN {mark_grant(d, 'NEW.grant_id')}; END",
            f"CREATE TRIGGER {table}_mark_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {mark_grant(d, 'OLD.grant_id', day='OLD.' + day)}; "
            f"{mark_grant(d, 'NEW.grant_id')}; END",
            f"CREATE TRIGGER {table}_mark_delete AFTER DELETE ON {table} "
            f"BEGIN {mark_grant(d, 'OLD.grant_id', day='OLD.' + day)}; END",
        ]
    out += [
        "CREATE TRIGGER grants_mark_update AFTER UPDATE OF member_id, amount_requested, "
        "amount_approved, first_tranche_on ON grants "
        f"BEGIN {mark_grant(d, 'NEW.id', group=_home('OLD.member_id'))}; "
        f"{mark_grant(d, 'NEW.id')}; END",
        "CREATE TRIGGER grants_mark_delete BEFORE DELETE ON grants "
        f"BEGIN {mark_grant(d, 'OLD.id')}; END",
        "CREATE TRIGGER members_mark_grants AFTER UPDATE OF home_group_id ON members "
        "WHEN OLD.home_group_id IS NOT NEW.home_group_id "
        f"BEGIN {mark_member(d, 'NEW.id', 'coalesce(OLD.home_group_id, 0)')}; "
        f"{mark_member(d, 'NEW.id', 'coalesce(NEW.home_group_id, 0)')}; END",
    ]
    return out


def _postgresql():
    d = "postgresql"

    def function(name: str, body: str) -> str:
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND\n$$"
        )

    out = []
    for table, day, columns in (
        ("grant_events", '"on"', 'grant_id, "on", action'),
        ("tranches", "paid_on", "grant_id, paid_on, amount"),
    ):
        old = mark_grant(d, "OLD.grant_id", day="OLD." + day)
        body = (
            f"IF TG_OP <> 'INSERT' THEN {old}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN {mark_grant(d, 'NEW.grant_id')}; END IF;"
        )
        out += [
            function(f"{table}_mark_facts", body),
            f"CREATE TRIGGER {table}_mark_facts AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_mark_facts()",
        ]
    out += [
        # BEFORE DELETE: returning NULL there would cancel the delete, so it returns OLD.
        function(
            "grants_mark_facts",
            f"IF TG_OP = 'DELETE' THEN {mark_grant(d, 'OLD.id')}; RETURN OLD; END IF;\n"
            f"{mark_grant(d, 'NEW.id', group=_home('OLD.member_id'))};\n"
            f"{mark_grant(d, 'NEW.id')};",
        ),
        "CREATE TRIGGER grants_mark_facts_update AFTER UPDATE OF member_id, amount_requested, "
        "amount_approved, first_tranche_on ON grants "
        "FOR EACH ROW EXECUTE FUNCTION grants_mark_facts()",
        "CREATE TRIGGER grants_mark_facts_delete BEFORE DELETE ON grants "
        "FOR EACH ROW EXECUTE FUNCTION grants_mark_facts()",
        function(
            "members_mark_facts",
            f"{mark_member(d, 'NEW.id', 'coalesce(OLD.home_group_id, 0)')};\n"
            f"{mark_member(d, 'NEW.id', 'coalesce(NEW.home_group_id, 0)')};",
        ),
        "CREATE TRIGGER members_mark_facts AFTER UPDATE OF home_group_id ON members "
        "FOR EACH ROW WHEN (OLD.home_group_id IS DISTINCT FROM NEW.home_group_id) "
        "EXECUTE FUNCTION members_mark_facts()",
    ]
    return out


def upgrade():
    op.create_table(
        "fact_grant_months",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("requested_vnd", sa.BigInteger(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("approved_vnd", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("paid_vnd", sa.BigInteger(), nullable=False),
        sa.Column("paid_month", sa.Integer(), nullable=False),
        sa.Column("paid_quarter", sa.Integer(), nullable=False),
        sa.Column("paid_year", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "month", name=op.f("pk_fact_grant_months")),
    )
    op.create_index(
        "ix_fact_grant_months_month", "fact_grant_months", ["month", "group_id"], unique=False
    )
    op.create_table(
        "fact_grant_days",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "month", "measure", "days", name=op.f("pk_fact_grant_days")
        ),
    )
    op.create_index(
        "ix_fact_grant_days_month",
        "fact_grant_days",
        ["measure", "month", "group_id"],
        unique=False,
    )
    dialect = op.get_bind().dialect.name
    month, home = MONTH[dialect], "coalesce(m.home_group_id, 0)"
    event_month = month.format(day='e."on"')
    every = (
        f"SELECT {home} AS g, {event_month} AS m FROM grant_events e "  # noqa: S608
        "JOIN grants gr ON gr.id = e.grant_id JOIN members m ON m.id = gr.member_id "
        f"UNION SELECT {home}, {month.format(day='t.paid_on')} FROM tranches t "
        "JOIN grants gr ON gr.id = t.grant_id JOIN members m ON m.id = gr.member_id"
    )
    op.execute(_insert(dialect, every))
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("grant_events", "tranches"):
            op.execute(f"DROP TRIGGER {table}_mark_facts ON {table}")
            op.execute(f"DROP FUNCTION {table}_mark_facts()")
        op.execute("DROP TRIGGER grants_mark_facts_update ON grants")
        op.execute("DROP TRIGGER grants_mark_facts_delete ON grants")
        op.execute("DROP FUNCTION grants_mark_facts()")
        op.execute("DROP TRIGGER members_mark_facts ON members")
        op.execute("DROP FUNCTION members_mark_facts()")
    else:
        for table in ("grant_events", "tranches"):
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_mark_{name}")
        op.execute("DROP TRIGGER grants_mark_update")
        op.execute("DROP TRIGGER grants_mark_delete")
        op.execute("DROP TRIGGER members_mark_grants")
    op.drop_index("ix_fact_grant_days_month", table_name="fact_grant_days")
    op.drop_table("fact_grant_days")
    op.drop_index("ix_fact_grant_months_month", table_name="fact_grant_months")
    op.drop_table("fact_grant_months")
