"""indexes for the queue, the inbox, the ticket history and the reports; schedule version

Revision ID: 9b1e7c4d2a10
Revises: b7e3c91d2a40
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b1e7c4d2a10'
down_revision = 'b7e3c91d2a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_index('ix_audit_events_object', 'audit_events', ['object_type', 'object_id', 'at'])
    op.create_index('ix_callbacks_queue', 'callbacks', ['organization_id', 'status', 'planned_at'])
    op.create_index('ix_callbacks_closed', 'callbacks', ['organization_id', 'closed_at'])
    op.create_index('ix_tickets_inbox', 'tickets', ['organization_id', 'status', 'sla_due_at'])
    op.create_index('ix_tickets_received', 'tickets', ['organization_id', 'created_at'])


def downgrade():
    op.drop_index('ix_tickets_received', table_name='tickets')
    op.drop_index('ix_tickets_inbox', table_name='tickets')
    op.drop_index('ix_callbacks_closed', table_name='callbacks')
    op.drop_index('ix_callbacks_queue', table_name='callbacks')
    op.drop_index('ix_audit_events_object', table_name='audit_events')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('schedule_version')
