"""assignment of callbacks, confirmation SMS of tickets, a regional admin's chosen school

Revision ID: d3a8f1c6e2b7
Revises: b7e2d4a91c05
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3a8f1c6e2b7'
down_revision = 'b7e2d4a91c05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chosen_organization_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_chosen_organization_id_organizations'), 'organizations', ['chosen_organization_id'], ['id'])

    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_callbacks_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_callbacks_assignee_id_users'), 'users', ['assignee_id'], ['id'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_sms', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_confirmation_sms'), ['confirmation_sms'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_assignee_id'), ['assignee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_confirmation_sms'))
        batch_op.drop_column('confirmation_sms')

    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callbacks_assignee_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_callbacks_assignee_id'))
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_chosen_organization_id_organizations'), type_='foreignkey')
        batch_op.drop_column('chosen_organization_id')
