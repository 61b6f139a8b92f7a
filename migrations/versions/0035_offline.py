"""Records made from forms kept on a phone: when save was pressed, when it arrived
(issue 25).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_saves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("pressed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_saves")),
        sa.UniqueConstraint(
            "object_type", "object_id", name=op.f("uq_offline_saves_object_type_object_id")
        ),
    )


def downgrade():
    op.drop_table("offline_saves")
