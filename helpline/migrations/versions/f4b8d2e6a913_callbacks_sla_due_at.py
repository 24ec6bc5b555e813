"""callbacks: the ticket's SLA due instant beside the plan

Revision ID: f4b8d2e6a913
Revises: e5c2a7b9d104
Create Date: 2026-12-07 15:30:00.000000

The planner ranks waiting callbacks by their ticket's due instant; with it on the callback,
placing a new one counts those it may displace without joining every waiting callback to its
ticket (see callbacks.service._placement).
"""
from alembic import op
import sqlalchemy as sa

import core.types


# revision identifiers, used by Alembic.
revision = 'f4b8d2e6a913'
down_revision = 'e5c2a7b9d104'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_due_at', core.types.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE callbacks SET sla_due_at = "
        "(SELECT tickets.sla_due_at FROM tickets WHERE tickets.id = callbacks.ticket_id)"
    )


def downgrade():
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_column('sla_due_at')
