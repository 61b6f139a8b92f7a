"""A confirmed import runs as a resumable job (issue 23): every raw row has a state
(pending, imported, failed, skipped) instead of a flag, the batch keeps its job's status,
runner, beat and progress, and the groups a batch made are kept by their key in the
file, so that running it again after a crash reuses them instead of making them twice.

Revision ID: 0046
Revises: 0041
Create Date: 2026-12-07 15:45:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=10), nullable=False, server_default="pending")
        )
    op.execute("UPDATE import_rows SET state = 'imported' WHERE imported")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_column("imported")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_status", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("job_problem", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("job_runner", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("job_beat_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rows_done", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("rows_total", sa.Integer(), nullable=True))
    op.create_table(
        "import_batch_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_batch_groups_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_import_batch_groups_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch_groups")),
        sa.UniqueConstraint("batch_id", "key", name=op.f("uq_import_batch_groups_batch_id_key")),
    )


def downgrade():
    op.drop_table("import_batch_groups")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        for name in ("rows_total", "rows_done", "job_beat_at", "job_runner", "job_problem"):
            batch_op.drop_column(name)
        batch_op.drop_column("job_status")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE import_rows SET imported = (state = 'imported')")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_column("state")
