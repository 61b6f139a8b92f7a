"""Analytics tables for the members section (issue 24): per group and standard period the
counts of its members in no other group, per member, group and period the few in several,
the groups marked since their last fold, and how far the kept periods reach
(`fact_state.until`). reports.facts.members says why this grain.

Triggers mark, in the statement that writes, every group a member is or was in when a
membership of theirs is added, changed or deleted (a member's count depends on all their
memberships: a move makes them counted once across two groups) and when their category,
sex or year of birth changes. Nothing is marked here: until the first fold sets
`fact_state.until`, every member figure is read live, and that fold marks every group.

A later migration that rebuilds `memberships` or `members` with batch_alter_table on
SQLite must create these triggers again.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 15:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

COUNTS = (
    "active",
    "joined",
    "left",
    "cat_survivor",
    "cat_migrant",
    "cat_community",
    "sex_female",
    "sex_male",
    "sex_other",
    "sex_undisclosed",
    "age_0",
    "age_1",
    "age_2",
    "age_3",
    "age_4",
    "age_unknown",
)
CONFLICT = {
    "sqlite": "ON CONFLICT (group_id) DO NOTHING",
    # DO UPDATE, not DO NOTHING: the write takes the row's lock (migration 0033).
    "postgresql": "ON CONFLICT (group_id) DO UPDATE SET touches = fact_member_dirty.touches + 1",
}
MEMBER_FIELDS = ("category", "gender", "birth_year")


def mark(dialect: str, member: str, group: str | None = None) -> str:
    """Mark every group of the member's memberships, and `group`."""
    keys = f"SELECT group_id AS g FROM memberships WHERE member_id = {member}"  # noqa: S608
    if group is not None:
        keys += f" UNION SELECT {group}"
    # In key order on PostgreSQL: two writers lock the same rows in the same order.
    order = " ORDER BY k.g" if dialect == "postgresql" else ""
    return (
        "INSERT INTO fact_member_dirty (group_id, touches) "  # noqa: S608 - constants
        f"SELECT k.g, 1 FROM ({keys}) k WHERE k.g IS NOT NULL{order} {CONFLICT[dialect]}"
    )


def _sqlite():
    d = "sqlite"
    changed = " OR ".join(f"OLD.{f} IS NOT NEW.{f}" for f in MEMBER_FIELDS)
    return [
        "CREATE TRIGGER memberships_mark_members_insert AFTER INSERT ON memberships "
        f"BEGIN {mark(d, 'NEW.member_id', 'NEW.group_id')}; END",
        "CREATE TRIGGER memberships_mark_members_update AFTER UPDATE OF member_id, group_id, "
        "joined_on, left_on ON memberships "
        f"BEGIN {mark(d, 'OLD.member_id', 'OLD.group_id')}; "
        f"{mark(d, 'NEW.member_id', 'NEW.group_id')}; END",
        "CREATE TRIGGER memberships_mark_members_delete AFTER DELETE ON memberships "
        f"BEGIN {mark(d, 'OLD.member_id', 'OLD.group_id')}; END",
        "CREATE TRIGGER members_mark_member_facts AFTER UPDATE OF category, gender, birth_year "
        f"ON members WHEN {changed} BEGIN {mark(d, 'NEW.id')}; END",
    ]


def _postgresql():
    d = "postgresql"

    def function(name: str, body: str) -> str:
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND\n$$"
        )

    changed = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in MEMBER_FIELDS)
    return [
        function(
            "memberships_mark_members",
            f"IF TG_OP <> 'INSERT' THEN {mark(d, 'OLD.member_id', 'OLD.group_id')}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN {mark(d, 'NEW.member_id', 'NEW.group_id')}; END IF;",
        ),
        "CREATE TRIGGER memberships_mark_members AFTER INSERT OR DELETE OR UPDATE OF member_id, "
        "group_id, joined_on, left_on ON memberships "
        "FOR EACH ROW EXECUTE FUNCTION memberships_mark_members()",
        function("members_mark_member_facts", f"{mark(d, 'NEW.id')};"),
        "CREATE TRIGGER members_mark_member_facts AFTER UPDATE OF category, gender, birth_year "
        f"ON members FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION members_mark_member_facts()",
    ]


def upgrade():
    op.create_table(
        "fact_member_groups",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("group_id", "start", "end", name=op.f("pk_fact_member_groups")),
    )
    op.create_index(
        "ix_fact_member_groups_period",
        "fact_member_groups",
        ["start", "end", "group_id"],
        unique=False,
    )
    op.create_table(
        "fact_member_spread",
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("band", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint(
            "start", "end", "member_id", "group_id", name=op.f("pk_fact_member_spread")
        ),
    )
    op.create_index("ix_fact_member_spread_group", "fact_member_spread", ["group_id"], unique=False)
    op.create_table(
        "fact_member_dirty",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_fact_member_dirty")),
    )
    op.add_column("fact_state", sa.Column("until", sa.Date(), nullable=True))
    dialect = op.get_bind().dialect.name
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER memberships_mark_members ON memberships")
        op.execute("DROP FUNCTION memberships_mark_members()")
        op.execute("DROP TRIGGER members_mark_member_facts ON members")
        op.execute("DROP FUNCTION members_mark_member_facts()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER memberships_mark_members_{name}")
        op.execute("DROP TRIGGER members_mark_member_facts")
    with op.batch_alter_table("fact_state") as batch:
        batch.drop_column("until")
    op.drop_table("fact_member_dirty")
    op.drop_index("ix_fact_member_spread_group", table_name="fact_member_spread")
    op.drop_table("fact_member_spread")
    op.drop_index("ix_fact_member_groups_period", table_name="fact_member_groups")
    op.drop_table("fact_member_groups")
