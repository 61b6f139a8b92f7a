"""Audit events name their subject (member, group, province) and cannot be changed;
members can be anonymised

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-30 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

# The app never changes or deletes an audit row; on PostgreSQL the database refuses it
# too, whoever asks (TRUNCATE, which needs the table owner, is left to operators).
KEEP_AUDIT = """
CREATE FUNCTION audit_events_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events cannot be changed or deleted'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_keep BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_keep();
"""


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('province_code', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_province_code'), ['province_code'], unique=False)
        batch_op.create_index('ix_audit_events_object_type_object_id', ['object_type', 'object_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_on', sa.Date(), nullable=True))

    # Earlier events: their subject, where the row says it.
    op.execute("UPDATE audit_events SET member_id = object_id WHERE object_type = 'members'")
    op.execute("UPDATE audit_events SET group_id = object_id WHERE object_type = 'groups'")
    op.execute(
        "UPDATE audit_events SET member_id = (SELECT member_id FROM grants "
        "WHERE grants.id = audit_events.object_id) WHERE object_type = 'grants'"
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(KEEP_AUDIT)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_events_keep ON audit_events')
        op.execute('DROP FUNCTION audit_events_keep()')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('anonymised_on')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object_type_object_id')
        batch_op.drop_index(batch_op.f('ix_audit_events_province_code'))
        batch_op.drop_index(batch_op.f('ix_audit_events_group_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_member_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_column('province_code')
        batch_op.drop_column('group_id')
        batch_op.drop_column('member_id')
