"""Forms kept when a session ends; why and when a visit could not happen

Revision ID: 0011
Revises: 0004
Create Date: 2026-11-30 07:20:00

"""

from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_form_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_drafts")),
    )
    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_drafts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_form_drafts_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missed_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("missed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("missed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_ups_missed_by_id_users"),
            "users",
            ["missed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_follow_ups_missed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("missed_by_id")
        batch_op.drop_column("missed_on")
        batch_op.drop_column("missed_reason")

    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_drafts_user_id"))
        batch_op.drop_index(batch_op.f("ix_form_drafts_created_at"))

    op.drop_table("form_drafts")
