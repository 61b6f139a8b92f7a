"""Analytics tables for the screening and referral figures (issue 24): per home group and
month, the referrals by service, kind of provider, status now and days to service; per
member and month, their complete screenings and the first and latest scores.

Triggers mark, in the statement that writes, the (member's home group, month) a write
touches in `fact_dirty` (0033): a referral added, deleted or changed in its member,
provider, service, referral day, status or closing day (the key before and after); a
provider whose kind changes (every referral to it); a screening added, deleted or
changed in its member, day, status or scores; a member whose home group changes (every
month of their referrals and screenings, for the group before and the group after).
Every key with a referral or screening is marked here, so the figures are exact from the
start and the first fold (or `flask analytics rebuild`) fills the tables.

A later migration that rebuilds referrals, screenings, service_providers or members with
batch_alter_table on SQLite must create these triggers again.

Revision ID: 0044
Revises: 0041
Create Date: 2026-12-07 15:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0044"
down_revision = "0043"
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
REFERRAL_COLUMNS = "member_id, provider_id, service, referred_on, status, closed_on"
SCREENING_COLUMNS = "member_id, screened_on, status, economic, social, psychosocial"


def _insert(dialect: str, keys: str) -> str:
    """Mark the distinct (g, m) of `keys` (a member with no home group marks nothing)."""
    order = " ORDER BY k.g, k.m" if dialect == "postgresql" else ""
    return (
        "INSERT INTO fact_dirty (group_id, month, touches) "  # noqa: S608 - constants
        f"SELECT DISTINCT k.g, k.m, 1 FROM ({keys}) k WHERE k.g IS NOT NULL{order} "
        f"{CONFLICT[dialect]}"
    )


def _home(member: str) -> str:
    return f"(SELECT home_group_id FROM members WHERE id = {member})"  # noqa: S608


def mark_row(dialect: str, member: str, day: str) -> str:
    """Mark (the member's home group now, the day's month)."""
    return _insert(dialect, f"SELECT {_home(member)} AS g, {MONTH[dialect].format(day=day)} AS m")


def mark_member(dialect: str, member: str, group: str) -> str:
    """Mark every month of the member's referrals and screenings for `group`."""
    month = MONTH[dialect]
    keys = (
        f"SELECT {group} AS g, {month.format(day='r.referred_on')} AS m "  # noqa: S608
        f"FROM referrals r WHERE r.member_id = {member} "
        f"UNION SELECT {group}, {month.format(day='s.screened_on')} "
        f"FROM screenings s WHERE s.member_id = {member}"
    )
    return _insert(dialect, keys)


def mark_provider(dialect: str, provider: str) -> str:
    keys = (
        f"SELECT m.home_group_id AS g, {MONTH[dialect].format(day='r.referred_on')} AS m "  # noqa: S608
        f"FROM referrals r JOIN members m ON m.id = r.member_id WHERE r.provider_id = {provider}"
    )
    return _insert(dialect, keys)


TABLES = (
    ("referrals", "referred_on", REFERRAL_COLUMNS),
    ("screenings", "screened_on", SCREENING_COLUMNS),
)


def _sqlite():
    d = "sqlite"
    out = []
    for table, day, columns in TABLES:
        new, old = (
            mark_row(d, "NEW.member_id", f"NEW.{day}"),
            mark_row(d, "OLD.member_id", f"OLD.{day}"),
        )
        out += [
            f"CREATE TRIGGER {table}_mark_insert AFTER INSERT ON {table} BEGIN {new}; END",
            f"CREATE TRIGGER {table}_mark_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {old}; {new}; END",
            f"CREATE TRIGGER {table}_mark_delete AFTER DELETE ON {table} BEGIN {old}; END",
        ]
    out += [
        "CREATE TRIGGER service_providers_mark_kind AFTER UPDATE OF kind ON service_providers "
        f"WHEN OLD.kind IS NOT NEW.kind BEGIN {mark_provider(d, 'NEW.id')}; END",
        "CREATE TRIGGER members_mark_support AFTER UPDATE OF home_group_id ON members "
        "WHEN OLD.home_group_id IS NOT NEW.home_group_id "
        f"BEGIN {mark_member(d, 'NEW.id', 'OLD.home_group_id')}; "
        f"{mark_member(d, 'NEW.id', 'NEW.home_group_id')}; END",
    ]
    return out


def _function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}\nRETURN NULL;\nEND\n$$"
    )


def _postgresql():
    d = "postgresql"
    out = []
    for table, day, columns in TABLES:
        body = (
            f"IF TG_OP <> 'INSERT' THEN {mark_row(d, 'OLD.member_id', f'OLD.{day}')}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN {mark_row(d, 'NEW.member_id', f'NEW.{day}')}; END IF;"
        )
        out += [
            _function(f"{table}_mark_support", body),
            f"CREATE TRIGGER {table}_mark_support AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_mark_support()",
        ]
    out += [
        _function("service_providers_mark_support", f"{mark_provider(d, 'NEW.id')};"),
        "CREATE TRIGGER service_providers_mark_support AFTER UPDATE OF kind ON service_providers "
        "FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) "
        "EXECUTE FUNCTION service_providers_mark_support()",
        _function(
            "members_mark_support",
            f"{mark_member(d, 'NEW.id', 'OLD.home_group_id')};\n"
            f"{mark_member(d, 'NEW.id', 'NEW.home_group_id')};",
        ),
        "CREATE TRIGGER members_mark_support AFTER UPDATE OF home_group_id ON members "
        "FOR EACH ROW WHEN (OLD.home_group_id IS DISTINCT FROM NEW.home_group_id) "
        "EXECUTE FUNCTION members_mark_support()",
    ]
    return out


def upgrade():
    op.create_table(
        "fact_referral_months",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("provider_kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("timed", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id",
            "month",
            "service",
            "provider_kind",
            "status",
            "timed",
            "days",
            name=op.f("pk_fact_referral_months"),
        ),
    )
    op.create_index(
        "ix_fact_referral_months_month", "fact_referral_months", ["month", "group_id"], unique=False
    )
    op.create_table(
        "fact_screening_months",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        *(
            sa.Column(f"{when}_{d}", sa.Double(), nullable=True)
            for when in ("first", "last")
            for d in ("economic", "social", "psychosocial")
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "month", "member_id", name=op.f("pk_fact_screening_months")
        ),
    )
    op.create_index(
        "ix_fact_screening_months_month",
        "fact_screening_months",
        ["month", "group_id"],
        unique=False,
    )
    dialect = op.get_bind().dialect.name
    month = MONTH[dialect]
    every = (
        f"SELECT m.home_group_id AS g, {month.format(day='r.referred_on')} AS m "  # noqa: S608
        "FROM referrals r JOIN members m ON m.id = r.member_id "
        f"UNION SELECT m.home_group_id, {month.format(day='s.screened_on')} "
        "FROM screenings s JOIN members m ON m.id = s.member_id"
    )
    op.execute(_insert(dialect, every))
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("referrals", "screenings", "service_providers", "members"):
            op.execute(f"DROP TRIGGER {table}_mark_support ON {table}")
            op.execute(f"DROP FUNCTION {table}_mark_support()")
    else:
        for table in ("referrals", "screenings"):
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_mark_{name}")
        op.execute("DROP TRIGGER service_providers_mark_kind")
        op.execute("DROP TRIGGER members_mark_support")
    op.drop_index("ix_fact_screening_months_month", table_name="fact_screening_months")
    op.drop_table("fact_screening_months")
    op.drop_index("ix_fact_referral_months_month", table_name="fact_referral_months")
    op.drop_table("fact_referral_months")
