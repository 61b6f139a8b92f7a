"""The provider's side of a referral (issue 26): the letter's link, provider accounts,
the provider's own answers on the referral, and "accepted" among the open statuses.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

OPEN_BEFORE = "status IN ('referred', 'acknowledged')"
OPEN_NOW = "status IN ('referred', 'acknowledged', 'accepted')"


def _open_index(where: str) -> None:
    op.create_index(
        "uq_referrals_open",
        "referrals",
        ["member_id", "provider_id", "service"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade():
    op.add_column("referrals", sa.Column("provider_answered_on", sa.Date(), nullable=True))
    op.add_column("referrals", sa.Column("decline_reason", sa.String(length=20), nullable=True))
    op.add_column("referrals", sa.Column("service_given", sa.Text(), nullable=True))
    op.add_column("referrals", sa.Column("served_by", sa.String(length=120), nullable=True))
    op.add_column("referrals", sa.Column("next_appointment_on", sa.Date(), nullable=True))
    op.add_column("referral_events", sa.Column("via", sa.String(length=20), nullable=True))
    op.drop_index("uq_referrals_open", table_name="referrals")
    _open_index(OPEN_NOW)
    op.create_table(
        "referral_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_links_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_links")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_referral_links_referral_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_referral_links_token_hash")),
    )
    op.create_table(
        "provider_staff",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_provider_staff_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["service_providers.id"],
            name=op.f("fk_provider_staff_provider_id_service_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_provider_staff_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_provider_staff")),
    )
    op.create_index(
        op.f("ix_provider_staff_provider_id"), "provider_staff", ["provider_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_provider_staff_provider_id"), table_name="provider_staff")
    op.drop_table("provider_staff")
    op.drop_table("referral_links")
    # Accepted referrals were open: they go back to "acknowledged", the nearest old status.
    op.execute("UPDATE referral_events SET to_status = 'acknowledged' WHERE to_status = 'accepted'")
    op.execute(
        "UPDATE referral_events SET from_status = 'acknowledged' WHERE from_status = 'accepted'"
    )
    op.execute("UPDATE referrals SET status = 'acknowledged' WHERE status = 'accepted'")
    op.drop_index("uq_referrals_open", table_name="referrals")
    _open_index(OPEN_BEFORE)
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_column("via")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("next_appointment_on")
        batch_op.drop_column("served_by")
        batch_op.drop_column("service_given")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("provider_answered_on")
